"""``tracehound trace ID``: a trace tree with timings, read from the embedded store."""

from __future__ import annotations

import click

from tracehound.cli.root import data_dir_option, load_settings, main, open_store
from tracehound.store.base import TreeNode


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "running"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def render_tree(nodes: list[TreeNode]) -> list[str]:
    """One line per span: offset from the trace start, indented name, run type, duration, status."""
    start = min(node.span.start_us for node in nodes)
    lines = []
    for node in nodes:
        span = node.span
        offset_ms = (span.start_us - start) / 1000
        label = "  " * node.depth + span.name
        extra = []
        if span.total_tokens:
            extra.append(f"{span.total_tokens} tok")
        if span.cost:
            extra.append(f"${span.cost:.4f}")
        status = span.status if span.status != "error" else f"error: {(span.error or '').splitlines()[0][:60]}"
        if span.status == "interrupted" and span.status_reason:
            status = f"interrupted ({span.status_reason})"
        lines.append(f"+{offset_ms:>9.1f} ms  {label:<44} {span.run_type:<9} {_duration(span.latency_s):>10}  "
                     f"{status}{'  ' + ', '.join(extra) if extra else ''}")
    return lines


@main.command()
@click.argument("trace_id")
@data_dir_option
def trace(trace_id: str, data_dir: str | None) -> None:
    """Print the span tree of TRACE_ID with offsets, durations, status and tokens."""
    with open_store(data_dir) as store:
        nodes = store.get_trace(trace_id.lower())
    if not nodes:
        raise click.ClickException(f"no trace with id {trace_id} in {load_settings(data_dir=data_dir).data_dir}")
    click.echo(f"trace {trace_id}  ({len(nodes)} spans)")
    for line in render_tree(nodes):
        click.echo(line)
