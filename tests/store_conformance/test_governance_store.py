"""The behaviour every MetaStore's ``governance`` records and every SpanStore's ``retention`` must have."""

from __future__ import annotations

import pytest

from tracehound.errors import Conflict, NotFound
from tracehound.model import Span
from tracehound.store.base import MetaStore, SpanStore
from tracehound.store.governance import ApiKey, AuditEntry, RetentionPolicy, RetentionRun, UiSession, User

DAY_US = 86_400 * 1_000_000
NOW_US = 1_776_247_200_000_000 + 100 * DAY_US


def _key(key_id: str = "k1", **fields: object) -> ApiKey:
    values: dict[str, object] = {"id": key_id, "name": f"name-{key_id}", "prefix": f"th_{key_id}",
                                 "key_hash": f"hash-{key_id}", "role": "viewer", "projects": ("a", "b"),
                                 "created_us": 10}
    values.update(fields)
    return ApiKey(**values)  # type: ignore[arg-type]


def test_keys_are_found_by_hash_listed_and_revoked(meta_store: MetaStore) -> None:
    gov = meta_store.governance
    gov.add_api_key(_key("k1"))
    gov.add_api_key(_key("k2", projects=None, role="admin", created_us=20))
    with pytest.raises(Conflict):
        gov.add_api_key(_key("k1"))
    assert gov.find_api_key("hash-k1") == _key("k1")
    assert gov.find_api_key("nope") is None
    assert [k.id for k in gov.list_api_keys()] == ["k2", "k1"]
    assert gov.get_api_key("k2").projects is None  # type: ignore[union-attr]
    assert gov.count_credentials() == 2
    assert gov.revoke_api_key("k1", 99) and not gov.revoke_api_key("k1", 100)
    assert gov.find_api_key("hash-k1").revoked_us == 99  # type: ignore[union-attr]
    assert gov.count_credentials() == 1
    gov.touch_api_keys({"k2": 500})
    gov.touch_api_keys({"k2": 400})  # an older time never goes backwards
    assert gov.get_api_key("k2").last_used_us == 500  # type: ignore[union-attr]


def test_users_are_created_changed_and_disabled(meta_store: MetaStore) -> None:
    gov = meta_store.governance
    gov.add_user(User("alice", "argon-hash", "editor", ("a",), 5))
    with pytest.raises(Conflict):
        gov.add_user(User("alice", "x", "viewer", None, 6))
    assert gov.get_user("alice") == User("alice", "argon-hash", "editor", ("a",), 5)
    changed = gov.update_user("alice", role="admin", all_projects=True, disabled_us=77)
    assert (changed.role, changed.projects, changed.disabled_us) == ("admin", None, 77)
    assert gov.count_credentials() == 0
    assert gov.update_user("alice", disabled_us=0).disabled_us is None
    assert gov.update_user("alice", projects=["z", "y"]).projects == ("y", "z")
    with pytest.raises(NotFound):
        gov.update_user("bob", role="viewer")
    assert [u.username for u in gov.list_users()] == ["alice"]


def test_sessions_are_stored_by_token_hash(meta_store: MetaStore) -> None:
    gov = meta_store.governance
    gov.add_session(UiSession("th1", "user", "alice", 1, 2))
    assert gov.get_session("th1") == UiSession("th1", "user", "alice", 1, 2)
    gov.delete_session("th1")
    assert gov.get_session("th1") is None


def test_the_audit_log_is_append_only_and_pages_newest_first(meta_store: MetaStore) -> None:
    gov = meta_store.governance
    for index in range(5):
        gov.append_audit(AuditEntry(at_us=index, actor="cli:root", action="key.create" if index % 2 else "login",
                                    target=f"t{index}", detail={"n": index}))
    entries = gov.list_audit(limit=2)
    assert [e.target for e in entries] == ["t4", "t3"]
    assert [e.target for e in gov.list_audit(limit=10, before_seq=entries[-1].seq)] == ["t2", "t1", "t0"]
    assert [e.detail for e in gov.list_audit(action="key.create")] == [{"n": 3}, {"n": 1}]


def test_retention_policies_runs_and_settings(meta_store: MetaStore) -> None:
    gov = meta_store.governance
    assert gov.get_retention("p") is None
    gov.set_retention(RetentionPolicy("p", ok_days=7, failed_days=None, payload_days=3, rollup_days=90, updated_us=1))
    gov.set_retention(RetentionPolicy("p", ok_days=14, updated_us=2))
    assert gov.get_retention("p") == RetentionPolicy("p", ok_days=14, updated_us=2)
    gov.add_retention_run(RetentionRun(5, "p", traces=2, spans=9))
    gov.add_retention_run(RetentionRun(6, "q", payloads=4, dry_run=True))
    assert [(r.project, r.dry_run) for r in gov.list_retention_runs()] == [("q", True), ("p", False)]
    assert [r.spans for r in gov.list_retention_runs(project="p")] == [9]
    gov.set_project_setting("p", "redaction", {"enabled": True})
    gov.set_project_setting("q", "redaction", {"enabled": False})
    assert gov.project_settings("redaction") == {"p": {"enabled": True}, "q": {"enabled": False}}
    gov.rename_project_records("p", "p2")
    assert gov.get_retention("p2") is not None and gov.get_project_setting("p2", "redaction") == {"enabled": True}
    gov.set_project_setting("q", "redaction", None)
    assert gov.get_project_setting("q", "redaction") is None
    gov.delete_retention("p2")
    assert gov.list_retention() == []
    first = gov.secret("signing", lambda: b"one")
    assert first == b"one" and gov.secret("signing", lambda: b"two") == b"one"


def _trace(trace: int, project: str, start_us: int, status: str = "ok", size: int = 3,
           keep: bool = False) -> list[Span]:
    root_id = f"00000000-0000-4000-8000-{trace:012d}"
    root = Span(id=root_id, trace_id=root_id, project=project, name="agent", run_type="chain",
                start_time=start_us, end_time=start_us + 1000, status="ok",
                inputs={"q": "secret question"}, outputs={"a": "answer"},
                metadata={"keep": "flagged"} if keep else {})
    children = [Span(id=f"00000000-0000-4000-9000-{trace:06d}{child:06d}", trace_id=root_id, parent_id=root_id,
                     project=project, name="tool", run_type="tool", start_time=start_us + 10 + child,
                     end_time=start_us + 500, status=status if child == 0 else "ok",
                     error="boom" if status == "error" and child == 0 else None,
                     inputs={"x": child}, outputs={"y": child})
                for child in range(size - 1)]
    return [root, *children]


def test_retention_removes_whole_expired_traces_by_class(span_store: SpanStore) -> None:
    old, new = NOW_US - 40 * DAY_US, NOW_US - 1 * DAY_US
    spans = [*_trace(1, "p", old), *_trace(2, "p", old, "error"), *_trace(3, "p", old, keep=True),
             *_trace(4, "p", new), *_trace(5, "other", old), *_trace(6, "p", old, "interrupted")]
    span_store.upsert(spans)
    retention = span_store.retention
    cutoff = NOW_US - 30 * DAY_US
    ok = retention.expired_traces("p", before_us=cutoff, failed=False, limit=10)
    failed = retention.expired_traces("p", before_us=cutoff, failed=True, limit=10)
    assert [t[-2:] for t in ok] == ["01"]
    assert sorted(t[-2:] for t in failed) == ["02", "03", "06"]
    assert retention.count_expired("p", before_us=cutoff, failed=True) == (3, 9)
    skip = {failed[0]}
    assert len(retention.expired_traces("p", before_us=cutoff, failed=True, limit=10, skip=skip)) == 2
    assert retention.delete_traces(ok) == 3
    assert span_store.get_trace(ok[0]) == [] and len(span_store.get_trace(failed[0])) == 3
    assert span_store.count() == 15


def test_dropping_payloads_keeps_the_span_and_its_numbers(span_store: SpanStore) -> None:
    span_store.upsert(_trace(1, "p", NOW_US - 10 * DAY_US) + _trace(2, "p", NOW_US))
    changed, reached = span_store.retention.drop_payloads("p", from_us=0, before_us=NOW_US - DAY_US, limit=2)
    assert changed == 2 and reached is not None
    changed, _ = span_store.retention.drop_payloads("p", from_us=0, before_us=NOW_US - DAY_US, limit=10)
    assert changed == 1
    assert span_store.retention.drop_payloads("p", from_us=0, before_us=NOW_US - DAY_US, limit=10) == (0, None)
    stripped = span_store.get_trace("00000000-0000-4000-8000-000000000001")
    assert [(n.span.inputs, n.span.outputs, n.span.end_time is not None) for n in stripped] == [(None, None, True)] * 3
    kept = span_store.get_trace("00000000-0000-4000-8000-000000000002")
    assert kept[0].span.inputs == {"q": "secret question"}


def test_deleting_and_renaming_a_project_in_batches(span_store: SpanStore) -> None:
    span_store.upsert(_trace(1, "gone", NOW_US, size=4) + _trace(2, "moving", NOW_US, size=3)
                      + _trace(3, "stays", NOW_US))
    assert span_store.retention.delete_project_spans("gone", limit=3) == 3
    assert span_store.retention.delete_project_spans("gone", limit=3) == 1
    assert span_store.retention.rename_project_spans("moving", "moved", limit=2) == 2
    assert span_store.retention.rename_project_spans("moving", "moved", limit=2) == 1
    assert {n.span.project for n in span_store.get_trace("00000000-0000-4000-8000-000000000002")} == {"moved"}
    assert span_store.count() == 6
