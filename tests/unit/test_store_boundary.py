"""The store boundary holds: engines and drivers stay inside ``store/<engine>/``, SQL stays inside ``store/``.

Everything above the store talks to the protocols in ``store/base.py`` and gets its stores from
``store/factory.py``, the one module allowed to import an engine package (lazily, once chosen).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "tracehound"
STORE = PACKAGE / "store"
ENGINES = ("sqlite", "clickhouse", "postgres")
DRIVERS = ("sqlite3", "psycopg", "psycopg2", "clickhouse_connect", "chdb")
# SQL statement shapes (upper-case keywords, as the code base writes SQL); prose rarely matches these.
SQL = re.compile(r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+(OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
                 r"|\bCREATE\s+(TABLE|INDEX|VIEW|TRIGGER)\b|\bWITH\s+RECURSIVE\b|\bPRAGMA\s+\w+")


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(), str(path))) for path in sorted(PACKAGE.rglob("*.py"))]


def _imports(tree: ast.Module) -> list[tuple[ast.stmt, str]]:
    found: list[tuple[ast.stmt, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node, node.module))
            found.extend((node, f"{node.module}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((node, alias.name) for alias in node.names)
    return found


def _engine_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] == ["tracehound", "store"] and len(parts) > 2 and parts[2] in ENGINES:
        return parts[2]
    return None


def _own_engine(path: Path) -> str | None:
    relative = path.relative_to(STORE) if path.is_relative_to(STORE) else None
    return relative.parts[0] if relative is not None and len(relative.parts) > 1 and relative.parts[0] in ENGINES \
        else None


def test_engines_and_drivers_are_imported_only_inside_their_engine_package() -> None:
    offences = []
    for path, tree in _modules():
        own = _own_engine(path)
        top_level = set(map(id, tree.body))
        for node, module in _imports(tree):
            engine = _engine_of(module)
            driver = module.split(".")[0] in DRIVERS
            where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno} imports {module}"
            if own is not None:
                if engine is not None and engine != own:
                    offences.append(f"{where} (engines are independent)")
            elif path == STORE / "factory.py":
                if (engine is not None or driver) and id(node) in top_level:
                    offences.append(f"{where} (the factory imports engines lazily, once chosen)")
            elif engine is not None or driver:
                offences.append(where)
    assert offences == []


def _docstrings(tree: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def test_no_sql_statements_outside_the_store() -> None:
    offences = []
    for path, tree in _modules():
        if path.is_relative_to(STORE):
            continue
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                text = "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                text = node.value
            else:
                continue
            if SQL.search(text):
                offences.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {text[:60]!r}")
    assert offences == []


def test_the_sql_detector_sees_the_statements_the_store_writes() -> None:
    """Guards the guard: the pattern must catch SQL as the store modules write it."""
    store_sql = [path for path, tree in _modules() if path.is_relative_to(STORE / "sqlite")
                 and any(isinstance(n, ast.Constant) and isinstance(n.value, str) and SQL.search(n.value)
                         for n in ast.walk(tree))]
    assert {p.name for p in store_sql} >= {"spans.py", "runs.py", "rollup_reads.py", "detector_queries.py",
                                          "alerts.py", "meta.py", "feedback.py", "schema.py"}


def test_import_linter_contracts_are_kept() -> None:
    """The same boundary as import-linter states it (``[tool.importlinter]`` in pyproject.toml)."""
    binary = Path(sys.executable).parent / "lint-imports"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run([str(binary), "--no-cache"], cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
