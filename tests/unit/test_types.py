"""The model and the SDK type-check under ``mypy --strict`` (the files are listed in pyproject.toml)."""

from __future__ import annotations

from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[2]


def test_model_and_sdk_are_strictly_typed() -> None:
    stdout, stderr, status = api.run(["--config-file", str(ROOT / "pyproject.toml"),
                                      "--cache-dir", str(ROOT / ".mypy_cache"),
                                      str(ROOT / "src" / "tracehound" / "model.py"),
                                      str(ROOT / "src" / "tracehound" / "sdk")])
    assert status == 0, stdout + stderr
