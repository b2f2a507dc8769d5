"""``tracehound serve``: run the API server on the embedded store, or on the stores ``--spans``/``--meta`` name."""

from __future__ import annotations

import click

from tracehound.cli.root import data_dir_option, load_settings, main
from tracehound.settings import Settings


@main.command()
@data_dir_option
@click.option("--host", default=None, help="Address to listen on [TRACEHOUND_HOST, default 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port to listen on [TRACEHOUND_PORT, default 6180].")
@click.option("--spans", "spans_url", default=None, metavar="URL",
              help="Span store: sqlite:///file.db, clickhouse://host:8123/db or chdb:///path"
                   " [TRACEHOUND_SPANS_URL, default the data dir's SQLite file].")
@click.option("--meta", "meta_url", default=None, metavar="URL",
              help="Meta store: sqlite:///file.db or postgresql://host:5432/db"
                   " [TRACEHOUND_META_URL, default the data dir's SQLite file].")
@click.option("--grpc-port", type=int, default=None,
              help="Also accept OTLP/gRPC on this port (4317 by convention; needs the grpc extra)"
                   " [TRACEHOUND_GRPC_PORT, default off].")
@click.option("--log-level", default="warning", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def serve(data_dir: str | None, host: str | None, port: int | None, spans_url: str | None, meta_url: str | None,
          grpc_port: int | None, log_level: str) -> None:
    """Run the tracehound server (ingest, query and UI) until interrupted."""
    settings = load_settings(data_dir=data_dir, host=host, port=port, spans_url=spans_url, meta_url=meta_url,
                             grpc_port=grpc_port)
    run_server(settings, log_level=log_level)


def tune_garbage_collector() -> None:
    """Make the cyclic collector run rarely: ingest allocates many short-lived, acyclic objects.

    With the default threshold (700) a 1,000-span batch sets off dozens of collections, and the
    periodic full ones walk every object the server holds: measured at a quarter of the request
    thread's time. Objects alive after start-up are frozen out of collection altogether.
    """
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def run_server(settings: Settings, *, log_level: str = "warning") -> None:
    """Start uvicorn on the app; returns when the server stops (Ctrl-C or SIGTERM)."""
    import uvicorn

    from tracehound.errors import ConfigError
    from tracehound.server.app import create_app
    from tracehound.store.factory import StoreConfig, redact

    try:
        app = create_app(settings)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    tune_garbage_collector()
    config = StoreConfig.from_settings(settings)
    where = (f"spans: {redact(config.spans_url)}, meta: {redact(config.meta_url)}"
             if settings.spans_url or settings.meta_url else f"data: {settings.data_dir}")
    click.echo(f"tracehound listening on http://{settings.host}:{settings.port} ({where})")
    if settings.grpc_port:
        click.echo(f"OTLP/gRPC on {settings.host}:{settings.grpc_port}")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=log_level, access_log=False,
                http="httptools", loop="uvloop", timeout_keep_alive=30)
