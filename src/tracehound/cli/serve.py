"""``tracehound serve``: run the API server on the embedded store."""

from __future__ import annotations

import click

from tracehound.cli.root import data_dir_option, load_settings, main
from tracehound.settings import Settings


@main.command()
@data_dir_option
@click.option("--host", default=None, help="Address to listen on [TRACEHOUND_HOST, default 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port to listen on [TRACEHOUND_PORT, default 6180].")
@click.option("--log-level", default="warning", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def serve(data_dir: str | None, host: str | None, port: int | None, log_level: str) -> None:
    """Run the tracehound server (ingest, query and UI) until interrupted."""
    settings = load_settings(data_dir=data_dir, host=host, port=port)
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

    from tracehound.server.app import create_app

    app = create_app(settings)
    tune_garbage_collector()
    click.echo(f"tracehound listening on http://{settings.host}:{settings.port} (data: {settings.data_dir})")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=log_level, access_log=False,
                http="httptools", loop="uvloop", timeout_keep_alive=30)
