"""``tracehound retention show|set|run`` and ``tracehound projects ...``, on the local store."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from tracehound.cli.keys import ACTOR, open_meta, open_meta_and_spans
from tracehound.cli.output import echo_json, echo_rows
from tracehound.cli.root import data_dir_option, main


@main.group()
def retention() -> None:
    """Per-project retention: how long traces, payloads and rollups are kept (the server applies it)."""


@retention.command("show")
@data_dir_option
@click.option("--project", default=None, help="One project (default: every policy).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show(data_dir: str | None, project: str | None, as_json: bool) -> None:
    """The policies and the last passes."""
    from tracehound.governance.retention import policy_record, run_record

    with open_meta(data_dir) as meta:
        gov = meta.governance
        policies = ([policy_record(gov.get_retention(project), project)] if project
                    else [policy_record(p, p.project) for p in gov.list_retention()])
        runs = [run_record(run) for run in gov.list_retention_runs(project=project, limit=10)]
    if as_json:
        echo_json({"policies": policies, "runs": runs})
        return
    echo_rows(policies, ["project", "ok_days", "failed_days", "payload_days", "rollup_days"], False)
    if runs:
        click.echo("")
        echo_rows(runs, ["at", "project", "traces", "spans", "payloads", "rollups", "dry_run"], False)


def _days(value: str | None) -> float | None:
    if value is None or value.lower() in ("forever", "none", ""):
        return None
    days = float(value.removesuffix("d"))
    if not 0 < days < 100_000:
        raise click.BadParameter("days must be above 0 (or 'forever')")
    return days


@retention.command("set")
@data_dir_option
@click.argument("project")
@click.option("--ok-days", default=None, help="Keep successful traces this many days ('forever' = keep).")
@click.option("--failed-days", default=None, help="Keep failed, interrupted or flagged traces this many days.")
@click.option("--payload-days", default=None, help="Keep inputs/outputs this many days (the spans stay).")
@click.option("--rollup-days", default=None, help="Keep rollups (metrics) this many days.")
def set_policy(data_dir: str | None, project: str, ok_days: str | None, failed_days: str | None,
               payload_days: str | None, rollup_days: str | None) -> None:
    """Set a project's policy (options not given keep their current value)."""
    from tracehound.governance import audit
    from tracehound.store.governance import RetentionPolicy
    from tracehound.timefmt import now_us

    with open_meta(data_dir) as meta:
        current = meta.governance.get_retention(project) or RetentionPolicy(project)
        try:
            policy = RetentionPolicy(
                project,
                current.ok_days if ok_days is None else _days(ok_days),
                current.failed_days if failed_days is None else _days(failed_days),
                current.payload_days if payload_days is None else _days(payload_days),
                current.rollup_days if rollup_days is None else _days(rollup_days),
                now_us())
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
        meta.governance.set_retention(policy)
        audit.record(meta.governance, ACTOR, "retention.set", project, project, ok_days=policy.ok_days,
                     failed_days=policy.failed_days, payload_days=policy.payload_days, rollup_days=policy.rollup_days)
    def shown(days: float | None) -> str:
        return "forever" if days is None else f"{days:g} d"

    click.echo(f"{project}: ok {shown(policy.ok_days)}, failed {shown(policy.failed_days)},"
               f" payloads {shown(policy.payload_days)}, rollups {shown(policy.rollup_days)}")


@retention.command("run")
@data_dir_option
@click.option("--project", default=None, help="Only this project.")
@click.option("--dry-run", is_flag=True, help="Print what would be removed, remove nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def run(data_dir: str | None, project: str | None, dry_run: bool, as_json: bool) -> None:
    """Apply the policies now (the server also does this by itself every TRACEHOUND_RETENTION_INTERVAL_S)."""
    from tracehound.governance.retention import apply_all, run_record

    with open_meta_and_spans(data_dir) as (meta, spans):
        runs = [run_record(r) for r in apply_all(spans, meta, dry_run=dry_run, project=project)]
    if not runs and not as_json:
        click.echo("no retention policy" + (f" for {project}" if project else "") + ": nothing to do")
        return
    echo_rows(runs, ["project", "traces", "spans", "payloads", "rollups", "dry_run"], as_json)


@main.group()
def projects() -> None:
    """Projects: list, create, rename, delete, redaction."""


@projects.command("list")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_projects(data_dir: str | None, as_json: bool) -> None:
    """Every project."""
    from tracehound.timefmt import iso

    with open_meta(data_dir) as meta:
        rows: list[dict[str, Any]] = [{"name": p.name, "created_at": iso(p.created_us), "description": p.description}
                                      for p in meta.list_projects()]
    echo_rows(rows, ["name", "created_at", "description"], as_json)


@projects.command("create")
@data_dir_option
@click.argument("name")
@click.option("--description", default=None)
def create_project(data_dir: str | None, name: str, description: str | None) -> None:
    """Create a project (ingest also creates projects on first use)."""
    from tracehound.governance.projects import create_project as create

    with open_meta(data_dir) as meta:
        create(meta, name, description=description, actor=ACTOR)
    click.echo(f"created {name}")


@projects.command("rename")
@data_dir_option
@click.argument("old")
@click.argument("new")
def rename_project(data_dir: str | None, old: str, new: str) -> None:
    """Rename a project; a running server moves its spans in the background."""
    from tracehound.governance.projects import rename_project as rename
    from tracehound.governance.retention import finish_project_changes

    with open_meta_and_spans(data_dir) as (meta, spans):
        rename(meta, old, new, actor=ACTOR)
        finish_project_changes(spans, meta)
    click.echo(f"renamed {old} -> {new}")


@projects.command("delete")
@data_dir_option
@click.argument("name")
@click.option("--confirm", default=None, help="Repeat the project's name to confirm.")
def delete_project(data_dir: str | None, name: str, confirm: str | None) -> None:
    """Delete a project and all its spans (asks to type the name unless --confirm repeats it)."""
    from tracehound.governance.projects import delete_project as delete
    from tracehound.governance.retention import finish_project_changes

    if confirm is None:
        confirm = click.prompt(f"Type {name} to delete it and all its spans")
    with open_meta_and_spans(data_dir) as (meta, spans):
        delete(meta, name, confirm=confirm, actor=ACTOR)
        removed = finish_project_changes(spans, meta)
    click.echo(f"deleted {name} ({removed} spans)")


@projects.command("redaction")
@data_dir_option
@click.argument("name")
@click.option("--off", is_flag=True, help="Turn this project's redaction off.")
@click.option("--detector", "detectors", multiple=True, help="A built-in detector (repeat; default: all).")
@click.option("--pattern", "patterns", multiple=True, help="KIND=REGEX: more to redact (repeat).")
@click.option("--sensitive-key", "sensitive_keys", multiple=True, help="A key whose whole value goes (repeat).")
@click.option("--key-stdin", is_flag=True, help="Read the redaction key from stdin (default: the server's).")
def set_redaction(data_dir: str | None, name: str, off: bool, detectors: tuple[str, ...], patterns: tuple[str, ...],
                  sensitive_keys: tuple[str, ...], key_stdin: bool) -> None:
    """Server-side redaction for one project, on every ingest path (a running server picks it up on restart;
    the API applies it at once)."""
    from tracehound.governance import audit, redaction

    config: dict[str, Any] = {"enabled": not off}
    if detectors:
        config["detectors"] = list(detectors)
    if patterns:
        config["patterns"] = dict(p.split("=", 1) for p in patterns if "=" in p)
    if sensitive_keys:
        config["sensitive_keys"] = list(sensitive_keys)
    if key_stdin:
        config["key"] = sys.stdin.readline().rstrip("\n")
    with open_meta(data_dir) as meta:
        redaction.validate(config)
        meta.governance.set_project_setting(name, redaction.SETTING, config)
        audit.record(meta.governance, ACTOR, "redaction.set", name, name, **redaction.public_view(config))
    click.echo(json.dumps(redaction.public_view(config)))
