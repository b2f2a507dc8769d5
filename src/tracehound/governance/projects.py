"""Project management: create, rename, delete (with confirmation), each audited.

Renaming and deleting change the project record at once; the spans follow in the background
(``retention.finish_project_changes``, run by the retention worker in small batches), so a project
of millions of spans never holds the writer. A deleted project's name may be reused only once its
spans are gone.
"""

from __future__ import annotations

from tracehound.errors import Conflict, InvalidValue, NotFound
from tracehound.governance import audit
from tracehound.governance.retention import DELETING, RENAMING
from tracehound.store.base import MetaStore, Project
from tracehound.timefmt import now_us

MAX_NAME_CHARS = 200


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME_CHARS:
        raise InvalidValue(f"a project name needs 1 to {MAX_NAME_CHARS} characters", field="name")
    return name


def create_project(meta: MetaStore, name: str, *, description: str | None, actor: str) -> Project:
    name = _check_name(name)
    if meta.governance.get_project_setting(name, DELETING) is not None:
        raise Conflict(f"project {name!r} is still being deleted; try again shortly", field="name")
    project = meta.create_project(name, description=description)
    audit.record(meta.governance, actor, "project.create", name, name)
    return project


def rename_project(meta: MetaStore, old: str, new: str, *, actor: str) -> Project:
    new = _check_name(new)
    if meta.governance.get_project_setting(old, RENAMING) is not None:
        raise Conflict(f"project {old!r} is being renamed already", field="name")
    project = meta.rename_project(old, new)
    meta.governance.set_project_setting(old, RENAMING, new)
    audit.record(meta.governance, actor, "project.rename", old, new, new_name=new)
    return project


def delete_project(meta: MetaStore, name: str, *, confirm: str | None, actor: str) -> None:
    """Forget the project now; its spans go in the background. ``confirm`` must repeat the name."""
    if confirm != name:
        raise InvalidValue(f"to delete project {name!r} and all its spans, repeat its name as confirm",
                          field="confirm")
    if not meta.delete_project(name):
        raise NotFound(f"no project named {name!r}")
    meta.governance.set_project_setting(name, DELETING, now_us())
    meta.governance.delete_retention(name)
    audit.record(meta.governance, actor, "project.delete", name, name)
