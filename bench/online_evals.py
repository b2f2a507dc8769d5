"""Ingest throughput with an online LLM-judge rule on 5% of sessions, against the same server without it.

Two fresh servers in turn, the same pre-encoded 8-span agent turns from 4 clients at 1,000-span batches:
the baseline without online rules, then with a rules file holding a ``judge`` rule (5% of sessions,
3 votes) pointed at a local fake judge that answers after 20 ms, like a fast hosted model. The
figure that matters is the ratio (target ≥ 0.90): the worker pool must never slow ingest. Also
printed: traces judged, dropped (queue full: counted, never waited for), and judge calls.

    python bench/online_evals.py [--seconds 4] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))

import msgspec

from _load import post_concurrently
from _server import running_server
from _workload import agent_turn_spans

TARGET_RATIO = 0.90
JUDGE_LATENCY_S = 0.02


class FakeJudge(BaseHTTPRequestHandler):
    calls = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        time.sleep(JUDGE_LATENCY_S)
        with FakeJudge.lock:
            FakeJudge.calls += 1
        reply = json.dumps({"model": body["model"], "choices": [
            {"index": 0, "message": {"role": "assistant", "content": '{"verdict": "pass", "reason": "ok"}'}}]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply.encode())

    def log_message(self, *args: object) -> None:
        pass


def bodies(clients: int, per_client: int, seed: int) -> list[list[bytes]]:
    out = []
    for client in range(clients):
        own = []
        for index in range(per_client):
            spans: list[dict] = []
            turn = 0
            while len(spans) < 1000:
                spans.extend(agent_turn_spans((seed * 100 + client) * 1_000_000 + index * 1000 + turn,
                                              base_us=int(time.time() * 1e6) - 3_600_000_000))
                turn += 1
            own.append(msgspec.json.encode({"spans": spans[:1000]}))
        out.append(own)
    return out


def _accepted(status: int, payload: bytes) -> int | None:
    return msgspec.json.decode(payload)["accepted"] if status == 200 else None


def measure(env: dict[str, str], seconds: float, seed: int) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as data_dir, running_server(data_dir, env=env) as port:
        rate = post_concurrently(port, "/api/v1/spans", "application/json",
                                 bodies(4, int(30 * seconds / 4) + 4, seed), seconds, _accepted)
        time.sleep(1.0)  # let the workers catch up on what is queued
        import httpx

        stats = httpx.get(f"http://127.0.0.1:{port}/api/v1/online-rules").json()["stats"]
    return rate, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeJudge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.toml"
        rules.write_text('[[online]]\nid = "judge-5pct"\nsample_rate = 0.05\n'
                         'evaluators = [{name = "judge", rubric = "Answers the question", n = 3}]\n')
        judged = {"TRACEHOUND_ALERT_RULES_FILE": str(rules), "TRACEHOUND_JUDGE_MODEL": "judge-2026-01-01",
                  "TRACEHOUND_JUDGE_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}"}
        print("online_evals: durable ingest (4 clients, 1000-span batches) with a 5% LLM-judge rule vs without")
        offs, ons, stats = [], [], {}
        for round_no in range(args.rounds):
            off, _ = measure({}, args.seconds, seed=round_no * 2)
            on, stats = measure(judged, args.seconds, seed=round_no * 2 + 1)
            offs.append(off)
            ons.append(on)
            print(f"  round {round_no + 1}: without {off:,.0f} spans/s · with the judge rule {on:,.0f} spans/s"
                  f" · ratio {on / off:.2f}")
        best_off, best_on = max(offs), max(ons)
        counts = stats.get("rules", {}).get("judge-5pct", {})
        print(f"  best: without {best_off:,.0f} spans/s, with {best_on:,.0f} spans/s: ratio {best_on / best_off:.2f}"
              f" (target ≥ {TARGET_RATIO})")
        print(f"  last run: traces queued {counts.get('queued', 0)}, evaluated {counts.get('evaluated', 0)},"
              f" dropped (queue full) {counts.get('dropped', 0)}, judge calls {FakeJudge.calls}"
              f" ({JUDGE_LATENCY_S * 1000:.0f} ms each), queue limit {stats.get('queue_limit')}")
    server.shutdown()


if __name__ == "__main__":
    main()
