"""Reviewing a queue: annotate, promote to the golden dataset, measure agreement, calibrate the judge.

    item = reviews.claim_next(queue.id, "ana", now, LEASE_US)
    annotate(stores, queue, item.run_id, "ana", labels={"correct": "fail"}, reference_output={...}, promote=True)
    agreement(reviews.list_annotations(queue_id=queue.id))        # per rubric key, items with 2+ reviewers
    judge_agreement(feedback, annotations, judge_key="judge", label_key="correct")

An annotation also writes each label as feedback on the run (``source="human"``), so the filter
language, the runs page and the online baselines see human verdicts like any other score. Promoting
creates a dataset example whose provenance (run, reviewer, queue) travels in its metadata; its
``human_label`` is what the judge's calibration reads.
"""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from tracehound.errors import NotFound, QueryError
from tracehound.store.base import Feedback, NewExample
from tracehound.store.review import Annotation, AnnotationQueue, QueueItem
from tracehound.timefmt import now_us

LEASE_US: Final = 10 * 60 * 1_000_000  # a claim lasts 10 minutes, then the item is free again
CALIBRATION_THRESHOLD: Final = 0.8
_PASS: Final = {"pass", "true", "yes", "good", "correct", "1"}
_FAIL: Final = {"fail", "false", "no", "bad", "incorrect", "0"}


def as_pass(value: Any) -> bool | None:
    """A label or score read as pass/fail (``None`` when it is neither)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value >= 0.5
    if isinstance(value, str):
        text = value.strip().lower()
        return True if text in _PASS else False if text in _FAIL else None
    return None


def check_labels(queue: AnnotationQueue, labels: dict[str, Any]) -> None:
    """Labels must name rubric keys (when the queue has a rubric) and use the listed values or scores.

    Raises:
        QueryError: naming the label that is wrong.
    """
    if not isinstance(labels, dict):
        raise QueryError("`labels` must be an object of rubric key → label or score", field="labels")
    rubric = {item["key"]: item for item in queue.rubric if isinstance(item, dict) and "key" in item}
    for key, value in labels.items():
        if rubric and key not in rubric:
            raise QueryError(f"{key!r} is not in this queue's rubric ({', '.join(rubric)})", field=f"labels.{key}")
        item = rubric.get(key, {})
        values = item.get("values")
        if item.get("kind") == "score" or (not values and isinstance(value, int | float)):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise QueryError(f"label {key!r} takes a number", field=f"labels.{key}")
        elif values and value not in values:
            raise QueryError(f"label {key!r} takes one of {', '.join(map(str, values))}", field=f"labels.{key}")


def check_rubric(rubric: list[dict[str, Any]]) -> None:
    """Raises ``QueryError`` naming the rubric item that is malformed."""
    for index, item in enumerate(rubric):
        if not isinstance(item, dict) or not isinstance(item.get("key"), str) or not item["key"]:
            raise QueryError("each rubric item has a `key`", field=f"rubric[{index}].key")
        if item.get("kind", "label") not in ("label", "score"):
            raise QueryError("a rubric item's `kind` is label or score", field=f"rubric[{index}].kind")
        values = item.get("values")
        if values is not None and (not isinstance(values, list) or not values):
            raise QueryError("`values` lists the labels a reviewer picks from", field=f"rubric[{index}].values")


def create_queue(reviews: Any, *, name: str, project: str | None = None, description: str | None = None,
                 rubric_instructions: str | None = None, rubric: list[dict[str, Any]] | None = None,
                 reviewers_per_item: int = 1, dataset: str | None = None,
                 queue_id: str | None = None) -> AnnotationQueue:
    """Validate and store a new queue.

    Raises:
        QueryError: naming the bad field. Conflict: the name is taken.
    """
    if not 0 < len(name) <= 256:
        raise QueryError("a queue `name` is 1 to 256 characters", field="name")
    if not 1 <= reviewers_per_item <= 20:
        raise QueryError("`reviewers_per_item` must be 1 to 20", field="reviewers_per_item")
    check_rubric(list(rubric or []))
    queue = AnnotationQueue(queue_id or str(uuid.uuid4()), name, now_us(), project, description,
                            rubric_instructions, list(rubric or []), reviewers_per_item, dataset)
    return reviews.create_queue(queue)  # type: ignore[no-any-return]


@dataclass
class Stores:
    """What annotating touches: the meta store (queues, datasets), feedback and spans."""

    meta: Any
    feedback: Any
    spans: Any


def annotate(stores: Stores, queue: AnnotationQueue, run_id: str, reviewer: str, *,
             labels: dict[str, Any] | None = None, reference_output: Any = None, comment: str | None = None,
             promote: bool = False) -> tuple[QueueItem, Annotation]:
    """Record one reviewer's annotation; write its labels as feedback; promote when asked.

    Raises:
        QueryError: a label outside the rubric, or no reviewer.
        NotFound: the run is not in the queue, or no longer stored (promotion needs its inputs).
    """
    labels = dict(labels or {})
    check_labels(queue, labels)
    if not reviewer or len(reviewer) > 256:
        raise QueryError("a reviewer name of 1 to 256 characters is needed", field="reviewer")
    stamp = now_us()
    run = stores.spans.get_span(run_id)
    example_id = None
    if promote:
        if run is None:
            raise NotFound(f"run {run_id} is no longer stored; it cannot be promoted")
        example_id = promote_run(stores, queue, run, reviewer, labels, reference_output)
    annotation = Annotation(str(uuid.uuid4()), queue.id, run_id, reviewer, stamp, labels, reference_output, comment,
                            promote, example_id)
    item = stores.meta.reviews.add_annotation(annotation, stamp)
    items = [Feedback(id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"review/{queue.id}/{run_id}/{reviewer}/{key}")),
                      run_id=run_id, key=key, created_us=stamp,
                      score=float(value) if isinstance(value, int | float) and not isinstance(value, bool)
                      else (None if as_pass(value) is None else float(bool(as_pass(value)))),
                      value=value, comment=comment, source="human",
                      source_info={"reviewer": reviewer, "queue": queue.name,
                                   "run_start_us": run.start_us if run else None},
                      trace_id=run.trace_id if run else item.trace_id)
             for key, value in labels.items()]
    if items:
        stores.feedback.add_feedback(items)
    return item, annotation


def promote_run(stores: Stores, queue: AnnotationQueue, run: Any, reviewer: str, labels: dict[str, Any],
                reference_output: Any) -> str:
    """Add the run to the queue's dataset (created on first use) as an example with its provenance."""
    name = queue.dataset or f"{queue.name}-golden"
    datasets = stores.meta.datasets
    dataset = datasets.get_dataset(name) or datasets.create_dataset(
        name, description=f"Promoted from annotation queue {queue.name}")
    human = next((as_pass(v) for v in labels.values() if as_pass(v) is not None), None)
    metadata: dict[str, Any] = {"source": "annotation_queue", "queue": queue.name, "queue_id": queue.id,
                                "reviewer": reviewer, "source_run_id": run.id, "source_trace_id": run.trace_id,
                                "labels": labels}
    if human is not None:
        metadata["human_label"] = "pass" if human else "fail"
    outputs = reference_output if reference_output is not None else run.outputs
    if outputs is not None and not isinstance(outputs, dict):
        outputs = {"output": outputs}
    inputs = run.inputs if isinstance(run.inputs, dict) else {"input": run.inputs}
    (example,) = datasets.add_examples(dataset.id, [NewExample(inputs, outputs, metadata, source_run_id=run.id)],
                                       change=f"promoted by {reviewer} from queue {queue.name}")
    return str(example.id)


@dataclass(frozen=True)
class Agreement:
    """Per rubric key: items with two or more reviewers, and the share of reviewer pairs that agree."""

    key: str
    items: int
    pairs: int
    agreeing_pairs: int
    disagreements: list[str] = field(default_factory=list)  # run ids

    @property
    def rate(self) -> float | None:
        return self.agreeing_pairs / self.pairs if self.pairs else None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "items": self.items, "pairs": self.pairs, "agreeing_pairs": self.agreeing_pairs,
                "rate": self.rate, "disagreements": self.disagreements[:50]}


def _same(a: Any, b: Any) -> bool:
    pa, pb = as_pass(a), as_pass(b)
    if pa is not None and pb is not None and not (isinstance(a, int | float) and isinstance(b, int | float)):
        return pa == pb
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) < 1e-9
    return a == b


def agreement(annotations: Sequence[Annotation]) -> list[Agreement]:
    """Pairwise percent agreement per label key over items that several reviewers labelled."""
    by_key: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for a in annotations:
        for key, value in a.labels.items():
            by_key[key][a.run_id].append(value)
    found = []
    for key, runs in sorted(by_key.items()):
        items = pairs = agreeing = 0
        disagreements = []
        for run_id, values in runs.items():
            if len(values) < 2:
                continue
            items += 1
            run_pairs = list(itertools.combinations(values, 2))
            pairs += len(run_pairs)
            same = sum(_same(a, b) for a, b in run_pairs)
            agreeing += same
            if same < len(run_pairs):
                disagreements.append(run_id)
        found.append(Agreement(key, items, pairs, agreeing, disagreements))
    return found


@dataclass(frozen=True)
class JudgeCalibration:
    """How often an online judge's verdicts match reviewers' labels on the same runs."""

    judge_key: str
    label_key: str
    n: int
    agreeing: int
    threshold: float = CALIBRATION_THRESHOLD

    @property
    def agreement(self) -> float | None:
        return self.agreeing / self.n if self.n else None

    @property
    def retire(self) -> bool:
        """Flag the judge for retirement: it disagrees with people too often (needs 10+ labelled runs)."""
        return self.n >= 10 and (self.agreement or 0.0) < self.threshold

    def to_dict(self) -> dict[str, Any]:
        return {"judge_key": self.judge_key, "label_key": self.label_key, "n": self.n, "agreeing": self.agreeing,
                "agreement": self.agreement, "threshold": self.threshold, "retire": self.retire}


def judge_agreement(judge_feedback: Sequence[Feedback], annotations: Sequence[Annotation], *, judge_key: str,
                    label_key: str, threshold: float = CALIBRATION_THRESHOLD) -> JudgeCalibration:
    """Compare the judge's pass/fail on each run with the majority human label on it."""
    humans: dict[str, list[bool]] = defaultdict(list)
    for a in annotations:
        verdict = as_pass(a.labels.get(label_key))
        if verdict is not None:
            humans[a.run_id].append(verdict)
    n = agreeing = 0
    seen: set[str] = set()
    for item in judge_feedback:
        if item.key != judge_key or item.run_id in seen or item.run_id not in humans:
            continue
        seen.add(item.run_id)
        judged = item.value.get("passed") if isinstance(item.value, dict) else as_pass(item.score)
        if judged is None:
            continue
        votes = humans[item.run_id]
        human = sum(votes) * 2 >= len(votes)
        n += 1
        agreeing += bool(judged) == human
    return JudgeCalibration(judge_key, label_key, n, agreeing, threshold)


def add_runs(reviews: Any, spans: Any, queue: AnnotationQueue, run_ids: Sequence[str], source: str = "manual") -> int:
    """Add stored runs to a queue (unknown ids are refused, so a typo never makes a ghost item).

    Raises:
        NotFound: naming the first run id that is not stored.
    """
    stamp = now_us()
    items = []
    for run_id in run_ids:
        span = spans.get_span(run_id)
        if span is None:
            raise NotFound(f"no run {run_id}")
        items.append(QueueItem(queue.id, span.id, span.trace_id, stamp, source=source))
    return int(reviews.add_queue_items(items))
