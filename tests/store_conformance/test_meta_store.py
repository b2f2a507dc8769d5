"""The behaviour every MetaStore must have."""

from __future__ import annotations

from tracehound.store.base import MetaStore


def test_projects_are_created_once(meta_store: MetaStore) -> None:
    meta_store.ensure_projects(["support", "default"])
    created = meta_store.get_project("support")
    meta_store.ensure_projects(["support"])
    assert [p.name for p in meta_store.list_projects()] == ["default", "support"]
    assert meta_store.get_project("support") == created
    assert meta_store.get_project("missing") is None
