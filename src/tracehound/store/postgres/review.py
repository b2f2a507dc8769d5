"""``PostgresOnlineStore`` and ``PostgresReviewStore``: the review loop's records, shared by every node.

A port of the SQLite implementation (``store/sqlite/review.py``) with the same contracts; claims take
the oldest free item with ``FOR UPDATE SKIP LOCKED``, so reviewers on different nodes never collide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Final

import msgspec

from tracehound.errors import Conflict, NotFound, StoreError
from tracehound.store.postgres.connection import Postgres
from tracehound.store.review import (
    Annotation,
    AnnotationQueue,
    DeployMarker,
    FeedbackToken,
    Pool,
    PoolMember,
    QueueItem,
)

_encode = msgspec.json.encode


def _json(value: Any) -> str | None:
    return None if value is None else _encode(value).decode()


def _load(text: str | None, default: Any = None) -> Any:
    return default if text is None else msgspec.json.decode(text)


class PostgresOnlineStore:
    """Implements ``OnlineStore`` over the meta store's connection."""

    def __init__(self, db: Postgres) -> None:
        self._db = db

    def put_online_rule(self, rule_id: str, definition: dict[str, Any], now_us: int) -> None:
        with self._db.transaction() as cur:
            cur.execute("INSERT INTO online_rules (id, definition, created_us, updated_us) VALUES (%s, %s, %s, %s)"
                         " ON CONFLICT(id) DO UPDATE SET definition = excluded.definition,"
                         " updated_us = excluded.updated_us", (rule_id, _json(definition), now_us, now_us))

    def online_rules(self) -> list[dict[str, Any]]:
        return [_load(text) for (text,) in self._db.rows("SELECT definition FROM online_rules ORDER BY id")]

    def delete_online_rule(self, rule_id: str) -> bool:
        with self._db.transaction() as cur:
            return cur.execute("DELETE FROM online_rules WHERE id = %s", (rule_id,)).rowcount > 0

    def add_deploy(self, marker: DeployMarker) -> None:
        with self._db.transaction() as cur:
            cur.execute("INSERT INTO deploy_markers VALUES (%s, %s, %s, %s, %s, %s)",
                         (marker.id, marker.project, marker.version, marker.at_us, marker.description,
                          _json(marker.metadata)))

    def list_deploys(self, project: str | None = None, start_us: int | None = None,
                     end_us: int | None = None, limit: int = 1000) -> list[DeployMarker]:
        where, params = _where((("project = %s", project), ("at_us >= %s", start_us), ("at_us < %s", end_us)))
        rows = self._db.rows(f"SELECT id, project, version, at_us, description, metadata FROM deploy_markers{where}"
                             " ORDER BY at_us DESC LIMIT %s", [*params, limit])
        return [DeployMarker(r[0], r[1], r[2], r[3], r[4], _load(r[5], {})) for r in rows]


_QUEUE_FIELDS: Final = ("project", "description", "rubric_instructions", "rubric", "reviewers_per_item", "dataset")
_ITEM_COLUMNS: Final = "queue_id, run_id, trace_id, added_us, source, status, reviews, claimed_by, claim_until_us, seq"
_ANNOTATION_COLUMNS: Final = ("id, queue_id, run_id, reviewer, created_us, labels, reference_output, comment, promote,"
                              " example_id")


class PostgresReviewStore:
    """Implements ``ReviewStore`` over the meta store's connection."""

    def __init__(self, db: Postgres) -> None:
        self._db = db

    # Pools ------------------------------------------------------------------------------------
    def put_pool(self, pool: Pool) -> None:
        definition = {"filter": pool.filter, "reasons": pool.reasons, "sample_rate": pool.sample_rate,
                      "queue_id": pool.queue_id, "params": pool.params}
        try:
            with self._db.transaction() as cur:
                cur.execute("INSERT INTO pools (id, name, project, kind, created_us, definition)"
                             " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT(id) DO UPDATE SET name = excluded.name,"
                             " project = excluded.project, kind = excluded.kind, definition = excluded.definition",
                             (pool.id, pool.name, pool.project, pool.kind, pool.created_us, _json(definition)))
        except StoreError as exc:
            if self._db.is_unique_violation(exc):
                raise Conflict(f"a pool named {pool.name!r} exists already", field="name") from None
            raise

    def get_pool(self, id_or_name: str) -> Pool | None:
        rows = self._db.rows("SELECT id, name, project, kind, created_us, definition FROM pools"
                             " WHERE id = %s OR name = %s ORDER BY id = %s DESC LIMIT 1",
                             (id_or_name, id_or_name, id_or_name))
        return _pool(rows[0]) if rows else None

    def list_pools(self, project: str | None = None) -> list[Pool]:
        where, params = _where((("project = %s", project),))
        return [_pool(r) for r in self._db.rows(
            f"SELECT id, name, project, kind, created_us, definition FROM pools{where} ORDER BY name", params)]

    def delete_pool(self, pool_id: str) -> bool:
        with self._db.transaction() as cur:
            cur.execute("DELETE FROM pool_members WHERE pool_id = %s", (pool_id,))
            return cur.execute("DELETE FROM pools WHERE id = %s", (pool_id,)).rowcount > 0

    def add_pool_members(self, members: Sequence[PoolMember]) -> int:
        if not members:
            return 0
        with self._db.transaction() as cur:
            added = 0
            for m in members:
                added += cur.execute(
                    "INSERT INTO pool_members (pool_id, run_id, trace_id, session_id, added_us, run_start_us, reason,"
                    " stats) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (m.pool_id, m.run_id, m.trace_id, m.session_id, m.added_us, m.run_start_us, m.reason,
                     _json(m.stats))).rowcount
            return added

    def list_pool_members(self, pool_id: str, *, start_us: int | None = None, end_us: int | None = None,
                          limit: int = 1000) -> list[PoolMember]:
        where, params = _where((("pool_id = %s", pool_id), ("run_start_us >= %s", start_us),
                                ("run_start_us < %s", end_us)))
        rows = self._db.rows("SELECT pool_id, run_id, trace_id, added_us, run_start_us, reason, session_id, stats"
                             f" FROM pool_members{where} ORDER BY run_start_us DESC LIMIT %s", [*params, limit])
        return [PoolMember(r[0], r[1], r[2], r[3], r[4], r[5], r[6], _load(r[7], {})) for r in rows]

    def count_pool_members(self, pool_id: str) -> int:
        return int(self._db.rows("SELECT count(*) FROM pool_members WHERE pool_id = %s", (pool_id,))[0][0])

    # Queues -----------------------------------------------------------------------------------
    def create_queue(self, queue: AnnotationQueue) -> AnnotationQueue:
        try:
            with self._db.transaction() as cur:
                cur.execute("INSERT INTO annotation_queues (id, name, created_us, definition) VALUES (%s, %s, %s, %s)",
                             (queue.id, queue.name, queue.created_us, _json(_queue_definition(queue))))
        except StoreError as exc:
            if self._db.is_unique_violation(exc):
                raise Conflict(f"an annotation queue named {queue.name!r} (or with id {queue.id}) exists already",
                               field="name") from None
            raise
        return queue

    def get_queue(self, id_or_name: str) -> AnnotationQueue | None:
        rows = self._db.rows(_QUEUE_SELECT + " WHERE q.id = %s OR q.name = %s ORDER BY q.id = %s DESC LIMIT 1",
                             (id_or_name, id_or_name, id_or_name))
        return _queue(rows[0]) if rows else None

    def list_queues(self) -> list[AnnotationQueue]:
        return [_queue(r) for r in self._db.rows(_QUEUE_SELECT + " ORDER BY q.created_us DESC")]

    def update_queue(self, queue_id: str, **changes: Any) -> AnnotationQueue:
        current = self.get_queue(queue_id)
        if current is None:
            raise NotFound(f"no annotation queue {queue_id}")
        unknown = set(changes) - {"name", *_QUEUE_FIELDS}
        if unknown:
            raise ValueError(f"cannot change {', '.join(sorted(unknown))}")
        updated = replace(current, **{k: v for k, v in changes.items() if v is not None})
        try:
            with self._db.transaction() as cur:
                cur.execute("UPDATE annotation_queues SET name = %s, definition = %s WHERE id = %s",
                             (updated.name, _json(_queue_definition(updated)), current.id))
        except StoreError as exc:
            if self._db.is_unique_violation(exc):
                raise Conflict(f"an annotation queue named {updated.name!r} exists already", field="name") from None
            raise
        return updated

    def delete_queue(self, queue_id: str) -> bool:
        with self._db.transaction() as cur:
            cur.execute("DELETE FROM queue_items WHERE queue_id = %s", (queue_id,))
            cur.execute("DELETE FROM annotations WHERE queue_id = %s", (queue_id,))
            return cur.execute("DELETE FROM annotation_queues WHERE id = %s", (queue_id,)).rowcount > 0

    def add_queue_items(self, items: Sequence[QueueItem]) -> int:
        if not items:
            return 0
        with self._db.transaction() as cur:
            added = 0
            for i in items:
                added += cur.execute("INSERT INTO queue_items (queue_id, run_id, trace_id, added_us, source)"
                                     " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                                     (i.queue_id, i.run_id, i.trace_id, i.added_us, i.source)).rowcount
            return added

    def remove_queue_item(self, queue_id: str, run_id: str) -> bool:
        with self._db.transaction() as cur:
            return cur.execute("DELETE FROM queue_items WHERE queue_id = %s AND run_id = %s",
                                (queue_id, run_id)).rowcount > 0

    def list_queue_items(self, queue_id: str, *, status: str | None = None, reviewer: str | None = None,
                         limit: int = 100, offset: int = 0) -> list[QueueItem]:
        where, params = _where((("queue_id = %s", queue_id), ("status = %s", status)))
        if reviewer is not None:
            where += (" AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.queue_id = queue_items.queue_id"
                      " AND a.run_id = queue_items.run_id AND a.reviewer = %s)")
            params.append(reviewer)
        rows = self._db.rows(f"SELECT {_ITEM_COLUMNS} FROM queue_items{where} ORDER BY seq LIMIT %s OFFSET %s",
                             [*params, limit, offset])
        return [_item(r) for r in rows]

    def claim_next(self, queue_id: str, reviewer: str, now_us: int, lease_us: int,
                   skip: Sequence[str] = ()) -> QueueItem | None:
        skipped = list(skip)[:100]
        not_skipped = f" AND run_id NOT IN ({', '.join(['%s'] * len(skipped))})" if skipped else ""
        with self._db.transaction() as cur:
            if skipped:
                cur.execute("UPDATE queue_items SET claimed_by = NULL, claim_until_us = NULL WHERE queue_id = %s"
                             f" AND claimed_by = %s AND run_id IN ({', '.join(['%s'] * len(skipped))})",
                             (queue_id, reviewer, *skipped))
            own = cur.execute(f"SELECT {_ITEM_COLUMNS} FROM queue_items WHERE queue_id = %s AND status = 'pending'"
                               f" AND claimed_by = %s AND claim_until_us > %s{not_skipped} ORDER BY seq LIMIT 1",
                               (queue_id, reviewer, now_us, *skipped)).fetchone()
            if own is not None:
                return _item(own)
            row = cur.execute(
                f"SELECT {_ITEM_COLUMNS} FROM queue_items WHERE queue_id = %s AND status = 'pending'"
                " AND (claimed_by IS NULL OR claim_until_us <= %s)"
                " AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.queue_id = queue_items.queue_id"
                f" AND a.run_id = queue_items.run_id AND a.reviewer = %s){not_skipped} ORDER BY seq LIMIT 1"
                " FOR UPDATE SKIP LOCKED",
                (queue_id, now_us, reviewer, *skipped)).fetchone()
            if row is None:
                return None
            cur.execute("UPDATE queue_items SET claimed_by = %s, claim_until_us = %s WHERE seq = %s",
                         (reviewer, now_us + lease_us, row[9]))
        return replace(_item(row), claimed_by=reviewer, claim_until_us=now_us + lease_us)

    def release_claim(self, queue_id: str, run_id: str, reviewer: str) -> None:
        with self._db.transaction() as cur:
            cur.execute("UPDATE queue_items SET claimed_by = NULL, claim_until_us = NULL"
                         " WHERE queue_id = %s AND run_id = %s AND claimed_by = %s", (queue_id, run_id, reviewer))

    def add_annotation(self, annotation: Annotation, now_us: int) -> QueueItem:
        a = annotation
        with self._db.transaction() as cur:
            found = cur.execute("SELECT q.definition FROM queue_items i JOIN annotation_queues q ON q.id = i.queue_id"
                                 " WHERE i.queue_id = %s AND i.run_id = %s", (a.queue_id, a.run_id)).fetchone()
            if found is None:
                raise NotFound(f"run {a.run_id} is not in annotation queue {a.queue_id}")
            needed = int(_load(found[0], {}).get("reviewers_per_item") or 1)
            cur.execute("DELETE FROM annotations WHERE queue_id = %s AND run_id = %s AND reviewer = %s",
                         (a.queue_id, a.run_id, a.reviewer))
            cur.execute(f"INSERT INTO annotations ({_ANNOTATION_COLUMNS}) VALUES ({', '.join(['%s'] * 10)})",
                         (a.id, a.queue_id, a.run_id, a.reviewer, a.created_us, _json(a.labels),
                          _json(a.reference_output), a.comment, int(a.promote), a.example_id))
            (reviews,) = cur.execute("SELECT count(*) FROM annotations WHERE queue_id = %s AND run_id = %s",
                                      (a.queue_id, a.run_id)).fetchone()
            status = "completed" if reviews >= needed else "pending"
            cur.execute("UPDATE queue_items SET reviews = %s, status = %s,"
                         " claimed_by = CASE WHEN claimed_by = %s THEN NULL ELSE claimed_by END,"
                         " claim_until_us = CASE WHEN claimed_by = %s THEN NULL ELSE claim_until_us END"
                         " WHERE queue_id = %s AND run_id = %s",
                         (reviews, status, a.reviewer, a.reviewer, a.queue_id, a.run_id))
            row = cur.execute(f"SELECT {_ITEM_COLUMNS} FROM queue_items WHERE queue_id = %s AND run_id = %s",
                               (a.queue_id, a.run_id)).fetchone()
        return _item(row)

    def list_annotations(self, *, queue_id: str | None = None, run_id: str | None = None,
                         limit: int = 10_000) -> list[Annotation]:
        where, params = _where((("queue_id = %s", queue_id), ("run_id = %s", run_id)))
        rows = self._db.rows(f"SELECT {_ANNOTATION_COLUMNS} FROM annotations{where} ORDER BY created_us, id LIMIT %s",
                             [*params, limit])
        return [Annotation(r[0], r[1], r[2], r[3], r[4], _load(r[5], {}), _load(r[6]), r[7], bool(r[8]), r[9])
                for r in rows]

    # Presigned feedback -------------------------------------------------------------------------
    def put_feedback_token(self, token: FeedbackToken) -> None:
        with self._db.transaction() as cur:
            cur.execute("INSERT INTO feedback_tokens VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE"
                        " SET run_id = excluded.run_id, key = excluded.key, expires_us = excluded.expires_us,"
                        " created_us = excluded.created_us, feedback_id = excluded.feedback_id,"
                        " config = excluded.config",
                         (token.id, token.run_id, token.key, token.expires_us, token.created_us, token.feedback_id,
                          _json(token.config)))

    def get_feedback_token(self, token_id: str) -> FeedbackToken | None:
        rows = self._db.rows("SELECT id, run_id, key, expires_us, created_us, feedback_id, config"
                             " FROM feedback_tokens WHERE id = %s", (token_id,))
        if not rows:
            return None
        r = rows[0]
        return FeedbackToken(r[0], r[1], r[2], r[3], r[4], r[5], _load(r[6], {}))


_QUEUE_SELECT: Final = (
    "SELECT q.id, q.name, q.created_us, q.definition,"
    " (SELECT count(*) FROM queue_items i WHERE i.queue_id = q.id),"
    " (SELECT count(*) FROM queue_items i WHERE i.queue_id = q.id AND i.status = 'completed')"
    " FROM annotation_queues q"
)


def _queue_definition(queue: AnnotationQueue) -> dict[str, Any]:
    return {name: getattr(queue, name) for name in _QUEUE_FIELDS}


def _queue(row: tuple[Any, ...]) -> AnnotationQueue:
    definition = _load(row[3], {})
    return AnnotationQueue(id=row[0], name=row[1], created_us=row[2], item_count=row[4], completed_count=row[5],
                           **{k: definition[k] for k in _QUEUE_FIELDS if k in definition})


def _pool(row: tuple[Any, ...]) -> Pool:
    definition = _load(row[5], {})
    return Pool(id=row[0], name=row[1], project=row[2], kind=row[3], created_us=row[4],
                filter=definition.get("filter"), reasons=list(definition.get("reasons") or []),
                sample_rate=float(definition.get("sample_rate", 0.05)), queue_id=definition.get("queue_id"),
                params=dict(definition.get("params") or {}))


def _item(row: tuple[Any, ...]) -> QueueItem:
    return QueueItem(queue_id=row[0], run_id=row[1], trace_id=row[2], added_us=row[3], source=row[4], status=row[5],
                     reviews=row[6], claimed_by=row[7], claim_until_us=row[8], position=row[9])


def _where(conditions: Sequence[tuple[str, Any]]) -> tuple[str, list[Any]]:
    """`` WHERE a AND b`` for the conditions whose value is not ``None``, and their parameters."""
    used = [(sql, value) for sql, value in conditions if value is not None]
    if not used:
        return "", []
    return " WHERE " + " AND ".join(sql for sql, _ in used), [value for _, value in used]
