"""The LLM judge against a real HTTP server on 127.0.0.1 speaking OpenAI chat-completions, with scripted answers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import tracehound
from tests.http_servers import serving
from tracehound.errors import ConfigError
from tracehound.evals.judge import CalibrationWarning, JudgeError, LLMJudge, calibrate_on_dataset, parse_verdict
from tracehound.settings import Settings
from tracehound.store.base import Example, NewExample
from tracehound.store.sqlite import SqliteMetaStore
from tracehound.store.sqlite.connection import db_path

MODEL = "judge-model-2026-01-15"


class ScriptedChat:
    """An OpenAI-compatible ``/v1/chat/completions`` that answers from a script, in order."""

    def __init__(self) -> None:
        self.script: list[str] = []
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        chat = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with chat.lock:
                    chat.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
                    content = chat.script.pop(0) if chat.script else "no verdict here"
                if self.path != "/v1/chat/completions":
                    self.send_response(404)
                    self.end_headers()
                    return
                reply = json.dumps({"id": "c1", "object": "chat.completion", "model": body["model"], "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply.encode())

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def verdicts(self, *words: str) -> None:
        self.script.extend(json.dumps({"verdict": w, "reason": f"scripted {w}"}) for w in words)


@pytest.fixture
def chat() -> Iterator[ScriptedChat]:
    chat = ScriptedChat()
    with serving(server=chat.server):
        yield chat


def judge(chat: ScriptedChat, **options: object) -> LLMJudge:
    return LLMJudge("The answer must give the refund window.", model=MODEL, base_url=chat.base_url,
                    api_key="sk-test", **options)


def test_majority_vote_over_n_asks(chat: ScriptedChat) -> None:
    chat.verdicts("pass", "fail", "pass")
    result = judge(chat, n=3).grade({"q": "refund?"}, {"answer": "5 days"}, {"answer": "5 business days"})
    assert result.passed is True and result.score == pytest.approx(2 / 3)
    assert result.value == {"votes": [True, False, True], "model": MODEL} and result.comment == "scripted pass"
    chat.verdicts("fail", "pass", "fail")
    assert judge(chat, n=3).grade({}, "x", None).passed is False
    request = chat.requests[0]
    assert request["model"] == MODEL and request["auth"] == "Bearer sk-test" and request["temperature"] == 0.0
    prompt = request["messages"][1]["content"]
    assert "refund window" in prompt and "5 business days" in prompt


def test_calibration_reports_agreement_and_warns_below_the_threshold(chat: ScriptedChat) -> None:
    labelled = [Example(f"e{i}", "d", {"q": i}, {"answer": i}, {"human_label": label})
                for i, label in enumerate(["pass", "fail", "pass", "fail", "pass"])]
    chat.verdicts("pass", "fail", "pass", "fail", "fail")  # agrees on 4 of 5
    report = judge(chat).calibrate(labelled)
    assert report.percent == 80.0 and report.ok and report.disagreements == ["e4"]
    chat.verdicts("pass", "pass", "fail", "fail", "fail")  # scripted disagreement: 2 of 5
    with pytest.warns(CalibrationWarning, match="40.0% of 5 examples"):
        report = judge(chat).calibrate(labelled)
    assert report.agreement == 0.4 and not report.ok and report.disagreements == ["e1", "e2", "e4"]
    with pytest.raises(ValueError, match="human_label"):
        judge(chat).calibrate([Example("x", "d", {}, {})])


def test_calibration_on_a_stored_dataset(chat: ScriptedChat, tmp_path: Path) -> None:
    meta = SqliteMetaStore(db_path(tmp_path))
    dataset = meta.datasets.create_dataset("judge-calibration")
    meta.datasets.add_examples(dataset.id, [NewExample({"q": "a"}, "good", {"human_label": True}),
                                            NewExample({"q": "b"}, "bad", {"human_label": False})])
    meta.close()
    chat.verdicts("pass", "fail")
    report = calibrate_on_dataset(judge(chat), "judge-calibration", data_dir=str(tmp_path))
    assert report.percent == 100.0 and report.n == 2


def test_the_judge_as_an_evaluator_in_an_experiment(chat: ScriptedChat, tmp_path: Path) -> None:
    tracehound.configure(data_dir=str(tmp_path), batch_interval_ms=10)
    try:
        chat.verdicts("pass", "fail")
        results = tracehound.evaluate(lambda inputs: {"answer": inputs["q"]}, data=[
            {"inputs": {"q": "5 days"}, "outputs": {"answer": "5 days"}},
            {"inputs": {"q": "never"}, "outputs": {"answer": "5 days"}}], evaluators=[judge(chat)], max_concurrency=1)
    finally:
        tracehound.shutdown()
    assert [row.result.scores for row in results] == [{"judge": 1.0}, {"judge": 0.0}]
    assert [row.result.passed for row in results] == [True, False]
    chat.script.append("garbage")
    failing = judge(chat)
    with pytest.raises(JudgeError, match="no verdict"):
        failing.grade({}, "x", None)


def test_configuration_is_checked_and_read_from_settings(chat: ScriptedChat) -> None:
    with pytest.raises(ConfigError, match="pinned model"):
        LLMJudge("r", base_url=chat.base_url, settings=Settings())
    with pytest.raises(ConfigError, match="alias"):
        LLMJudge("r", model="gpt-4o-latest", base_url=chat.base_url)
    # A floating alias without "latest" in its name is refused too, naming the snapshot to pin.
    with pytest.raises(ConfigError, match="'gpt-4o-2024-08-06'"):
        LLMJudge("r", model="gpt-4o", base_url=chat.base_url)
    with pytest.raises(ConfigError, match="alias"):
        LLMJudge("r", model="claude-sonnet-4-5", base_url=chat.base_url)
    assert LLMJudge("r", model="claude-sonnet-4-5-20250929", base_url=chat.base_url).model.endswith("0929")
    configured = LLMJudge("r", settings=Settings(judge_base_url=chat.base_url, judge_model=MODEL))
    assert configured.model == MODEL and configured.base_url == chat.base_url
    assert parse_verdict('```json\n{"verdict": "FAIL", "reason": "wrong"}\n```') == (False, "wrong")
    assert parse_verdict("Verdict: PASS") == (True, "Verdict: PASS")
