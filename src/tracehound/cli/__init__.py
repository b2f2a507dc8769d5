"""The ``tracehound`` command: one click group, one module per family of commands."""

from __future__ import annotations

from importlib.util import find_spec

if find_spec("click") is None or find_spec("fastapi") is None:  # a slim, SDK-only install
    import sys

    def main() -> None:
        """Stand-in that says how to get the real command."""
        sys.exit("The tracehound command needs the server extra: pip install 'tracehound[server]'")

else:
    from tracehound.cli import alerts as _alerts  # noqa: F401  (registers commands)
    from tracehound.cli import bulk as _bulk  # noqa: F401
    from tracehound.cli import datasets as _datasets  # noqa: F401
    from tracehound.cli import demo as _demo  # noqa: F401
    from tracehound.cli import detect as _detect  # noqa: F401
    from tracehound.cli import eval as _eval  # noqa: F401
    from tracehound.cli import ingest as _ingest  # noqa: F401
    from tracehound.cli import keys as _keys  # noqa: F401
    from tracehound.cli import lookups as _lookups  # noqa: F401
    from tracehound.cli import metrics as _metrics  # noqa: F401
    from tracehound.cli import migrate as _migrate  # noqa: F401
    from tracehound.cli import prices as _prices  # noqa: F401
    from tracehound.cli import retention as _retention  # noqa: F401
    from tracehound.cli import runs as _runs  # noqa: F401
    from tracehound.cli import serve as _serve  # noqa: F401
    from tracehound.cli import sql as _sql  # noqa: F401
    from tracehound.cli import traces as _traces  # noqa: F401
    from tracehound.cli.root import main

__all__ = ["main"]
