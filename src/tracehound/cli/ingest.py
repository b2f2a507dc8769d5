"""``tracehound ingest report``: what the OTLP ingest recognised, dropped and defaulted, per source."""

from __future__ import annotations

from typing import Any

import click

from tracehound.cli.output import echo_json
from tracehound.cli.root import data_dir_option, load_settings, main


@main.group()
def ingest() -> None:
    """Inspect ingest: how telemetry from each source was mapped."""


@ingest.command()
@data_dir_option
@click.option("--url", default=None, help="Ask a running server (e.g. http://127.0.0.1:6180) instead of the data dir.")
@click.option("--service", default=None, help="Only this service.name.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def report(data_dir: str | None, url: str | None, service: str | None, as_json: bool) -> None:
    """Per source (service.name + instrumentation scope): conventions recognised, which convention
    filled each field, empty fields and why, unmapped, dropped and truncated attributes, rejected spans.

    Reads the embedded store (saved by the server at most once a second), or a server with --url.
    """
    sources = _from_server(url, service) if url else _from_store(data_dir, service)
    if as_json:
        echo_json({"sources": sources})
        return
    if not sources:
        click.echo("No OTLP spans ingested yet. Point an exporter at <server>/v1/traces.")
        return
    for source in sources:
        for line in render_source(source):
            click.echo(line)
        click.echo("")


def _from_server(url: str, service: str | None) -> list[dict[str, Any]]:
    import httpx

    try:
        response = httpx.get(f"{url.rstrip('/')}/api/v1/ingest/report", params={"service": service} if service
                             else None, timeout=10)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot read the report from {url}: {exc}") from None
    return list(response.json()["sources"])


def _from_store(data_dir: str | None, service: str | None) -> list[dict[str, Any]]:
    from tracehound.ingest.otlp.report_store import ReportStore
    from tracehound.store.factory import open_stores

    stores = open_stores(load_settings(data_dir=data_dir))
    try:
        sources = [stats.to_dict() for stats in ReportStore(stores.meta.ingest_sources).load()]
    finally:
        stores.close()
    return [s for s in sources if service is None or s["service"] == service]


def _counts(counter: dict[str, int], limit: int = 8) -> str:
    items = list(counter.items())
    text = ", ".join(f"{key} {count}" for key, count in items[:limit])
    return text + (f", … {len(items) - limit} more" if len(items) > limit else "") if text else "-"


def render_source(source: dict[str, Any]) -> list[str]:
    """The text form of one source's report."""
    version = f" {source['scope_version']}" if source.get("scope_version") else ""
    lines = [
        f"service {source['service']}  scope {source['scope']}{version}",
        f"  spans {source['spans']}: stored {source['stored']}, rejected {source['rejected']},"
        f" dropped {sum(source['dropped'].values())}   last seen {source['last_seen']}",
        f"  projects:      {_counts(source['projects'])}",
        f"  conventions:   {_counts(source['conventions'])}",
        f"  run types:     {_counts(source['run_types'])}",
    ]
    lines.append("  fields (which convention filled them):")
    for name, counter in source["fields"].items():
        lines.append(f"    {name:<18} {_counts(counter)}")
    for label, key in (("empty fields", "missing"), ("defaulted", "defaulted"), ("dropped", "dropped"),
                       ("unmapped attributes (kept in metadata.otel.attributes)", "unmapped_attributes"),
                       ("ignored attributes", "ignored_attributes"), ("truncated attributes", "truncated_attributes"),
                       ("rejections", "rejections")):
        if source[key]:
            lines.append(f"  {label}: {_counts(source[key])}")
    lines.extend(f"  hint: {hint}" for hint in source["hints"])
    return lines
