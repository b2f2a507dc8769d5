"""``tracehound keys | users | audit``: credentials and the audit log, on the server's machine.

These commands open the data directory directly, so whoever runs them can already read the
database: that is how the first admin is bootstrapped (``tracehound keys create --role admin`` or
``tracehound users create alice --role admin``), with no default password anywhere.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from tracehound.cli.output import echo_json, echo_rows
from tracehound.cli.root import cli_stores, closing_for_cli, data_dir_option, main

ACTOR = f"cli:{getpass.getuser() if hasattr(os, 'getuid') else 'local'}"


@contextmanager
def open_meta(data_dir: str | None) -> Iterator[Any]:
    """The configured meta store, closed afterwards; tracehound errors become CLI errors."""
    with closing_for_cli(cli_stores(data_dir)) as stores:
        yield stores.meta


@contextmanager
def open_meta_and_spans(data_dir: str | None) -> Iterator[tuple[Any, Any]]:
    """The configured meta and span stores, closed afterwards."""
    with closing_for_cli(cli_stores(data_dir)) as stores:
        yield stores.meta, stores.spans


def _role_option(func: Any) -> Any:
    return click.option("--role", required=True, type=click.Choice(["ingest", "viewer", "editor", "admin"]),
                        help="ingest: write spans; viewer: read; editor: + datasets, feedback, alert rules;"
                             " admin: + keys, users, retention, projects.")(func)


def _project_option(func: Any) -> Any:
    return click.option("--project", "projects", multiple=True,
                        help="A project it may touch (repeat for several); none = every project.")(func)


@main.group()
def keys() -> None:
    """API keys: create (shown once), list, revoke."""


@keys.command("create")
@data_dir_option
@_role_option
@_project_option
@click.option("--name", default=None, help="What the key is for (default: the role).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def create_key(data_dir: str | None, role: str, projects: tuple[str, ...], name: str | None, as_json: bool) -> None:
    """Create a key; it is printed once and stored only as a hash."""
    from tracehound.governance.keys import create_key as create
    from tracehound.governance.keys import key_record

    with open_meta(data_dir) as meta:
        try:
            secret, record = create(meta.governance, name=name or role, role=role, projects=list(projects) or None,
                                    actor=ACTOR)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
    if as_json:
        echo_json({"key": secret, **key_record(record)})
        return
    click.echo(secret)
    scope = ", ".join(record.projects) if record.projects else "every project"
    click.echo(f"# {record.prefix} · {role} · {scope}. Store it now: it is not shown again.", err=True)


@keys.command("list")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_keys(data_dir: str | None, as_json: bool) -> None:
    """Every key (prefix, name, role, projects, created, last use, revoked); never the secret."""
    from tracehound.governance.keys import key_record

    with open_meta(data_dir) as meta:
        rows = [key_record(key) for key in meta.governance.list_api_keys()]
    for row in rows:
        if not as_json:
            row["projects"] = ",".join(row["projects"]) if row["projects"] else "*"
    echo_rows(rows, ["prefix", "name", "role", "projects", "created_at", "last_used_at", "revoked_at"], as_json)


@keys.command("revoke")
@data_dir_option
@click.argument("key_id")
def revoke_key(data_dir: str | None, key_id: str) -> None:
    """Revoke a key by id or prefix (a running server stops accepting it within 2 s)."""
    from tracehound.governance.keys import revoke_key as revoke

    with open_meta(data_dir) as meta:
        record = revoke(meta.governance, key_id, actor=ACTOR)
    click.echo(f"revoked {record.prefix} ({record.name})")


@main.group()
def users() -> None:
    """UI users (username + password): create, list, change."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("create")
@data_dir_option
@click.argument("username")
@_role_option
@_project_option
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin instead of prompting.")
def create_user(data_dir: str | None, username: str, role: str, projects: tuple[str, ...],
                password_stdin: bool) -> None:
    """Create a user; the password is hashed with argon2id."""
    from tracehound.governance.keys import create_user as create

    password = _password(password_stdin)
    with open_meta(data_dir) as meta:
        try:
            user = create(meta.governance, username=username, password=password, role=role,
                          projects=list(projects) or None, actor=ACTOR)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
    click.echo(f"created {user.username} ({role})")


@users.command("list")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_users(data_dir: str | None, as_json: bool) -> None:
    """Every user with role, projects and state."""
    from tracehound.governance.keys import user_record

    with open_meta(data_dir) as meta:
        rows = [user_record(user) for user in meta.governance.list_users()]
    echo_rows(rows, ["username", "role", "projects", "created_at", "disabled"], as_json)


@users.command("set")
@data_dir_option
@click.argument("username")
@click.option("--role", type=click.Choice(["ingest", "viewer", "editor", "admin"]), default=None)
@click.option("--password", "new_password", is_flag=True, help="Prompt for a new password.")
@click.option("--password-stdin", is_flag=True, help="Read a new password from stdin.")
@click.option("--disable/--enable", default=None, help="Stop (or allow again) this user signing in.")
def set_user(data_dir: str | None, username: str, role: str | None, new_password: bool, password_stdin: bool,
             disable: bool | None) -> None:
    """Change a user's role, password or enabled state."""
    from tracehound.governance.keys import update_user

    password = _password(password_stdin) if new_password or password_stdin else None
    with open_meta(data_dir) as meta:
        try:
            update_user(meta.governance, username, actor=ACTOR, password=password, role=role, disabled=disable)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
    click.echo(f"updated {username}")


@main.command("audit")
@data_dir_option
@click.option("--limit", default=50, show_default=True, help="Entries to show, newest first.")
@click.option("--action", default=None, help="Only this action (key.create, retention.run, project.delete...).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def audit_command(data_dir: str | None, limit: int, action: str | None, as_json: bool) -> None:
    """The audit log: who did what and when (append-only)."""
    import json

    from tracehound.governance.audit import entry_record

    with open_meta(data_dir) as meta:
        rows = [entry_record(entry) for entry in meta.governance.list_audit(limit=limit, action=action)]
    if not as_json:
        for row in rows:
            row["detail"] = json.dumps(row["detail"]) if row["detail"] else ""
    echo_rows(rows, ["seq", "at", "actor", "action", "target", "project", "detail"], as_json)
