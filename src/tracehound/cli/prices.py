"""``tracehound prices ...``: the price table, per-project overrides, unpriced models, re-pricing a window."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from tracehound.cli.output import echo_json, echo_rows
from tracehound.cli.root import cli_stores, closing_for_cli, data_dir_option, main, open_store


@contextmanager
def _meta(data_dir: str | None) -> Iterator[Any]:
    with closing_for_cli(cli_stores(data_dir)) as stores:
        yield stores.meta


@main.group()
def prices() -> None:
    """Model prices: the shipped table, your overrides, what is unpriced, re-pricing past spans."""


@prices.command("list")
@data_dir_option
@click.option("--project", default=None, help="Only this project's overrides.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_prices(data_dir: str | None, project: str | None, as_json: bool) -> None:
    """The shipped prices (USD per 1M tokens, with source and date) and the overrides in force."""
    from tracehound.ingest.price_overrides import override_dict, table

    with _meta(data_dir) as meta:
        overrides = [override_dict(o) for o in meta.prices.list_overrides(project)]
    shipped = table()
    if as_json:
        echo_json({**shipped, "overrides": overrides})
        return
    echo_rows(shipped["prices"], ["provider", "model", "input", "output", "cached_input", "cache_write",
                                  "effective", "checked"], False)
    if overrides:
        click.echo("")
        echo_rows(overrides, ["project", "model", "effective", "input", "output", "cached_input", "cache_write",
                              "source"], False)


@prices.command("set")
@data_dir_option
@click.argument("model")
@click.option("--project", default="*", show_default=True, help="Project the price applies to (* = every project).")
@click.option("--input", "input_", type=float, required=True, help="USD per 1M prompt tokens.")
@click.option("--output", type=float, required=True, help="USD per 1M completion tokens.")
@click.option("--cached-input", type=float, default=None, help="USD per 1M cache-read tokens (default: input).")
@click.option("--cache-write", type=float, default=None, help="USD per 1M cache-write tokens (default: input).")
@click.option("--reasoning", type=float, default=None, help="USD per 1M reasoning tokens (default: output).")
@click.option("--effective", default="2000-01-01", show_default=True, help="ISO date the price applies from.")
@click.option("--source", default=None, help="Where the price comes from (a URL, a contract).")
def set_price(data_dir: str | None, model: str, project: str, input_: float, output: float,
              cached_input: float | None, cache_write: float | None, reasoning: float | None, effective: str,
              source: str | None) -> None:
    """Add or replace a price for MODEL; new spans use it (a running server reloads within 30 s)."""
    from tracehound.errors import QueryError
    from tracehound.ingest.price_overrides import override_dict, parse_override

    body = {"project": project, "model": model, "input": input_, "output": output, "cached_input": cached_input,
            "cache_write": cache_write, "reasoning": reasoning, "effective": effective, "source": source}
    try:
        override = parse_override(body)
    except QueryError as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{(exc.field or 'model').replace('_', '-')}") from None
    with _meta(data_dir) as meta:
        echo_json(override_dict(meta.prices.set_override(override)))


@prices.command("delete")
@data_dir_option
@click.argument("model")
@click.option("--project", default="*", show_default=True, help="Project of the override.")
@click.option("--effective", default=None, help="Only the override from this date (default: all of MODEL's).")
def delete_price(data_dir: str | None, model: str, project: str, effective: str | None) -> None:
    """Remove an override; the shipped price (if any) applies again."""
    with _meta(data_dir) as meta:
        deleted = meta.prices.delete_override(project, model, effective)
    if not deleted:
        raise click.ClickException(f"no override for {model!r} in project {project!r}")
    click.echo(f"deleted {deleted} override(s)")


@prices.command()
@data_dir_option
@click.option("--window", default="7d", show_default=True, help="Duration ending now.")
@click.option("--project", default=None, help="Only this project.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def unpriced(data_dir: str | None, window: str, project: str | None, as_json: bool) -> None:
    """Models llm spans used with tokens but no price: their cost is null until you add one."""
    from tracehound.analytics.metrics import Window
    from tracehound.timefmt import iso

    win = Window.last(window)
    with open_store(data_dir) as store:
        rows = [{"project": m.project, "model": m.model, "spans": m.spans, "total_tokens": m.total_tokens,
                 "last_seen": iso(m.last_us)}
                for m in store.costs.unpriced_models(win.start_us, win.end_us, project)]
    echo_rows(rows, ["project", "model", "spans", "total_tokens", "last_seen"], as_json)


@prices.command()
@data_dir_option
@click.option("--window", default=None, help="Duration ending now (e.g. 30d); or give --start/--end.")
@click.option("--start", default=None, help="ISO start of the window.")
@click.option("--end", default=None, help="ISO end of the window (default: now).")
@click.option("--project", default=None, help="Only this project.")
@click.option("--model", default=None, help="Only this model id.")
@click.option("--include-sdk", is_flag=True, help="Also re-price costs our SDK computed on the client.")
@click.option("--dry-run", is_flag=True, help="Count and sum only; change nothing.")
def reprice(data_dir: str | None, window: str | None, start: str | None, end: str | None, project: str | None,
            model: str | None, include_sdk: bool, dry_run: bool) -> None:
    """Re-price stored llm spans in a past window with today's table and overrides (rollups follow)."""
    from tracehound.analytics.metrics import Window
    from tracehound.ingest.enrich import Pricer
    from tracehound.ingest.repricing import reprice as run

    if window is None and start is None:
        raise click.UsageError("give --window (e.g. 30d) or --start")
    with _meta(data_dir) as meta:
        pricer = Pricer(meta.prices.override_rows())
    win = Window.parse(window, start, end)
    with open_store(data_dir) as store:
        result = run(store.costs, pricer, win.start_us, win.end_us, project=project, model=model,
                     include_sdk=include_sdk, dry_run=dry_run)
    echo_json({"dry_run": dry_run, **result.to_dict()})
