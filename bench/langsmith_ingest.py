"""Spans/s stored from the real ``langsmith`` SDK (``/runs/multipart``, zstd on) beside our own SDK's figure.

Starts ``tracehound serve`` on a fresh data dir, then runs each SDK in its own process tracing the
same agent turns (8 nested spans: a chain root, llm, tool, retriever with an embedding child, tool,
llm, parser; realistic inputs/outputs, metadata, tags, token usage) as fast as it can. The clock
runs from the first traced call until the server has *committed* every span (``/healthz``'s
``committed_spans``), so the figure is end to end: SDK serialisation, compression, HTTP, parsing,
translation and durable storage.

    python bench/langsmith_ingest.py [--turns 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))

from _server import running_server

SPANS_PER_TURN = 8


def _turns_langsmith(turns: int) -> None:
    from langsmith import traceable
    from langsmith.run_trees import get_cached_client

    _trace(traceable, turns, lambda kind, name: {"run_type": kind, "name": name})
    get_cached_client().flush()


def _turns_tracehound(turns: int) -> None:
    import tracehound

    tracehound.configure()
    _trace(tracehound.traceable, turns, lambda kind, name: {"run_type": kind, "name": name})
    tracehound.flush(timeout_s=120)


def _trace(traceable, turns: int, options) -> None:  # type: ignore[no-untyped-def]
    usage = {"input_tokens": 420, "output_tokens": 80, "total_tokens": 500}

    @traceable(**options("llm", "chat_model"))
    def llm(prompt: str) -> dict:  # type: ignore[type-arg]
        return {"content": "your order ships tomorrow " + "y" * 230, "usage_metadata": usage}

    @traceable(**options("tool", "lookup_order"))
    def tool(order_id: int, note: str) -> dict:  # type: ignore[type-arg]
        return {"status": "shipped", "detail": "y" * 250}

    @traceable(**options("embedding", "embed"))
    def embed(text: str) -> list:  # type: ignore[type-arg]
        return [0.1] * 16

    @traceable(**options("retriever", "search_kb"))
    def retrieve(query: str) -> list:  # type: ignore[type-arg]
        embed(query)
        return [{"id": "kb-1", "content": "Orders ship in 2 days " + "y" * 230, "score": 0.87}]

    @traceable(**options("parser", "format_reply"))
    def parse(text: str) -> str:
        return text[:280]

    @traceable(**options("chain", "support_agent"))
    def agent(question: str, turn: int) -> str:
        llm(question)
        tool(turn, "x" * 250)
        retrieve("order status " + "x" * 250)
        tool(turn + 1, "x" * 250)
        return parse(llm(question)["content"])

    for turn in range(turns):
        agent("where is my order " + "x" * 240, turn)


def _worker(sdk: str, turns: int) -> None:
    print(f"START {time.time()}", flush=True)
    started = time.perf_counter()
    (_turns_langsmith if sdk == "langsmith" else _turns_tracehound)(turns)
    print(f"TRACED {time.perf_counter() - started}", flush=True)


def _committed(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        return int(json.loads(response.read())["committed_spans"])


def measure(port: int, sdk: str, turns: int) -> tuple[float, float, float]:
    """(spans/s stored end to end, seconds the tracing loop took, seconds from its end until all was stored)."""
    before = _committed(port)
    endpoint = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANGSMITH_", "LANGCHAIN_", "TRACEHOUND_"))}
    env.update(LANGSMITH_ENDPOINT=endpoint, LANGSMITH_API_KEY="bench", LANGSMITH_TRACING="true",
               LANGSMITH_PROJECT="bench-langsmith", LANGSMITH_TRACING_QUEUE_MAX_SIZE="10000000",
               TRACEHOUND_ENDPOINT=endpoint, TRACEHOUND_PROJECT="bench-tracehound",
               TRACEHOUND_QUEUE_MAX_SPANS="10000000", PYTHONWARNINGS="ignore")
    worker = subprocess.Popen([sys.executable, __file__, "--worker", sdk, "--turns", str(turns)], env=env,
                              stdout=subprocess.PIPE, text=True)
    assert worker.stdout is not None
    start = float(worker.stdout.readline().split()[1])
    expected = before + turns * SPANS_PER_TURN
    deadline = time.monotonic() + 300
    while _committed(port) < expected:
        if time.monotonic() > deadline:
            raise SystemExit(f"{sdk}: only {_committed(port) - before} of {turns * SPANS_PER_TURN} spans stored")
        time.sleep(0.01)
    stored_at = time.time()
    traced_s = float(worker.stdout.readline().split()[1])
    worker.wait(timeout=120)
    return turns * SPANS_PER_TURN / (stored_at - start), traced_s, max(0.0, stored_at - start - traced_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=2000, help="agent turns per SDK (8 spans each)")
    parser.add_argument("--worker", choices=("langsmith", "tracehound"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker, args.turns)
        return
    import langsmith

    print(f"langsmith_ingest: {args.turns * SPANS_PER_TURN:,} spans per SDK ({args.turns} turns of 8 nested runs),"
          f" stored durably, langsmith {langsmith.__version__} (multipart, zstd) vs tracehound SDK (BatchExporter)")
    with tempfile.TemporaryDirectory() as data_dir, running_server(data_dir) as port:
        for sdk in ("langsmith", "tracehound", "langsmith", "tracehound"):
            rate, traced_s, lag_s = measure(port, sdk, args.turns)
            print(f"  {sdk:<10} {rate:>9,.0f} spans/s stored   tracing + flush {traced_s:.2f} s"
                  f" ({traced_s / (args.turns * SPANS_PER_TURN) * 1e6:.0f} µs/span in the client process),"
                  f" all committed {lag_s:.2f} s after the flush returned")


if __name__ == "__main__":
    main()
