"""LLM-as-judge: a rubric graded by a pinned model on any OpenAI-compatible chat-completions endpoint.

    judge = LLMJudge("Does the answer state the refund window correctly?", n=3)   # TRACEHOUND_JUDGE_* settings
    tracehound.evaluate(answer, data="refunds", evaluators=[judge])
    report = judge.calibrate(client_or_examples)   # agreement with human labels, warns below 80%

The model is asked for ``{"verdict": "pass" | "fail", "reason": "..."}`` (a bare PASS/FAIL is read
too). With ``n > 1`` it is asked ``n`` times and the majority wins; the score is the share of pass
votes, so a split panel shows up as 0.67 rather than a confident 1. The model id must be pinned (a
dated snapshot, not an alias such as ``gpt-4o`` or ``...-latest``; ``tracehound.sdk.prices.is_floating``):
a judge that silently changes makes old and new experiments incomparable. An answer from another model than
the pinned one is logged.

Calibration: a judge is only as good as its agreement with people. ``calibrate`` grades examples that
carry a human label (``metadata["human_label"]``: ``pass``/``fail`` or a bool) and reports the
agreement as a percentage; below ``threshold`` (80% by default) it warns (``CalibrationWarning``).
For a calibration example, ``outputs`` is the answer that was labelled, ``inputs`` what was asked,
and ``metadata["reference"]`` an optional reference answer.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from tracehound.errors import ConfigError
from tracehound.evals.evaluators.base import EvalRun, EvaluationResult
from tracehound.sdk.prices import ALIASES, is_floating, normalise
from tracehound.settings import Settings
from tracehound.store.base import Example

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD: Final = 0.8
_VERDICT = re.compile(r"\b(pass|fail)\b", re.IGNORECASE)
INSTRUCTIONS: Final = (
    "You are a strict evaluator. Grade the answer against the rubric. Reply with only a JSON object:"
    ' {"verdict": "pass" or "fail", "reason": "<one sentence>"}.'
)


class CalibrationWarning(UserWarning):
    """The judge agrees with human labels less often than the threshold."""


class JudgeError(Exception):
    """The judge endpoint failed or answered something that is not a verdict."""


@dataclass(frozen=True, slots=True)
class CalibrationReport:
    agreement: float  # 0..1
    n: int
    threshold: float
    disagreements: list[str] = field(default_factory=list)  # example ids

    @property
    def percent(self) -> float:
        return round(100 * self.agreement, 1)

    @property
    def ok(self) -> bool:
        return self.agreement >= self.threshold

    def __str__(self) -> str:
        return (f"judge agrees with human labels on {self.percent}% of {self.n} examples"
                f" (threshold {100 * self.threshold:.0f}%)")


def _label(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value >= 0.5
    if isinstance(value, str) and value.strip().lower() in ("pass", "fail", "true", "false", "yes", "no"):
        return value.strip().lower() in ("pass", "true", "yes")
    return None


class LLMJudge:
    """An evaluator that asks a model to grade each run against a rubric.

    Args:
        rubric: what a passing answer does.
        key: the feedback key its scores are stored under.
        model, base_url, api_key: default to ``TRACEHOUND_JUDGE_MODEL``/``_BASE_URL``/``_API_KEY``.
        n: votes per run (majority wins).
        temperature: sent to the model (0 for repeatability; raise it for a more independent panel).

    Raises:
        ConfigError: no model or endpoint, or a model alias instead of a pinned id.
    """

    def __init__(self, rubric: str, *, key: str = "judge", model: str | None = None, base_url: str | None = None,
                 api_key: str | None = None, n: int = 1, temperature: float = 0.0, timeout_s: float = 60.0,
                 settings: Settings | None = None) -> None:
        settings = settings or Settings.load()
        self.rubric = rubric
        self.key = key
        self.__name__ = key
        self.model = model or settings.judge_model
        self.base_url = (base_url or settings.judge_base_url or "").rstrip("/")
        self._api_key = api_key or settings.judge_api_key
        if not self.model:
            raise ConfigError("the judge needs a pinned model id (TRACEHOUND_JUDGE_MODEL)",
                              setting="TRACEHOUND_JUDGE_MODEL")
        if is_floating(self.model):
            pinned = ALIASES.get(normalise(self.model))
            hint = f" such as {pinned!r}" if pinned else ""
            raise ConfigError(f"judge model {self.model!r} is a floating alias; pin a dated snapshot{hint}",
                              setting="TRACEHOUND_JUDGE_MODEL")
        if not self.base_url:
            raise ConfigError("the judge needs an endpoint (TRACEHOUND_JUDGE_BASE_URL)",
                              setting="TRACEHOUND_JUDGE_BASE_URL")
        if n < 1:
            raise ValueError("n must be at least 1")
        self.n = n
        self.temperature = temperature
        self.timeout_s = timeout_s

    # Asking the model ---------------------------------------------------------------------------

    def messages(self, inputs: Any, output: Any, reference: Any) -> list[dict[str, str]]:
        parts = [f"Rubric: {self.rubric}", f"Question / inputs: {json.dumps(inputs, default=str)}",
                 f"Answer to grade: {json.dumps(output, default=str)}"]
        if reference is not None:
            parts.append(f"Reference answer: {json.dumps(reference, default=str)}")
        return [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": "\n".join(parts)}]

    def ask(self, messages: list[dict[str, str]]) -> tuple[bool, str]:
        """One vote: (passed, reason).

        Raises:
            JudgeError: the endpoint failed or the reply holds no verdict.
        """
        body = json.dumps({"model": self.model, "messages": messages, "temperature": self.temperature}).encode()
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        request = urllib.request.Request(f"{self.base_url}/chat/completions", data=body, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                reply = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise JudgeError(f"judge endpoint answered HTTP {exc.code}: {exc.read()[:200]!r}") from None
        except (OSError, ValueError) as exc:
            raise JudgeError(f"judge endpoint {self.base_url} failed: {exc}") from None
        served = reply.get("model")
        if served and served != self.model:
            log.warning("judge: pinned model %s but %s answered", self.model, served)
        try:
            text = reply["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            raise JudgeError(f"judge reply is not a chat completion: {str(reply)[:200]}") from None
        return parse_verdict(text)

    def grade(self, inputs: Any, output: Any, reference: Any) -> EvaluationResult:
        """Ask ``n`` times; the majority verdict, the pass share as score, the votes as value."""
        messages = self.messages(inputs, output, reference)
        votes = [self.ask(messages) for _ in range(self.n)]
        passes = sum(passed for passed, _ in votes)
        majority = passes * 2 > self.n
        reason = next((why for passed, why in votes if passed == majority), "")
        return EvaluationResult(self.key, passes / self.n, value={"votes": [p for p, _ in votes], "model": self.model},
                                comment=reason or None, passed=majority)

    def __call__(self, run: EvalRun, example: Example) -> EvaluationResult:
        return self.grade(run.inputs, run.outputs, example.outputs)

    # Calibration --------------------------------------------------------------------------------

    def calibrate(self, examples: Sequence[Example], *, label_key: str = "human_label",
                  threshold: float = DEFAULT_THRESHOLD) -> CalibrationReport:
        """Agreement with the human labels stored on examples; warns (``CalibrationWarning``) below threshold.

        Raises:
            ValueError: no example carries a usable label.
        """
        agree, disagreements, n = 0, [], 0
        for example in examples:
            human = _label(example.metadata.get(label_key))
            if human is None:
                continue
            n += 1
            verdict = self.grade(example.inputs, example.outputs, example.metadata.get("reference"))
            if verdict.passed == human:
                agree += 1
            else:
                disagreements.append(example.id)
        if n == 0:
            raise ValueError(f"no example has a {label_key!r} label in its metadata")
        report = CalibrationReport(agree / n, n, threshold, disagreements)
        if not report.ok:
            warnings.warn(f"{report}: below the threshold, do not trust its scores yet", CalibrationWarning,
                          stacklevel=2)
        return report


def parse_verdict(text: str) -> tuple[bool, str]:
    """``{"verdict": ..., "reason": ...}`` (possibly inside a code fence), else the first PASS/FAIL word."""
    match = re.search(r"\{.*\}", text, re.DOTALL)
    if match:
        try:
            data = json.loads(match.group(0))
            verdict = str(data.get("verdict", "")).strip().lower()
            if verdict in ("pass", "fail"):
                return verdict == "pass", str(data.get("reason", ""))
        except (ValueError, AttributeError):
            pass
    word = _VERDICT.search(text)
    if word is None:
        raise JudgeError(f"judge reply holds no verdict: {text[:200]!r}")
    return word.group(1).lower() == "pass", text.strip()[:500]


def calibrate_on_dataset(judge: LLMJudge, dataset: str, *, split: str | None = None, client: Any = None,
                         data_dir: str | None = None, label_key: str = "human_label",
                         threshold: float = DEFAULT_THRESHOLD) -> CalibrationReport:
    """``judge.calibrate`` over a stored dataset's labelled examples (server or local store)."""
    from tracehound.evals.backend import open_backend

    backend = open_backend(client, data_dir)
    try:
        _, examples = backend.load_examples(dataset, split=split)
    finally:
        backend.close()
    return judge.calibrate(examples, label_key=label_key, threshold=threshold)
