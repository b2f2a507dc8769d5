"""``tracehound alerts ...``: rules, current states, history and silences, read from the local store."""

from __future__ import annotations

import json
from typing import Any

import click

from tracehound.cli.output import echo_rows
from tracehound.cli.root import data_dir_option, load_settings, main


class _Alerts:
    """The meta store's alert records behind ``AlertStore``; ``close`` closes the stores."""

    def __init__(self, stores: Any) -> None:
        from tracehound.analytics.alerts import AlertStore

        self._stores = stores
        self._store = AlertStore(stores.meta.alerts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def close(self) -> None:
        self._stores.close()


def _open(data_dir: str | None) -> tuple[Any, Any]:
    from tracehound.store.factory import open_stores

    settings = load_settings(data_dir=data_dir)
    return settings, _Alerts(open_stores(settings))


@main.group()
def alerts() -> None:
    """Alert rules, their current states, history and silences (the server evaluates them)."""


@alerts.command("rules")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def rules_command(data_dir: str | None, as_json: bool) -> None:
    """Every rule: the rules file's (TRACEHOUND_ALERT_RULES_FILE) and those created through the API."""
    from tracehound.analytics.rules import load_rules_file
    from tracehound.errors import ConfigError

    settings, store = _open(data_dir)
    try:
        try:
            found = load_rules_file(settings.alert_rules_file).rules if settings.alert_rules_file else []
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from None
        found += store.rules()
    finally:
        store.close()
    rows = [{**rule.to_dict(), "params": json.dumps(rule.params)} if not as_json else rule.to_dict()
            for rule in found]
    echo_rows(rows, ["id", "kind", "source", "enabled", "project", "params"], as_json)


@alerts.command("list")
@data_dir_option
@click.option("--all", "show_all", is_flag=True, help="Include alerts back in the ok state.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_command(data_dir: str | None, show_all: bool, as_json: bool) -> None:
    """Current state of every alert (rule × key): pending, firing, resolved."""
    from tracehound.timefmt import iso

    _, store = _open(data_dir)
    try:
        states = store.states().values()
    finally:
        store.close()
    rows = [{"rule_id": s.rule_id, "key": s.key, "state": s.state, "since": iso(s.since_us), "value": s.value,
             "traces": s.traces if as_json else ",".join(s.traces[:3])}
            for s in states if show_all or s.state != "ok"]
    echo_rows(rows, ["rule_id", "key", "state", "since", "value", "traces"], as_json)


@alerts.command("history")
@data_dir_option
@click.option("--rule", "rule_id", default=None, help="Only this rule.")
@click.option("--limit", default=50, show_default=True, help="Most events shown (newest first).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def history_command(data_dir: str | None, rule_id: str | None, limit: int, as_json: bool) -> None:
    """State transitions, newest first, with what was notified."""
    from tracehound.timefmt import iso

    _, store = _open(data_dir)
    try:
        events = store.history(rule_id, limit)
    finally:
        store.close()
    if not as_json:
        for event in events:
            event["at"] = iso(event["at_us"])
            event["traces"] = ",".join(event["traces"][:3])
    echo_rows(events, ["at", "rule_id", "key", "from", "to", "value", "notified", "message"], as_json)


@alerts.command("silence")
@data_dir_option
@click.option("--rule", "rule_id", default=None, help="Rule to silence (default: every rule).")
@click.option("--key", default=None, help="Key to silence (a tool, a model; default: every key).")
@click.option("--for", "duration", default="1h", show_default=True, help="How long (30m, 4h, 2d).")
@click.option("--comment", default=None, help="Why (shown in the list).")
def silence_command(data_dir: str | None, rule_id: str | None, key: str | None, duration: str,
                    comment: str | None) -> None:
    """Silence notifications of a rule and/or key for a while (states still change and are recorded)."""
    from tracehound.analytics.metrics import parse_duration_us
    from tracehound.errors import TracehoundError
    from tracehound.timefmt import iso, now_us

    _, store = _open(data_dir)
    try:
        now = now_us()
        silence = store.add_silence(rule_id, key, now + parse_duration_us(duration, field="for"), comment, now)
    except TracehoundError as exc:
        raise click.UsageError(str(exc)) from None
    finally:
        store.close()
    click.echo(f"silence {silence['id']} until {iso(silence['until_us'])}")


@alerts.command("silences")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def silences_command(data_dir: str | None, as_json: bool) -> None:
    """Active silences."""
    from tracehound.timefmt import iso, now_us

    _, store = _open(data_dir)
    try:
        rows = store.silences(now_us())
    finally:
        store.close()
    for row in rows:
        row["until"] = iso(row["until_us"])
    echo_rows(rows, ["id", "rule_id", "key", "until", "comment"], as_json)


@alerts.command("unsilence")
@click.argument("silence_id")
@data_dir_option
def unsilence_command(silence_id: str, data_dir: str | None) -> None:
    """Remove a silence by id."""
    from tracehound.errors import NotFound

    _, store = _open(data_dir)
    try:
        store.delete_silence(silence_id)
    except NotFound as exc:
        raise click.UsageError(str(exc)) from None
    finally:
        store.close()
    click.echo(f"removed silence {silence_id}")
