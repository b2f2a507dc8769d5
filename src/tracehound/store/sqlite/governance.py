"""``SqliteGovernanceStore``: keys, users, sessions, audit log, retention and project settings in the file."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, Final

import msgspec

from tracehound.errors import Conflict, NotFound
from tracehound.store.governance import ApiKey, AuditEntry, RetentionPolicy, RetentionRun, UiSession, User
from tracehound.store.sqlite._locked import LockedConnection

_KEY_COLUMNS: Final = "id, name, prefix, key_hash, role, projects, created_us, created_by, last_used_us, revoked_us"
_USER_COLUMNS: Final = "username, password_hash, role, projects, created_us, disabled_us"
_POLICY_COLUMNS: Final = "project, ok_days, failed_days, payload_days, rollup_days, updated_us"
_RUN_COLUMNS: Final = "at_us, project, traces, spans, payloads, rollups, dry_run, seq"


def _projects_text(projects: Sequence[str] | None) -> str | None:
    return None if projects is None else msgspec.json.encode(sorted(set(projects))).decode()


def _projects(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(msgspec.json.decode(text))


def _conflict_on_integrity(message: str, field: str) -> Callable[[Exception], None]:
    def check(exc: Exception) -> None:
        if isinstance(exc.__cause__, sqlite3.IntegrityError):
            raise Conflict(message, field=field) from None
    return check


class SqliteGovernanceStore:
    """Implements ``GovernanceStore`` over the meta store's connection."""

    def __init__(self, db: LockedConnection) -> None:
        self._db = db

    def _write(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._db.transaction() as conn:
            return conn.execute(sql, params).rowcount

    # keys ----------------------------------------------------------------------------------------

    def add_api_key(self, key: ApiKey) -> None:
        try:
            self._write(f"INSERT INTO api_keys ({_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (key.id, key.name, key.prefix, key.key_hash, key.role, _projects_text(key.projects),
                         key.created_us, key.created_by, key.last_used_us, key.revoked_us))
        except Exception as exc:
            _conflict_on_integrity(f"a key with id {key.id!r} exists already", "id")(exc)
            raise

    def find_api_key(self, key_hash: str) -> ApiKey | None:
        rows = self._db.rows(f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE key_hash = ?", (key_hash,))
        return _api_key(rows[0]) if rows else None

    def get_api_key(self, key_id: str) -> ApiKey | None:
        rows = self._db.rows(f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE id = ?", (key_id,))
        return _api_key(rows[0]) if rows else None

    def list_api_keys(self) -> list[ApiKey]:
        return [_api_key(row) for row in self._db.rows(f"SELECT {_KEY_COLUMNS} FROM api_keys"
                                                       " ORDER BY created_us DESC, id")]

    def revoke_api_key(self, key_id: str, at_us: int) -> bool:
        return self._write("UPDATE api_keys SET revoked_us = ? WHERE id = ? AND revoked_us IS NULL",
                           (at_us, key_id)) > 0

    def touch_api_keys(self, last_used: dict[str, int]) -> None:
        if last_used:
            with self._db.transaction() as conn:
                conn.executemany("UPDATE api_keys SET last_used_us = max(coalesce(last_used_us, 0), ?) WHERE id = ?",
                                 [(at, key_id) for key_id, at in last_used.items()])

    # users ---------------------------------------------------------------------------------------

    def add_user(self, user: User) -> None:
        try:
            self._write(f"INSERT INTO users ({_USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                        (user.username, user.password_hash, user.role, _projects_text(user.projects),
                         user.created_us, user.disabled_us))
        except Exception as exc:
            _conflict_on_integrity(f"a user named {user.username!r} exists already", "username")(exc)
            raise

    def get_user(self, username: str) -> User | None:
        rows = self._db.rows(f"SELECT {_USER_COLUMNS} FROM users WHERE username = ?", (username,))
        return _user(rows[0]) if rows else None

    def list_users(self) -> list[User]:
        return [_user(row) for row in self._db.rows(f"SELECT {_USER_COLUMNS} FROM users ORDER BY username")]

    def update_user(self, username: str, *, password_hash: str | None = None, role: str | None = None,
                    projects: Sequence[str] | None = None, all_projects: bool = False,
                    disabled_us: int | None = None) -> User:
        sets: list[str] = []
        params: list[Any] = []
        for column, value in (("password_hash", password_hash), ("role", role), ("disabled_us", disabled_us)):
            if value is not None:
                sets.append(f"{column} = ?")
                params.append(value or None)  # disabled_us=0 enables the user again
        if all_projects:
            sets.append("projects = NULL")
        elif projects is not None:
            sets.append("projects = ?")
            params.append(_projects_text(projects))
        if sets and self._write(f"UPDATE users SET {', '.join(sets)} WHERE username = ?", (*params, username)) == 0:
            raise NotFound(f"no user named {username!r}")
        user = self.get_user(username)
        if user is None:
            raise NotFound(f"no user named {username!r}")
        return user

    def count_credentials(self) -> int:
        rows = self._db.rows("SELECT (SELECT count(*) FROM api_keys WHERE revoked_us IS NULL)"
                             " + (SELECT count(*) FROM users WHERE disabled_us IS NULL)")
        return int(rows[0][0])

    # sessions ------------------------------------------------------------------------------------

    def add_session(self, session: UiSession) -> None:
        self._write("INSERT INTO ui_sessions (token_hash, subject_kind, subject, created_us, expires_us)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (session.token_hash, session.subject_kind, session.subject, session.created_us,
                     session.expires_us))

    def get_session(self, token_hash: str) -> UiSession | None:
        rows = self._db.rows("SELECT token_hash, subject_kind, subject, created_us, expires_us FROM ui_sessions"
                             " WHERE token_hash = ?", (token_hash,))
        return UiSession(*rows[0]) if rows else None

    def delete_session(self, token_hash: str) -> None:
        self._write("DELETE FROM ui_sessions WHERE token_hash = ?", (token_hash,))

    # audit ---------------------------------------------------------------------------------------

    def append_audit(self, entry: AuditEntry) -> None:
        self._write("INSERT INTO audit_log (at_us, actor, action, target, project, detail) VALUES (?, ?, ?, ?, ?, ?)",
                    (entry.at_us, entry.actor, entry.action, entry.target, entry.project,
                     msgspec.json.encode(entry.detail).decode()))

    def list_audit(self, *, limit: int = 100, before_seq: int | None = None,
                   action: str | None = None) -> list[AuditEntry]:
        sql = "SELECT seq, at_us, actor, action, target, project, detail FROM audit_log WHERE 1 = 1"
        params: list[Any] = []
        if before_seq is not None:
            sql += " AND seq < ?"
            params.append(before_seq)
        if action is not None:
            sql += " AND action = ?"
            params.append(action)
        sql += " ORDER BY seq DESC LIMIT ?"
        params.append(limit)
        return [AuditEntry(at_us=at, actor=actor, action=act, target=target, project=project,
                           detail=msgspec.json.decode(detail) if detail else {}, seq=seq)
                for seq, at, actor, act, target, project, detail in self._db.rows(sql, params)]

    # retention -----------------------------------------------------------------------------------

    def get_retention(self, project: str) -> RetentionPolicy | None:
        rows = self._db.rows(f"SELECT {_POLICY_COLUMNS} FROM retention_policies WHERE project = ?", (project,))
        return RetentionPolicy(*rows[0]) if rows else None

    def set_retention(self, policy: RetentionPolicy) -> None:
        self._write(f"INSERT OR REPLACE INTO retention_policies ({_POLICY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                    (policy.project, policy.ok_days, policy.failed_days, policy.payload_days, policy.rollup_days,
                     policy.updated_us))

    def list_retention(self) -> list[RetentionPolicy]:
        return [RetentionPolicy(*row) for row in
                self._db.rows(f"SELECT {_POLICY_COLUMNS} FROM retention_policies ORDER BY project")]

    def delete_retention(self, project: str) -> None:
        self._write("DELETE FROM retention_policies WHERE project = ?", (project,))

    def add_retention_run(self, run: RetentionRun) -> None:
        self._write("INSERT INTO retention_runs (at_us, project, traces, spans, payloads, rollups, dry_run)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (run.at_us, run.project, run.traces, run.spans, run.payloads, run.rollups, int(run.dry_run)))

    def list_retention_runs(self, *, project: str | None = None, limit: int = 100) -> list[RetentionRun]:
        sql = f"SELECT {_RUN_COLUMNS} FROM retention_runs"
        params: list[Any] = []
        if project is not None:
            sql += " WHERE project = ?"
            params.append(project)
        sql += " ORDER BY seq DESC LIMIT ?"
        params.append(limit)
        return [RetentionRun(at, proj, traces, spans, payloads, rollups, bool(dry), seq)
                for at, proj, traces, spans, payloads, rollups, dry, seq in self._db.rows(sql, params)]

    def protected_run_ids(self) -> set[str]:
        return {row[0] for row in self._db.rows(
            "SELECT source_run_id FROM examples WHERE source_run_id IS NOT NULL"
            " UNION SELECT run_id FROM queue_items WHERE status = 'pending'")}

    # project settings ----------------------------------------------------------------------------

    def get_project_setting(self, project: str, name: str) -> Any:
        rows = self._db.rows("SELECT value FROM project_settings WHERE project = ? AND name = ?", (project, name))
        return msgspec.json.decode(rows[0][0]) if rows else None

    def set_project_setting(self, project: str, name: str, value: Any) -> None:
        if value is None:
            self._write("DELETE FROM project_settings WHERE project = ? AND name = ?", (project, name))
        else:
            self._write("INSERT OR REPLACE INTO project_settings (project, name, value) VALUES (?, ?, ?)",
                        (project, name, msgspec.json.encode(value).decode()))

    def project_settings(self, name: str) -> dict[str, Any]:
        return {project: msgspec.json.decode(value) for project, value in
                self._db.rows("SELECT project, value FROM project_settings WHERE name = ?", (name,))}

    def rename_project_records(self, old: str, new: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("UPDATE OR REPLACE retention_policies SET project = ? WHERE project = ?", (new, old))
            conn.execute("UPDATE OR REPLACE project_settings SET project = ? WHERE project = ?", (new, old))

    # secrets -------------------------------------------------------------------------------------

    def secret(self, name: str, make: Callable[[], bytes]) -> bytes:
        rows = self._db.rows("SELECT value FROM server_secrets WHERE name = ?", (name,))
        if rows:
            return bytes(rows[0][0])
        with self._db.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO server_secrets (name, value) VALUES (?, ?)", (name, make()))
            return bytes(conn.execute("SELECT value FROM server_secrets WHERE name = ?", (name,)).fetchone()[0])


def _api_key(row: Sequence[Any]) -> ApiKey:
    key_id, name, prefix, key_hash, role, projects, created, created_by, last_used, revoked = row
    return ApiKey(key_id, name, prefix, key_hash, role, _projects(projects), created, created_by, last_used, revoked)


def _user(row: Sequence[Any]) -> User:
    username, password_hash, role, projects, created, disabled = row
    return User(username, password_hash, role, _projects(projects), created, disabled)
