"""Copy one set of stores into another (``tracehound migrate``): resumable, then checked by counts.

Everything goes through the store protocols, so any engine pair works; the usual case is the
embedded SQLite file into ClickHouse + PostgreSQL. Spans are read oldest first in pages of the
run listing (a snapshot taken at the start) and written with ``upsert``, which merges by id: a
batch copied twice changes nothing, so a copy interrupted at any point resumes from the last page
recorded in the state file. Meta records are copied in steps, each recorded when done; a step cut
short is redone (datasets half-copied are deleted in the target first). At the end the counts of
both sides are compared.

    report = migrate(source, target, state_path=Path("data/migrate-state.json"))
    report.ok      # every count matches
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracehound.model import Span
from tracehound.store.alerting import AlertEvent, AlertState
from tracehound.store.base import Experiment, FeedbackStore, MetaStore, NewExample, SpanStore
from tracehound.store.runs import RUN_FIELDS, RunKey, RunSelection

_SPAN_FIELDS = tuple(name for name in RUN_FIELDS if name not in ("latency_s", "is_root"))


@dataclass
class Side:
    """The three stores of one side of a migration."""

    spans: SpanStore
    meta: MetaStore
    feedback: FeedbackStore


@dataclass
class MigrationReport:
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # what → (source, target)
    spans_copied: int = 0
    resumed: bool = False

    @property
    def ok(self) -> bool:
        return all(source == target for source, target in self.counts.values())


class _State:
    """What is done, in a JSON file written after every step (so a crash loses at most one page)."""

    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        data = json.loads(path.read_text()) if path.exists() else {}
        self.data: dict[str, Any] = data if data.get("key") == key else {"key": key}
        self.resumed = len(self.data) > 1

    def get(self, name: str, default: Any = None) -> Any:
        return self.data.get(name, default)

    def set(self, name: str, value: Any) -> None:
        self.data[name] = value
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data))
        tmp.replace(self.path)


def migrate(source: Side, target: Side, *, state_path: Path, key: str = "", batch: int = 2000,
            echo: Callable[[str], None] = lambda _: None) -> MigrationReport:
    """Copy ``source`` into ``target``; resumes from ``state_path`` when it records the same ``key``."""
    state = _State(state_path, key)
    report = MigrationReport(resumed=state.resumed)
    _copy_projects(source, target)
    report.spans_copied = _copy_spans(source, target, state, batch, echo)
    if not state.get("feedback"):
        items = source.feedback.list_feedback(limit=10**9)
        for first in range(0, len(items), batch):
            target.feedback.add_feedback(items[first:first + batch])
        state.set("feedback", True)
        echo(f"feedback: {len(items)}")
    if not state.get("dropped"):
        rows = source.spans.dropped.dropped_counts()
        target.spans.dropped.add_dropped(rows)
        state.set("dropped", True)
    _copy_datasets(source, target, state, echo)
    _copy_experiments(source, target, state)
    _copy_alerts(source, target, state)
    for override in source.meta.prices.list_overrides():  # replaces by (project, model, day): idempotent
        target.meta.prices.set_override(override)
    if not state.get("sources"):
        target.meta.ingest_sources.save(source.meta.ingest_sources.load("otlp"))
        state.set("sources", True)
    report.counts = _counts(source, target)
    return report


def _copy_projects(source: Side, target: Side) -> None:
    for project in source.meta.list_projects():
        if target.meta.get_project(project.name) is None:
            target.meta.create_project(project.name, description=project.description, metadata=project.metadata)


def _copy_spans(source: Side, target: Side, state: _State, batch: int, echo: Callable[[str], None]) -> int:
    mark = state.get("spans_mark")
    if mark is None:
        mark = source.spans.runs.high_water()
        state.set("spans_mark", mark)
    after = RunKey(*state.get("spans_after")) if state.get("spans_after") else None
    copied = int(state.get("spans_copied", 0))
    while True:
        page = source.spans.runs.page(RunSelection(), fields=_SPAN_FIELDS, order="asc", limit=batch, mark=mark,
                                      after=after)
        if not page:
            return copied
        target.spans.upsert([_span(run) for _, run in page])
        target.meta.ensure_projects(sorted({run["project"] for _, run in page}))
        after = page[-1][0]
        copied += len(page)
        state.set("spans_after", [after.start_us, after.position])
        state.set("spans_copied", copied)
        echo(f"spans: {copied}")


def _span(run: dict[str, Any]) -> Span:
    values = {name: value for name, value in run.items() if value is not None}
    values.setdefault("metadata", {})
    values.setdefault("tags", [])
    values.setdefault("events", [])
    return Span(**values)


def _copy_datasets(source: Side, target: Side, state: _State, echo: Callable[[str], None]) -> None:
    """Replay each dataset's versions (each is one add, one edit or one retirement) so numbers match."""
    done: dict[str, str] = state.get("datasets", {})
    for dataset in source.meta.datasets.list_datasets():
        if dataset.id in done:
            continue
        stale = target.meta.datasets.get_dataset(dataset.name)
        if stale is not None:  # a copy cut short: start this dataset again
            target.meta.datasets.delete_dataset(stale.id)
        copy = target.meta.datasets.create_dataset(dataset.name, description=dataset.description,
                                                   metadata=dataset.metadata)
        previous: dict[str, Any] = {}
        for version in source.meta.datasets.list_versions(dataset.id):
            current = {e.id: e for e in source.meta.datasets.list_examples(dataset.id, version=version.version)}
            added = [e for eid, e in current.items() if eid not in previous]
            edited = [e for eid, e in current.items() if eid in previous and e.version == version.version]
            retired = [eid for eid in previous if eid not in current]
            change = version.change.split(" ", 1)[0]
            if added:
                target.meta.datasets.add_examples(copy.id, [
                    NewExample(e.inputs, e.outputs, dict(e.metadata), list(e.splits), e.source_run_id, e.id)
                    for e in added], change=change)
            for example in edited:
                target.meta.datasets.update_example(example.id, inputs=example.inputs, outputs=example.outputs,
                                                    metadata=example.metadata, splits=example.splits)
            if retired:
                target.meta.datasets.retire_examples(retired)
            previous = current
        done[dataset.id] = copy.id
        state.set("datasets", done)
        echo(f"dataset {dataset.name}: {dataset.version} versions")


def _copy_experiments(source: Side, target: Side, state: _State) -> None:
    ids: dict[str, str] = state.get("datasets", {})
    for experiment in reversed(source.meta.experiments.list_experiments()):
        if target.meta.experiments.get_experiment(experiment.id) is None:
            target.meta.experiments.create_experiment(Experiment(
                experiment.id, experiment.name, experiment.project, ids.get(experiment.dataset_id or ""),
                experiment.dataset_version, experiment.created_us, experiment.split, experiment.metadata))
        target.meta.experiments.add_results(source.meta.experiments.list_results(experiment.id))
        if experiment.ended_us is not None:
            target.meta.experiments.finish_experiment(experiment.id, experiment.summary)


def _copy_alerts(source: Side, target: Side, state: _State) -> None:
    alerts, copy = source.meta.alerts, target.meta.alerts
    for definition in alerts.rule_definitions():
        copy.put_rule(str(definition.get("id")), definition, int(definition.get("created_us") or 0))
    if not state.get("alert_history"):
        states = {(s.rule_id, s.key): s for s in alerts.states()}
        events = list(reversed(alerts.history(limit=10**9)))
        last = {(e.rule_id, e.key): index for index, e in enumerate(events)}
        changes: list[tuple[AlertState, AlertEvent]] = []
        for index, event in enumerate(events):
            key = (event.rule_id, event.key)
            now = states.get(key) if last[key] == index else None
            changes.append((now or AlertState(event.rule_id, event.key, event.to_state, event.at_us,
                                              value=event.value, traces=list(event.traces)), event))
        copy.record(changes)
        recorded = {(s.rule_id, s.key) for s, _ in changes}
        copy.record([(s, AlertEvent(s.since_us, s.rule_id, s.key, s.state, s.state, s.value, "migrated",
                                    s.traces, "")) for key, s in states.items() if key not in recorded])
        state.set("alert_history", True)
    if not state.get("silences"):
        for silence in alerts.silences(0):
            copy.add_silence(silence)
        state.set("silences", True)
    if not state.get("detector_results"):
        for result in reversed(source.meta.detector_results.list(limit=10**9)):
            result = dict(result)
            result.pop("id", None)
            copy_at = int(result.get("at_us") or 0)
            target.meta.detector_results.save(str(result.get("detector", "")), copy_at, {}, result)
        state.set("detector_results", True)


def _counts(source: Side, target: Side) -> dict[str, tuple[int, int]]:
    def sizes(side: Side) -> dict[str, int]:
        meta = side.meta
        return {
            "spans": side.spans.count(),
            "feedback": len(side.feedback.list_feedback(limit=10**9)),
            "projects": len(meta.list_projects()),
            "datasets": len(meta.datasets.list_datasets()),
            "examples (current)": sum(d.example_count for d in meta.datasets.list_datasets()),
            "dataset versions": sum(d.version for d in meta.datasets.list_datasets()),
            "experiments": len(meta.experiments.list_experiments()),
            "experiment results": sum(len(meta.experiments.list_results(e.id))
                                      for e in meta.experiments.list_experiments()),
            "alert rules": len(meta.alerts.rule_definitions()),
            "alert states": len(meta.alerts.states()),
            "price overrides": len(meta.prices.list_overrides()),
            "sampling-dropped spans": sum(r["spans"] for r in side.spans.dropped.dropped_counts()),
        }

    before, after = sizes(source), sizes(target)
    return {name: (before[name], after[name]) for name in before}
