"""LangSmith projects ("tracer sessions") over our projects, and experiments over our experiments.

A LangSmith project is one of our projects, found by name. Its UUID is the one the client chose when
it created it (kept in the project's metadata under ``langsmith.id``), else a UUID derived from the
name, so projects created by ingest have a stable id too. A session with a ``reference_dataset_id``
(what ``evaluate()`` creates) is also one of our experiments, with the same id and name, whose
runs are traced into the project of that name.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Final

from tracehound.server.services import Services
from tracehound.store.base import Experiment, Project
from tracehound.timefmt import iso

NAMESPACE: Final = uuid.UUID("0b7e3f0e-6a1c-5e8e-9d53-7c0a4f1e2b6d")
TENANT_ID: Final = str(uuid.uuid5(NAMESPACE, "tenant"))
LS_KEY: Final = "langsmith"  # project metadata key holding the LangSmith id and end time
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


def is_uuid(text: str) -> bool:
    return bool(_UUID.match(text))


def project_id(project: Project) -> str:
    """The project's LangSmith UUID."""
    own = project.metadata.get(LS_KEY)
    if isinstance(own, dict) and isinstance(own.get("id"), str):
        return own["id"]
    return derived_id(project.name)


def derived_id(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"project:{name}"))


def find_project(svc: Services, id_or_name: str) -> Project | None:
    """A project by LangSmith id (client-chosen or derived) or, failing that, by name."""
    if is_uuid(id_or_name):
        wanted = str(uuid.UUID(id_or_name))
        for project in svc.meta.list_projects():
            if project_id(project) == wanted:
                return project
    return svc.meta.get_project(id_or_name)


def project_names(svc: Services, ids: list[str]) -> list[str]:
    """Names of the projects with these ids; an unknown id names nothing."""
    wanted = {str(uuid.UUID(i)) for i in ids if is_uuid(i)}
    names = [p.name for p in svc.meta.list_projects() if project_id(p) in wanted]
    return names or ["\x00no such project"]


def ids_by_name(svc: Services, names: set[str]) -> dict[str, str]:
    """Each project name's LangSmith id (names not stored as projects get the derived id)."""
    result = {}
    for name in names:
        project = svc.meta.get_project(name)
        result[name] = project_id(project) if project is not None else derived_id(name)
    return result


def user_metadata(project: Project) -> dict[str, Any]:
    return {key: value for key, value in project.metadata.items() if key != LS_KEY}


def session_record(project: Project, experiment: Experiment | None) -> dict[str, Any]:
    """A project as LangSmith's ``TracerSession`` (every key the SDK's schema requires)."""
    own = project.metadata.get(LS_KEY) if isinstance(project.metadata.get(LS_KEY), dict) else {}
    end_time = own.get("end_time") or (iso(experiment.ended_us) if experiment and experiment.ended_us else None)
    return {
        "id": project_id(project), "tenant_id": TENANT_ID, "name": project.name,
        "description": project.description, "start_time": iso(project.created_us), "end_time": end_time,
        "extra": {"metadata": user_metadata(project)},
        "reference_dataset_id": experiment.dataset_id if experiment else None,
        "default_dataset_id": None, "run_count": None, "latency_p50": None, "latency_p99": None,
        "total_tokens": None, "prompt_tokens": None, "completion_tokens": None, "total_cost": None,
        "feedback_stats": None, "error_rate": None, "last_run_start_time": None, "trace_tier": None,
    }
