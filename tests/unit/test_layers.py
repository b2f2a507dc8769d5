"""Imports flow one way: server/ui/cli → evals/analytics/query → store/ingest → model; the SDK stays slim."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "tracehound"
LAYER = {
    "model": 0, "errors": 0, "settings": 0, "timefmt": 0,
    "sdk": 1,
    "store": 2, "ingest": 2,
    "query": 3, "analytics": 3, "evals": 3, "governance": 3,
    "server": 4, "ui": 4, "cli": 4, "demo": 4, "testing": 4, "__main__": 4,
}


def _part(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "tracehound" else None


def _imports(tree: ast.Module, *, top_level_only: bool) -> list[tuple[int, str]]:
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def test_no_module_imports_from_a_higher_layer() -> None:
    offences = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        part = relative.parts[1] if len(relative.parts) > 1 else None
        if part is None or part == "__init__":
            continue
        own = LAYER[part]
        tree = ast.parse(path.read_text())
        # The SDK may reach the store lazily (local-file mode), never at import time.
        for lineno, module in _imports(tree, top_level_only=part == "sdk"):
            target = _part(module)
            if target is None or target == part or target not in LAYER:
                continue
            if LAYER[target] > own or (part == "sdk" and LAYER[target] > 1):
                offences.append(f"{relative}:{lineno} imports {module}")
    assert offences == []


def test_import_tracehound_stays_slim() -> None:
    code = ("import sys, tracehound; tracehound.traceable; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('fastapi', 'jinja2', 'starlette', 'uvicorn')"
            " or m.startswith(('tracehound.server', 'tracehound.store'))))")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"
