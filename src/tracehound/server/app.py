"""``create_app(settings)``: the FastAPI application, its routes and its one error handler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

import tracehound
from tracehound.errors import TracehoundError
from tracehound.server import langsmith
from tracehound.server.auth import AccessControl
from tracehound.server.lazy import LazyApp
from tracehound.server.responses import FastJSON
from tracehound.server.routes import (
    admin,
    keys,
    langfuse,
    langsmith_links,
    login,
    lookups,
    otlp,
    projects,
    retention,
    review_pages,
    runs,
    sessions,
    spans,
    traces,
)
from tracehound.server.routes import alerts as alerts_routes
from tracehound.server.routes import datasets as datasets_routes
from tracehound.server.routes import detectors as detectors_routes
from tracehound.server.routes import experiments as experiments_routes
from tracehound.server.routes import export as export_routes
from tracehound.server.routes import feedback as feedback_routes
from tracehound.server.routes import metrics as metrics_routes
from tracehound.server.routes import online as online_routes
from tracehound.server.routes import pages as pages_routes
from tracehound.server.routes import prices as prices_routes
from tracehound.server.routes import prometheus as prometheus_routes
from tracehound.server.routes import reviews as reviews_routes
from tracehound.server.routes import sampling as sampling_routes
from tracehound.server.routes import sql as sql_routes
from tracehound.server.services import Services
from tracehound.settings import Settings

ROUTERS = (spans.router, traces.router, sessions.router, projects.router, otlp.router, runs.router, lookups.router)
ROUTERS += (datasets_routes.router, experiments_routes.router, feedback_routes.router)
ROUTERS += (sampling_routes.router, keys.router, retention.router, login.router, admin.router)
ROUTERS += (metrics_routes.router, alerts_routes.router, detectors_routes.router, prices_routes.router)
ROUTERS += (online_routes.router, reviews_routes.router, review_pages.router, langsmith_links.router)
ROUTERS += (langfuse.router, prometheus_routes.router, sql_routes.router, export_routes.router)  # the doors
ROUTERS += (pages_routes.router,)  # last: the UI's "/" and "/trace/…" must not shadow an API path


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> FastAPI:
    """Build the app over the embedded store in ``settings.data_dir`` (or over given services)."""
    settings = settings or Settings.load()
    svc = services or Services.open(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc.start()
        grpc_server = None
        try:
            if settings.grpc_port:  # OTLP/gRPC beside the HTTP app, sharing its translator and pipeline
                from tracehound.server.otlp_grpc import OtlpGrpcServer

                grpc_server = OtlpGrpcServer(app, svc, host=settings.host, port=settings.grpc_port)
                grpc_server.start()
            yield
        finally:
            if grpc_server is not None:
                grpc_server.stop()
            svc.close()

    app = FastAPI(title="tracehound", version=tracehound.__version__, lifespan=lifespan,
                  default_response_class=FastJSON)
    app.state.services = svc
    for router in ROUTERS:
        app.include_router(router)
    # The LangSmith API, built on its first request; LangSmithPaths brings the SDK's paths to it.
    app.mount(langsmith.PREFIX, LazyApp(lambda: langsmith.build_app(app)))
    app.add_middleware(AccessControl, authenticator=svc.access)  # inner: sees rewritten paths
    app.add_middleware(langsmith.LangSmithPaths)
    app.add_exception_handler(TracehoundError, _tracehound_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    return app


def _tracehound_error(request: Request, exc: TracehoundError) -> Response:
    if pages_routes.wants_html(request):
        return pages_routes.error_page(exc.status, exc.code, str(exc))
    headers = {}
    retry_after = getattr(exc, "retry_after_s", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return FastJSON(exc.to_dict(), status_code=exc.status, headers=headers)


def _validation_error(request: Request, exc: RequestValidationError) -> FastJSON:
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    return FastJSON({"error": {"code": "invalid_request", "message": f"{where}: {first.get('msg', 'invalid')}",
                               "field": where or None}}, status_code=422)


def _http_error(request: Request, exc: HTTPException) -> Response:
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    if pages_routes.wants_html(request):
        return pages_routes.error_page(exc.status_code, code, str(exc.detail))
    return FastJSON({"error": {"code": code, "message": str(exc.detail), "field": None}},
                    status_code=exc.status_code, headers=exc.headers)
