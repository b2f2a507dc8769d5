"""OTLP/HTTP ingest throughput (protobuf) beside the native endpoint's, measured in the same run.

Starts ``tracehound serve`` on a fresh data dir (synchronous=FULL: every 2xx is on disk) and sends
pre-encoded ``ExportTraceServiceRequest`` protobufs of agent turns, the same 8-span shape as
``bench/ingest.py`` but written the way instrumentations write them (GenAI chat/tool/embedding spans
with messages and usage, OpenInference chain/retriever spans with session, user, tags, metadata).
Then the native ``POST /api/v1/spans`` is measured on the same server with the same batch sizes.
First, in process, the CPU time ``Translator.translate`` spends per span on pre-decoded requests
(the part of OTLP ingest that runs on the event loop).

    python bench/otlp_ingest.py [--seconds 4] [--translate-only]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from _load import post_concurrently
from _server import running_server
from ingest import measure_http as measure_native

_BASE_NS = (int(time.time()) - 86_400) * 1_000_000_000
_MESSAGES_IN = json.dumps([{"role": "user", "parts": [{"type": "text", "content": "where is my order " + "x" * 240}]}])
_MESSAGES_OUT = json.dumps([{"role": "assistant", "parts": [{"type": "text",
                                                             "content": "your order ships tomorrow " + "y" * 230}]}])


def _kv(key: str, value: object) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, list):
        return KeyValue(key=key, value=AnyValue(array_value={"values": [AnyValue(string_value=v) for v in value]}))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def _turn(rng: random.Random, seed: int) -> list[Span]:
    """One agent turn: chain root, llm plan, tool, retriever (+embedding), tool, llm answer, parser."""
    trace_id = rng.randbytes(16)
    ids = [rng.randbytes(8) for _ in range(8)]
    context = {"session.id": f"session-{seed // 5}", "user.id": f"user-{seed % 97}", "tag.tags": ["prod"],
               "metadata": json.dumps({"prompt_version": "v12", "tenant": f"t{seed % 7}"})}
    llm = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini",
           "gen_ai.usage.input_tokens": 400 + rng.randint(0, 200), "gen_ai.usage.output_tokens": 80,
           "gen_ai.input.messages": _MESSAGES_IN, "gen_ai.output.messages": _MESSAGES_OUT}
    tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup_order",
            "gen_ai.tool.call.arguments": json.dumps({"order_id": seed, "note": "x" * 250}),
            "gen_ai.tool.call.result": json.dumps({"status": "shipped", "detail": "y" * 250})}
    shape = (  # (parent index, name, attributes)
        (None, "support_agent", {"openinference.span.kind": "CHAIN", "input.value": "where is my order " + "x" * 260,
                                 "output.value": "your order ships tomorrow " + "y" * 250}),
        (0, "chat gpt-4o-mini", llm),
        (0, "execute_tool lookup_order", tool),
        (0, "search_kb", {"openinference.span.kind": "RETRIEVER", "input.value": "order status " + "x" * 250,
                          "retrieval.documents.0.document.id": "kb-1",
                          "retrieval.documents.0.document.content": "Orders ship in 2 days " + "y" * 230,
                          "retrieval.documents.0.document.score": "0.87"}),
        (3, "embeddings text-embedding-3-small", {"gen_ai.operation.name": "embeddings",
                                                  "gen_ai.request.model": "text-embedding-3-small",
                                                  "gen_ai.usage.input_tokens": 12}),
        (0, "execute_tool get_account", {**tool, "gen_ai.tool.name": "get_account"}),
        (0, "chat gpt-4o-mini", llm),
        (6, "format_reply", {"openinference.span.kind": "CHAIN", "input.value": "x" * 280, "output.value": "y" * 280}),
    )
    start = _BASE_NS + seed * 1_000_000
    spans = []
    for index, (parent, name, attributes) in enumerate(shape):
        begin = start + index * 100_000
        spans.append(Span(
            trace_id=trace_id, span_id=ids[index], parent_span_id=b"" if parent is None else ids[parent], name=name,
            kind=Span.SPAN_KIND_CLIENT if "gen_ai.operation.name" in attributes else Span.SPAN_KIND_INTERNAL,
            start_time_unix_nano=begin, end_time_unix_nano=begin + rng.randint(500_000, 50_000_000),
            attributes=[_kv(k, v) for k, v in {**attributes, **context}.items()], status=Status(code=1),
        ))
    return spans


def make_bodies(batch_spans: int, count: int, *, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    bodies = []
    for index in range(count):
        spans: list[Span] = []
        turn = 0
        while len(spans) < batch_spans:
            spans.extend(_turn(rng, seed * 1_000_000 + index * 1000 + turn))
            turn += 1
        request = ExportTraceServiceRequest()
        resource_spans = request.resource_spans.add()
        resource_spans.resource.attributes.append(_kv("service.name", "bench-agent"))
        scope_spans = resource_spans.scope_spans.add()
        scope_spans.scope.name = "bench.instrumentation"
        scope_spans.spans.extend(spans[:batch_spans])
        bodies.append(request.SerializeToString())
    return bodies


def measure_otlp(port: int, clients: int, batch_spans: int, seconds: float, seed: int) -> float:
    per_client = max(4, int(30_000 * seconds / batch_spans / clients) + 2)
    bodies = [make_bodies(batch_spans, per_client, seed=seed * 100 + c) for c in range(clients)]

    def accepted(status: int, payload: bytes) -> int | None:
        # A non-empty 200 body is a partial_success: something was rejected.
        return batch_spans if status == 200 and not payload else None

    return post_concurrently(port, "/v1/traces", "application/x-protobuf", bodies, seconds, accepted)


def translate_us_per_span(batch_spans: int = 1000, batches: int = 10, rounds: int = 3) -> float:
    """Best-of-``rounds`` process CPU µs per span of ``translate()`` (protobuf decoding excluded)."""
    from tracehound.ingest.otlp.decode import PROTOBUF, decode_request
    from tracehound.ingest.otlp.translate import Translator

    requests = [decode_request(body, PROTOBUF) for body in make_bodies(batch_spans, batches, seed=99)]
    translator = Translator(max_value_chars=1 << 20)
    translator.translate(requests[0])  # warm the per-key-set caches, as a running server has them
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()  # CPU time: less sensitive to a shared, noisy machine than wall time
        for request in requests:
            translator.translate(request)
        best = min(best, time.process_time() - start)
    return best / (batch_spans * batches) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="duration of each measurement")
    parser.add_argument("--translate-only", action="store_true", help="only the in-process translate() figure")
    args = parser.parse_args()
    print(f"otlp_ingest: translate() {translate_us_per_span():.1f} µs CPU/span in process (1000-span batches)")
    if args.translate_only:
        return
    print("otlp_ingest: durable OTLP/HTTP protobuf ingest (POST /v1/traces) vs native (POST /api/v1/spans),"
          " 8-span agent turns, same server")
    with tempfile.TemporaryDirectory() as data_dir, running_server(data_dir) as port:
        seed = 0
        for batch_spans in (100, 1000):
            for clients in (1, 4):
                seed += 1
                otlp = measure_otlp(port, clients, batch_spans, args.seconds, seed)
                native = measure_native(port, clients, batch_spans, args.seconds, seed + 50)
                print(f"  batch {batch_spans:>5} spans, {clients} client(s): OTLP {otlp:>9,.0f} spans/s"
                      f"   native {native:>9,.0f} spans/s   OTLP/native {otlp / native:.2f}")


if __name__ == "__main__":
    main()
