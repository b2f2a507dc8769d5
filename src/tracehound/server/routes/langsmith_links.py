"""The LangSmith UI's link shapes, answered by redirects to our pages, so links the SDK prints open.

``evaluate()`` prints ``<web>/o/<tenant>/datasets/<dataset>/compare?selectedSessions=<experiment>``;
runs and projects link as ``<web>/o/<tenant>/projects/p/<project>[/r/<run>]``. ``<web>`` is the
client's ``web_url``; without one the SDK derives it from ``LANGSMITH_ENDPOINT`` (for
``http://127.0.0.1:6180`` it assumes ``http://localhost`` on port 80, so pass
``Client(web_url="http://127.0.0.1:6180")`` or use the host's name: see docs/langsmith.md).
"""

from __future__ import annotations

import urllib.parse

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from tracehound.errors import NotFound
from tracehound.server import access
from tracehound.server.services import Services, services

router = APIRouter(include_in_schema=False)


def _q(text: str) -> str:
    return urllib.parse.quote(text, safe="")


@router.get("/o/{tenant}/datasets/{dataset_id}/compare")
def compare_link(tenant: str, dataset_id: str, request: Request,
                 svc: Services = Depends(services)) -> RedirectResponse:
    """One experiment: its dataset's page; two or more: the first two side by side."""
    selected = [s for value in request.query_params.getlist("selectedSessions") for s in value.split(",") if s]
    experiments = [svc.meta.experiments.get_experiment(s) for s in selected]
    found = [x for x in experiments if x is not None]
    if len(found) >= 2:
        return RedirectResponse(f"/evals/compare?baseline={_q(found[0].name)}&candidate={_q(found[1].name)}", 307)
    dataset = svc.meta.datasets.get_dataset(dataset_id)
    if dataset is None:
        raise NotFound(f"no dataset {dataset_id}")
    anchor = f"#x-{_q(found[0].name)}" if found else ""
    return RedirectResponse(f"/evals/datasets/{_q(dataset.name)}{anchor}", 307)


@router.get("/o/{tenant}/projects/p/{project_id}")
def project_link(tenant: str, project_id: str, svc: Services = Depends(services)) -> RedirectResponse:
    experiment = svc.meta.experiments.get_experiment(project_id)
    if experiment is not None:
        return RedirectResponse(f"/runs?project={_q(experiment.project)}", 307)
    return RedirectResponse(f"/runs?project={_q(project_id)}", 307)


@router.get("/o/{tenant}/projects/p/{project_id}/r/{run_id}")
def run_link(tenant: str, project_id: str, run_id: str, svc: Services = Depends(services)) -> RedirectResponse:
    span = svc.spans.get_span(run_id.lower())
    if span is None or not access.current().sees(span.project):
        raise NotFound(f"no run {run_id}")
    return RedirectResponse(f"/trace/{span.trace_id}?span={span.id}", 307)
