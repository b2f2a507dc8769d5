"""The root click group and the options every command shares."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

import tracehound
from tracehound.errors import TracehoundError
from tracehound.settings import Settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(tracehound.__version__, prog_name="tracehound")
def main() -> None:
    """tracehound: traces, queries, alerts and evals for LLM agents."""


def data_dir_option(func: Any) -> Any:
    return click.option("--data-dir", envvar="TRACEHOUND_DATA_DIR", default=None,
                        help="Directory of the embedded store [TRACEHOUND_DATA_DIR, default ~/.tracehound].")(func)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment with the command's flags on top, errors shown as usage errors."""
    from tracehound.errors import ConfigError

    try:
        return Settings.load(**overrides)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


@main.command()
def version() -> None:
    """Print the tracehound version."""
    click.echo(tracehound.__version__)


@contextmanager
def closing_for_cli(resource: Any) -> Iterator[Any]:
    """Yield ``resource`` and close it afterwards; tracehound errors become clean CLI errors."""
    try:
        yield resource
    except TracehoundError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        resource.close()


def cli_stores(data_dir: str | None) -> Any:
    """The configured stores (``TRACEHOUND_SPANS_URL``/``_META_URL``, else ``--data-dir``), opened on use."""
    from tracehound.store.factory import open_stores

    return open_stores(load_settings(data_dir=data_dir))


@contextmanager
def open_store(data_dir: str | None) -> Iterator[Any]:
    """The span store, closed afterwards; tracehound errors become CLI errors."""
    with closing_for_cli(cli_stores(data_dir)) as stores:
        yield stores.spans
