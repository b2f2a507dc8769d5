"""How commands print: a fixed-width table for people, indented JSON for scripts."""

from __future__ import annotations

from typing import Any

import click
import msgspec

MAX_COLUMN_CHARS = 40


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON."""
    click.echo(msgspec.json.format(msgspec.json.encode(data), indent=2).decode())


def table(rows: list[dict[str, Any]], columns: tuple[str, ...] | list[str]) -> list[str]:
    """Fixed-width text columns, each as wide as its widest cell (capped at 40 characters)."""
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [min(MAX_COLUMN_CHARS, max([len(column)] + [len(line[i]) for line in cells]))
              for i, column in enumerate(columns)]
    lines = ["  ".join(column.upper().ljust(width) for column, width in zip(columns, widths, strict=True))]
    lines.extend("  ".join(cell[:width].ljust(width) for cell, width in zip(line, widths, strict=True))
                 for line in cells)
    return [line.rstrip() for line in lines]


def echo_rows(rows: list[dict[str, Any]], columns: tuple[str, ...] | list[str], as_json: bool) -> None:
    """Print rows as JSON when asked, else as a table of ``columns``."""
    if as_json:
        echo_json(rows)
        return
    for line in table(rows, columns):
        click.echo(line)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)
