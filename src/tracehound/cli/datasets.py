"""``tracehound datasets ...``: create, list, promote runs into, import and export datasets.

With ``--endpoint`` (or ``TRACEHOUND_ENDPOINT``) the commands go through the server's API; otherwise
they work on the embedded store in ``--data-dir``.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import click

from tracehound.cli.eval import endpoint_option
from tracehound.cli.root import closing_for_cli, data_dir_option, load_settings, main


class _Local:
    """The embedded store, shaped like the client's answers."""

    def __init__(self, data_dir: str | None) -> None:
        from tracehound.store.factory import open_stores

        self.stores = open_stores(load_settings(data_dir=data_dir))
        self.meta = self.stores.meta
        self.spans = self.stores.spans

    def create(self, name: str, description: str | None) -> dict[str, Any]:
        dataset = self.meta.datasets.create_dataset(name, description=description)
        return {"name": dataset.name, "id": dataset.id, "version": dataset.version}

    def list(self) -> list[dict[str, Any]]:
        return [{"name": d.name, "version": d.version, "example_count": d.example_count}
                for d in self.meta.datasets.list_datasets()]

    def promote(self, dataset: str, run_id: str, outputs: Any, metadata: dict[str, Any],
                splits: list[str]) -> dict[str, Any]:
        from tracehound.evals.datasets import example_record, promote_run

        return example_record(promote_run(self.spans, self.meta.datasets, dataset, run_id, outputs=outputs,
                                          metadata=metadata, splits=splits))

    def import_(self, dataset: str, text: str, fmt: str) -> int:
        from tracehound.evals.datasets import parse_examples, require_dataset
        from tracehound.store.base import NewExample

        target = require_dataset(self.meta.datasets, dataset)
        news = [NewExample(n.inputs, n.outputs, n.metadata, n.splits, n.source_run_id)
                for n in parse_examples(text, fmt)]
        return len(self.meta.datasets.add_examples(target.id, news, change=f"import {fmt}")) if news else 0

    def export(self, dataset: str, fmt: str, split: str | None) -> str:
        from tracehound.evals.datasets import export_examples, require_dataset

        target = require_dataset(self.meta.datasets, dataset)
        return export_examples(self.meta.datasets.list_examples(target.id, split=split), fmt)

    def close(self) -> None:
        self.stores.close()


class _Remote:
    def __init__(self, endpoint: str) -> None:
        from tracehound.sdk.client import Client

        self.client = Client(endpoint)

    def create(self, name: str, description: str | None) -> dict[str, Any]:
        return self.client.datasets.create(name, description=description)  # type: ignore[no-any-return]

    def list(self) -> list[dict[str, Any]]:
        return self.client.datasets.list()

    def promote(self, dataset: str, run_id: str, outputs: Any, metadata: dict[str, Any],
                splits: list[str]) -> dict[str, Any]:
        return self.client.examples.promote(dataset, run_id, outputs=outputs,  # type: ignore[no-any-return]
                                            metadata=metadata, splits=splits)

    def import_(self, dataset: str, text: str, fmt: str) -> int:
        return int(self.client.datasets.import_(dataset, text, format=fmt)["imported"])

    def export(self, dataset: str, fmt: str, split: str | None) -> str:
        return self.client.datasets.export(dataset, format=fmt, split=split)

    def close(self) -> None:
        pass


def _store(endpoint: str | None, data_dir: str | None) -> AbstractContextManager[Any]:
    return closing_for_cli(_Remote(endpoint) if endpoint else _Local(data_dir))


def _json_arg(text: str | None, name: str) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text  # plain text is a fine reference answer


@main.group()
def datasets() -> None:
    """Datasets of examples for evaluation (create, list, promote, import, export)."""


@datasets.command("create")
@click.argument("name")
@click.option("--description", default=None)
@endpoint_option
@data_dir_option
def create(name: str, description: str | None, endpoint: str | None, data_dir: str | None) -> None:
    """Create the dataset NAME."""
    with _store(endpoint, data_dir) as store:
        created = store.create(name, description)
    click.echo(f"created dataset {created['name']} ({created['id']})")


@datasets.command("list")
@endpoint_option
@data_dir_option
def list_datasets(endpoint: str | None, data_dir: str | None) -> None:
    """List datasets with their version and example count."""
    with _store(endpoint, data_dir) as store:
        for dataset in store.list():
            click.echo(f"{dataset['name']:<32} v{dataset['version']:<5} {dataset['example_count']} examples")


@datasets.command("promote")
@click.argument("dataset")
@click.argument("run_id")
@click.option("--output", "output", default=None, help="Reference output (JSON, or plain text).")
@click.option("--metadata", "metadata", multiple=True, help="KEY=VALUE, repeatable (incident_id=INC-42).")
@click.option("--split", "splits", multiple=True, help="Split to put the example in; repeatable.")
@endpoint_option
@data_dir_option
def promote(dataset: str, run_id: str, output: str | None, metadata: tuple[str, ...], splits: tuple[str, ...],
            endpoint: str | None, data_dir: str | None) -> None:
    """Copy RUN_ID's inputs into DATASET as an example with the given reference output."""
    extra = {}
    for item in metadata:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r}: expected KEY=VALUE", param_hint="--metadata")
        extra[key] = value
    with _store(endpoint, data_dir) as store:
        example = store.promote(dataset, run_id, _json_arg(output, "output"), extra, list(splits))
    click.echo(f"promoted run {run_id} to example {example['id']} (dataset version {example['version']})")


@datasets.command("import")
@click.argument("dataset")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default=None,
              help="Default: from the file extension.")
@endpoint_option
@data_dir_option
def import_examples(dataset: str, path: str, fmt: str | None, endpoint: str | None, data_dir: str | None) -> None:
    """Add the examples of a JSONL or CSV file to DATASET (one new version)."""
    fmt = fmt or ("csv" if path.endswith(".csv") else "jsonl")
    with _store(endpoint, data_dir) as store:
        count = store.import_(dataset, Path(path).read_text(encoding="utf-8-sig"), fmt)
    click.echo(f"imported {count} examples into {dataset}")


@datasets.command("export")
@click.argument("dataset")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--split", default=None)
@endpoint_option
@data_dir_option
def export_examples(dataset: str, fmt: str, split: str | None, endpoint: str | None, data_dir: str | None) -> None:
    """Print DATASET's examples as JSONL or CSV."""
    with _store(endpoint, data_dir) as store:
        click.echo(store.export(dataset, fmt, split), nl=False)
