"""``evaluate()``: run a target on every example, trace each run into an experiment, score it, store it.

    results = tracehound.evaluate(answer, data="refunds", evaluators=[exact_match("answer")],
                                  experiment_prefix="fix-123", max_concurrency=8, split="smoke")
    results.summary["metrics"]          # {"exact_match": 0.95, "pass_rate": 0.95}
    results.to_pandas()                 # one row per example and repetition (pandas optional)

Each example runs as the root span of its own trace, in the experiment's project
(``<prefix>-<8 hex>``, apart from production projects), with ``reference_example_id`` set, so
comparisons join on example ids. A sync target runs on at most ``max_concurrency`` threads, an async
one as at most ``max_concurrency`` tasks. An exception in the target fails that example (its error
is recorded, evaluators are skipped); an exception in an evaluator fails that example with the
evaluator named; either way the experiment goes on. Scores are stored twice: as the experiment's
results and as feedback on the run (``source="evaluator"``).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec

from tracehound.evals.backend import EvalBackend, open_backend
from tracehound.evals.calling import call_args
from tracehound.evals.compare import summarize
from tracehound.evals.evaluators.base import EvalRun, EvaluationResult, Evaluator, evaluator_name, normalize
from tracehound.evals.progress import Progress
from tracehound.model import Span
from tracehound.sdk.config import STATE
from tracehound.sdk.context import CURRENT_RUN
from tracehound.sdk.exporter import SpanExporter
from tracehound.sdk.run import Run, Spec
from tracehound.sdk.wire import encode_span, error_text
from tracehound.store.base import Example, Experiment, ExperimentResult, Feedback
from tracehound.timefmt import now_us

if TYPE_CHECKING:
    import pandas

EXPERIMENT_TAG = "tracehound:experiment"


@dataclass(slots=True)
class ExampleRun:
    """One example (one repetition): the run, the evaluators' verdicts, and the stored result."""

    example: Example
    run: EvalRun
    evaluations: list[EvaluationResult]
    result: ExperimentResult


@dataclass(slots=True)
class ExperimentResults:
    """What ``evaluate()`` returns: the experiment, a row per example run, and the summary."""

    experiment: Experiment
    rows: list[ExampleRun] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.experiment.name

    @property
    def pass_rate(self) -> float:
        return sum(row.result.passed for row in self.rows) / len(self.rows) if self.rows else 0.0

    def __iter__(self) -> Iterator[ExampleRun]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def records(self) -> list[dict[str, Any]]:
        """A flat dict per example run (what ``to_pandas`` tabulates)."""
        records = []
        for row in self.rows:
            record = {"example_id": row.example.id, "repetition": row.result.repetition, "run_id": row.run.id,
                      "inputs": row.example.inputs, "reference": row.example.outputs, "outputs": row.run.outputs,
                      "error": row.run.error, "latency_s": row.run.latency_s, "passed": row.result.passed}
            record.update({f"score.{key}": value for key, value in row.result.scores.items()})
            records.append(record)
        return records

    def to_pandas(self) -> pandas.DataFrame:
        """The results as a DataFrame.

        Raises:
            ImportError: pandas is not installed (``pip install pandas``).
        """
        try:
            import pandas
        except ImportError:
            raise ImportError("ExperimentResults.to_pandas needs pandas: pip install pandas") from None
        return pandas.DataFrame(self.records())


class _Capture(SpanExporter):
    """Passes spans on to the real exporter, keeping those of the traces being evaluated for evaluators."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner
        self.watched: dict[int, list[Run]] = {}
        self._lock = threading.Lock()

    def watch(self, root: Run) -> None:
        with self._lock:
            self.watched[root._id] = []

    def take(self, root: Run) -> list[Run]:
        with self._lock:
            return self.watched.pop(root._id, [])

    def export(self, run: Run) -> None:
        bucket = self.watched.get(run.root._id)
        if bucket is not None:
            bucket.append(run)
        self.inner.export(run)

    def flush(self, timeout_s: float = 10.0) -> bool:
        return self.inner.flush(timeout_s)

    def shutdown(self, timeout_s: float = 10.0) -> bool:
        return self.inner.shutdown(timeout_s)


def _examples(data: Any, backend: EvalBackend, split: str | None,
              version: int | None) -> tuple[str | None, str | None, int | None, list[Example]]:
    """(dataset name, dataset id, version, examples) from a dataset name or inline examples."""
    if isinstance(data, str):
        dataset, examples = backend.load_examples(data, split=split, version=version)
        return dataset.name, dataset.id, dataset.version, examples
    examples = []
    for item in data:
        if isinstance(item, Example):
            examples.append(item)
            continue
        inputs = item["inputs"]
        # A stable id per inline example, so two experiments over the same list can be compared.
        example_id = item.get("id") or str(uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(inputs, sort_keys=True,
                                                                                         default=str)))
        examples.append(Example(example_id, "", inputs, item.get("outputs"), item.get("metadata") or {},
                                list(item.get("splits") or [])))
    if split is not None:
        examples = [e for e in examples if split in e.splits]
    return None, None, None, examples


class _Experiment:
    """The shared state of one ``evaluate()`` call."""

    def __init__(self, target: Callable[..., Any], evaluators: Sequence[Evaluator], experiment: Experiment,
                 backend: EvalBackend, capture: _Capture, progress: Progress) -> None:
        self.target = target
        self.evaluators = list(evaluators)
        self.experiment = experiment
        self.backend = backend
        self.capture = capture
        self.progress = progress
        self.spec_name = getattr(target, "__name__", None) or type(target).__name__

    def start(self, example: Example, repetition: int) -> tuple[Run, tuple[Any, ...], dict[str, Any]]:
        spec = Spec(self.target, self.spec_name, "chain", (EXPERIMENT_TAG,),
                    {"experiment": self.experiment.name, "repetition": repetition})
        run = Run(spec, None, None, None)  # always a root, never sampled out: every example is recorded
        run.set_inputs(example.inputs)
        run.link_example(example.id, project=self.experiment.project)
        self.capture.watch(run)
        args, kwargs = call_args(self.target, example.inputs)
        return run, args, kwargs

    @staticmethod
    def end(run: Run, output: Any, failure: BaseException | None) -> None:
        if failure is not None:
            run._fail(failure)
        else:
            run._end(output)

    def eval_run(self, example: Example, run: Run, output: Any, exc: BaseException | None) -> EvalRun:
        project = self.experiment.project
        spans = [msgspec.json.decode(encode_span(r, project), type=Span) for r in self.capture.take(run)]
        outputs = None if exc is not None else (output if isinstance(output, dict) else {"output": output})
        return EvalRun(run.id, run.trace_id, example.inputs, outputs,
                       error_text(exc) if exc is not None else None, (run.end_ns - run.start_ns) / 1e9, spans)

    def finish(self, example: Example, repetition: int, run: EvalRun, evaluations: list[EvaluationResult],
               errors: dict[str, str]) -> ExampleRun:
        passed = run.error is None and not errors and all(e.ok for e in evaluations)
        result = ExperimentResult(
            experiment_id=self.experiment.id, example_id=example.id, run_id=run.id, repetition=repetition,
            trace_id=run.trace_id, outputs=_jsonable(run.outputs), error=run.error,
            latency_us=None if run.latency_s is None else int(run.latency_s * 1e6),
            scores={e.key: e.score for e in evaluations}, errors=errors, passed=passed)
        stamp = now_us()
        feedback = [Feedback(str(uuid.uuid4()), run.id, e.key, stamp, e.score, _jsonable(e.value), e.comment,
                             "evaluator", {"experiment": self.experiment.name, "example_id": example.id},
                             run.trace_id)
                    for e in evaluations]
        self.backend.record([result], feedback)
        self.progress.advance(passed, error=run.error is not None or bool(errors))
        return ExampleRun(example, run, evaluations, result)

    # Sync targets: one thread per example, at most max_concurrency at a time ---------------------

    def run_sync(self, example: Example, repetition: int) -> ExampleRun:
        run, args, kwargs = self.start(example, repetition)
        token = CURRENT_RUN.set(run)
        output, failure = None, None
        try:
            output = self.target(*args, **kwargs)
        except Exception as exc:
            failure = exc
        finally:
            CURRENT_RUN.reset(token)
        self.end(run, output, failure)
        eval_run = self.eval_run(example, run, output, failure)
        evaluations: list[EvaluationResult] = []
        errors: dict[str, str] = {}
        if failure is None:
            for evaluator in self.evaluators:
                name = evaluator_name(evaluator)
                try:
                    raw = evaluator(eval_run, example)
                    if inspect.isawaitable(raw):
                        raw = asyncio.run(_awaited(raw))
                    evaluations.extend(normalize(raw, name))
                except Exception as exc:
                    errors[name] = f"{type(exc).__name__}: {exc}"
        return self.finish(example, repetition, eval_run, evaluations, errors)

    # Async targets: tasks behind a semaphore ----------------------------------------------------

    async def run_async(self, example: Example, repetition: int, limit: asyncio.Semaphore) -> ExampleRun:
        async with limit:
            run, args, kwargs = self.start(example, repetition)
            token = CURRENT_RUN.set(run)
            output, failure = None, None
            try:
                output = await self.target(*args, **kwargs)
            except Exception as exc:
                failure = exc
            finally:
                CURRENT_RUN.reset(token)
            self.end(run, output, failure)
            eval_run = self.eval_run(example, run, output, failure)
            evaluations: list[EvaluationResult] = []
            errors: dict[str, str] = {}
            if failure is None:
                for evaluator in self.evaluators:
                    name = evaluator_name(evaluator)
                    try:
                        raw = evaluator(eval_run, example) if _is_async(evaluator) else await asyncio.to_thread(
                            evaluator, eval_run, example)
                        if inspect.isawaitable(raw):
                            raw = await raw
                        evaluations.extend(normalize(raw, name))
                    except Exception as exc:
                        errors[name] = f"{type(exc).__name__}: {exc}"
            return await asyncio.to_thread(self.finish, example, repetition, eval_run, evaluations, errors)


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def _is_async(evaluator: Evaluator) -> bool:
    from tracehound.evals.evaluators.base import is_async

    return is_async(evaluator)


def _jsonable(value: Any) -> Any:
    """Values as JSON can hold them (others become their repr), so results always store."""
    if value is None:
        return None
    try:
        return msgspec.json.decode(msgspec.json.encode(value))
    except (TypeError, msgspec.EncodeError, OverflowError):
        from tracehound.sdk.wire import encode_value

        return msgspec.json.decode(encode_value(value))


def evaluate(
    target: Callable[..., Any],
    data: str | Sequence[Example | dict[str, Any]],
    evaluators: Sequence[Evaluator] = (),
    *,
    experiment_prefix: str | None = None,
    metadata: dict[str, Any] | None = None,
    max_concurrency: int = 4,
    repetitions: int = 1,
    split: str | None = None,
    dataset_version: int | None = None,
    client: Any = None,
    data_dir: str | None = None,
    progress: bool | None = None,
    flush_timeout_s: float = 30.0,
) -> ExperimentResults:
    """Run ``target`` on every example of a dataset, trace and score each run, and store the experiment.

    Args:
        target: called with an example's inputs (as keyword arguments when the inputs dict fits its
            signature, else as one argument); sync or ``async``.
        data: a dataset name, or examples inline (``Example`` objects or ``{"inputs", "outputs"}`` dicts).
        evaluators: ``(run, example) -> score`` callables (see ``tracehound.evals.evaluators``).
        experiment_prefix: the experiment (and its project) is named ``<prefix>-<8 hex>``; default:
            the target's name.
        metadata: stored on the experiment (a git sha, a model name).
        max_concurrency: most examples running at once.
        repetitions: runs per example (comparisons fold them by majority).
        split: only the examples in this split (``smoke``).
        dataset_version: run on an older version of the dataset (default: the latest).
        client: a ``tracehound.Client``; default: the configured endpoint, else the local store.
        data_dir: use the embedded store in this directory (no server).
        progress: show the progress line (default: when stderr is a terminal).
        flush_timeout_s: how long to wait at the end for the traces to be delivered.

    Returns:
        ``ExperimentResults``: rows per example run, ``summary``, ``to_pandas()``.

    Raises:
        NotFound: no such dataset. ValueError: ``max_concurrency`` or ``repetitions`` below 1.
    """
    if max_concurrency < 1 or repetitions < 1:
        raise ValueError("max_concurrency and repetitions must be at least 1")
    backend = open_backend(client, data_dir)
    try:
        dataset_name, dataset_id, version, examples = _examples(data, backend, split, dataset_version)
        prefix = experiment_prefix or getattr(target, "__name__", "experiment")
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        experiment = backend.create_experiment(Experiment(
            id=str(uuid.uuid4()), name=name, project=name, dataset_id=dataset_id, dataset_version=version,
            created_us=now_us(), split=split,
            metadata={"target": getattr(target, "__qualname__", repr(target)), "repetitions": repetitions,
                      "evaluators": [evaluator_name(e) for e in evaluators], **(metadata or {})},
        ), dataset_name)
        inner = STATE.exporter or STATE.create_exporter()
        capture = _Capture(inner)
        STATE.replace_exporter(capture)
        bar = Progress(len(examples) * repetitions, label=name, enabled=progress)
        state = _Experiment(target, evaluators, experiment, backend, capture, bar)
        jobs = [(example, rep) for example in examples for rep in range(repetitions)]
        try:
            if inspect.iscoroutinefunction(target):
                rows = asyncio.run(_gather(state, jobs, max_concurrency))
            else:
                with ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="tracehound-eval") as pool:
                    rows = list(pool.map(lambda job: state.run_sync(*job), jobs))
        finally:
            bar.close()
            if STATE.exporter is capture:
                STATE.replace_exporter(inner)
            inner.flush(flush_timeout_s)
        summary = summarize([row.result for row in rows])
        experiment = backend.finish(experiment, summary)
        return ExperimentResults(experiment, rows, summary)
    finally:
        backend.close()


async def _gather(state: _Experiment, jobs: list[tuple[Example, int]], max_concurrency: int) -> list[ExampleRun]:
    limit = asyncio.Semaphore(max_concurrency)
    return list(await asyncio.gather(*(state.run_async(example, rep, limit) for example, rep in jobs)))
