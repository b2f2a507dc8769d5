"""``tracehound migrate``: copy an embedded data directory into the scale-out stores."""

from __future__ import annotations

from pathlib import Path

import click

from tracehound.cli.root import main


@main.command()
@click.option("--from", "source_dir", required=True, type=click.Path(file_okay=False, exists=True),
              help="The data directory to copy (its tracehound.db). Stop the server that uses it first.")
@click.option("--spans", "spans_url", required=True, help="Target span store: clickhouse://… or chdb:///path.")
@click.option("--meta", "meta_url", required=True, help="Target meta store: postgresql://…")
@click.option("--batch", type=int, default=2000, show_default=True, help="Spans per write.")
@click.option("--state", "state_file", type=click.Path(dir_okay=False), default=None,
              help="Where progress is kept for resuming [<from>/migrate-state.json].")
def migrate(source_dir: str, spans_url: str, meta_url: str, batch: int, state_file: str | None) -> None:
    """Copy spans, feedback and every meta record to other stores; resumable, checked by counts.

    Run it again after an interruption: it continues from the last page copied. It exits with
    status 1 when a count differs between the two sides.
    """
    from tracehound.store.factory import StoreConfig, Stores, open_stores, redact
    from tracehound.store.migration import Side
    from tracehound.store.migration import migrate as copy

    source = open_stores(Path(source_dir))
    target = Stores(StoreConfig(spans_url, meta_url))
    state = Path(state_file) if state_file else Path(source_dir) / "migrate-state.json"
    try:
        report = copy(Side(source.spans, source.meta, source.feedback),
                      Side(target.spans, target.meta, target.feedback),
                      state_path=state, key=f"{redact(spans_url)} {redact(meta_url)}", batch=batch,
                      echo=lambda line: click.echo(line, err=True))
    finally:
        target.close()
        source.close()
    if report.resumed:
        click.echo("(resumed from an earlier run)")
    width = max(len(name) for name in report.counts)
    click.echo(f"{'':{width}}  {'source':>10}  {'target':>10}")
    for name, (before, after) in report.counts.items():
        mark = "" if before == after else "   MISMATCH"
        click.echo(f"{name:{width}}  {before:>10}  {after:>10}{mark}")
    if not report.ok:
        raise SystemExit(1)
    click.echo("every count matches")
