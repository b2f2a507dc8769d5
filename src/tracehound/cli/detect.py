"""``tracehound detect NAME``: run a failure detector over the local store and print its findings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from tracehound.cli.output import echo_json
from tracehound.cli.root import cli_stores, data_dir_option, main


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _lines(path: str | None) -> list[str] | None:
    if path is None:
        return None
    return [line.strip() for line in Path(path).read_text().splitlines() if line.strip() and not line.startswith("#")]


@main.command()
@click.argument("name")
@data_dir_option
@click.option("--window", default=None, help="Duration ending now or at --end (15m, 24h, 7d) [default 24h].")
@click.option("--start", default=None, help="Window start (ISO-8601).")
@click.option("--end", default=None, help="Window end (ISO-8601).")
@click.option("--project", default=None, help="Only this project.")
@click.option("--split", default=None, help="tool_drift: where 'before' ends (ISO-8601 or -12h).")
@click.option("--urls", "urls_file", type=click.Path(exists=True), help="hallucination: allowed URLs, one a line.")
@click.option("--prices", "prices_file", type=click.Path(exists=True),
              help="hallucination: catalog prices, one a line.")
@click.option("--names", "names_file", type=click.Path(exists=True), help="hallucination: directory names, one a line.")
@click.option("--param", "extra", multiple=True, metavar="KEY=VALUE", help="Any other parameter (JSON values allowed).")
@click.option("--save", is_flag=True, help="Keep the result in the store's detector history.")
@click.option("--check", is_flag=True, help="Exit with status 1 when the detector fires (for CI).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def detect(name: str, data_dir: str | None, window: str | None, start: str | None, end: str | None,
           project: str | None, split: str | None, urls_file: str | None, prices_file: str | None,
           names_file: str | None, extra: tuple[str, ...], save: bool, check: bool, as_json: bool) -> None:
    """Run detector NAME (``tracehound detect list`` shows them all with their parameters).

    \b
    tracehound detect tool_drift --window 7d --split -3d
    tracehound detect hallucination --urls kb_urls.txt --prices prices.txt --names staff.txt
    tracehound detect worst_sessions --window 24h --json
    """
    from tracehound.analytics import detectors
    from tracehound.errors import TracehoundError

    if name == "list":
        for item in detectors.describe():
            click.echo(f"{item['name']}: {item['description']}")
            for key, param in item["params"].items():
                click.echo(f"    {key} (default {param['default']!r}): {param['help']}")
        return
    params: dict[str, Any] = {"window": window, "start": start, "end": end, "project": project, "split": split,
                              "urls": _lines(urls_file), "prices": _lines(prices_file), "names": _lines(names_file)}
    try:
        known = {**detectors.COMMON, **detectors.get(name).PARAMS}
    except TracehoundError as exc:
        raise click.UsageError(str(exc)) from None
    params = {k: v for k, v in params.items() if v is not None and k in known}  # options of other detectors
    for item in extra:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.UsageError(f"--param {item!r}: expected KEY=VALUE")
        params[key] = _value(value)
    stores = cli_stores(data_dir)
    try:
        try:
            result = detectors.run(name, stores.spans, params)
        except TracehoundError as exc:
            raise click.UsageError(str(exc)) from None
        saved_id = None
        if save:
            from tracehound.analytics.detectors.results import DetectorResultStore

            saved_id = DetectorResultStore(stores.meta.detector_results).save(result)
    finally:
        stores.close()
    body = result.to_dict()
    if as_json:
        echo_json({**body, **({"id": saved_id} if saved_id else {})})
    else:
        click.echo(f"{name}: {'FIRED' if result.fired else 'quiet'}: {result.summary}")
        for finding in result.findings:
            click.echo(f"  - {finding.message}")
            for trace in finding.traces[:5]:
                click.echo(f"      trace {trace}")
    if check and result.fired:
        raise SystemExit(1)
