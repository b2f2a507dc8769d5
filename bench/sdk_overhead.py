"""SDK overhead per span on the caller's thread, with the BatchExporter running.

    python bench/sdk_overhead.py                       # a local HTTP sink in a subprocess
    python bench/sdk_overhead.py --endpoint http://127.0.0.1:6180
    python bench/sdk_overhead.py --calls 50000 --features     # also with tail sampling + redaction on
    python bench/sdk_overhead.py --otel                       # with OpenTelemetry imported by the program

Times each call of a traced no-op function and of the same function undecorated, in the same run,
and prints median and p99 in µs, the overhead (traced minus plain) and the ratio. The sink answers
204 to every POST; it runs in its own process so it does not compete with the caller for the GIL.
Spans are produced in bursts with pauses (longer if the exporter falls behind), so nothing is dropped.

``--features`` times the traced call again with tail sampling (keep 10%) and redaction on, and the
exporter thread's work per span (sampling decision + JSON + redaction) with both off and on: the
features run on the exporter's thread, so the caller's cost should not move.

``--otel`` imports ``opentelemetry.trace`` (and installs an SDK ``TracerProvider``) first, so every
span also attaches an OpenTelemetry context for OTel spans to nest under (``tracehound.sdk.otel_bridge``);
the first line of output says whether it was imported.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

SINK = r"""
import http.server, sys
class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *args): pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(func, calls: int, burst: int, pause_s: float, exporter=None) -> list[float]:
    clock = time.perf_counter_ns
    samples: list[float] = []
    for start in range(0, calls, burst):
        for i in range(start, min(start + burst, calls)):
            t0 = clock()
            func(i, "question")
            samples.append((clock() - t0) / 1000)
        time.sleep(pause_s)
        deadline = time.monotonic() + 2.0
        while exporter is not None and exporter.queued_spans > burst and time.monotonic() < deadline:
            time.sleep(0.005)  # let a slower server catch up, so the figures are not about a full queue
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", help="a running tracehound server; default: a local sink")
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--burst", type=int, default=2_000, help="calls between pauses")
    parser.add_argument("--pause-ms", type=float, default=20.0)
    parser.add_argument("--features", action="store_true", help="also measure with sampling and redaction on")
    parser.add_argument("--otel", action="store_true", help="with OpenTelemetry imported")
    args = parser.parse_args()
    if args.otel:
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider

        trace.set_tracer_provider(TracerProvider())

    sink = None
    endpoint = args.endpoint
    if endpoint is None:
        sink = subprocess.Popen([sys.executable, "-c", SINK], stdout=subprocess.PIPE, text=True)
        assert sink.stdout is not None
        endpoint = f"http://127.0.0.1:{sink.stdout.readline().strip()}"
    try:
        import tracehound

        exporter = tracehound.BatchExporter(endpoint)
        tracehound.configure(exporter=exporter)

        def plain(n: int, text: str) -> int:
            return n

        traced = tracehound.traceable(plain)

        cpu: dict[str, float] = {}

        @tracehound.traceable(run_type="agent")
        def parent() -> tuple[list[float], list[float]]:
            # Process CPU (every thread: the caller's and the exporter's encoding and HTTP) and the
            # caller thread's own CPU, for the plain loop and for the traced loop up to its last span
            # delivered; the traced loop's extra over the plain one is what tracing costs the process.
            start_cpu, start_thread = time.process_time(), time.thread_time()
            plain_samples = measure(plain, args.calls, args.burst, args.pause_ms / 1000)
            tracehound.flush(30)
            mid_cpu, mid_thread = time.process_time(), time.thread_time()
            traced_samples = measure(traced, args.calls, args.burst, args.pause_ms / 1000, exporter)
            tracehound.flush(30)
            end_cpu, end_thread = time.process_time(), time.thread_time()
            cpu["plain"], cpu["traced"] = mid_cpu - start_cpu, end_cpu - mid_cpu
            cpu["plain_thread"], cpu["traced_thread"] = mid_thread - start_thread, end_thread - mid_thread
            return plain_samples, traced_samples

        measure(traced, 20_000, args.burst, 0.01)  # warm up
        measure(plain, 20_000, args.burst, 0.0)
        plain_us, traced_us = parent()
        ok = tracehound.flush(30)

        plain_med, traced_med = statistics.median(plain_us), statistics.median(traced_us)
        plain_p99, traced_p99 = percentile(plain_us, 0.99), percentile(traced_us, 0.99)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, exporter -> {endpoint}")
        print(f"opentelemetry imported: {'opentelemetry.trace' in sys.modules}")
        print(f"calls: {args.calls} each (timed one by one with perf_counter_ns, which adds ~0.05 µs)")
        print(f"plain call     median {plain_med:6.2f} µs   p99 {plain_p99:6.2f} µs")
        print(f"traced call    median {traced_med:6.2f} µs   p99 {traced_p99:6.2f} µs")
        print(f"SDK overhead   median {traced_med - plain_med:6.2f} µs   p99 {traced_p99 - plain_p99:6.2f} µs"
              f"   per span (target: median <= 2 µs)")
        print(f"ratio traced/plain (median): {traced_med / plain_med:.1f}x")
        total_us = (cpu["traced"] - cpu["plain"]) / args.calls * 1e6
        caller_us = (cpu["traced_thread"] - cpu["plain_thread"]) / args.calls * 1e6
        print(f"process CPU per span (caller + exporter thread, encoding and HTTP): {total_us:6.2f} µs"
              f"   (caller thread {caller_us:.2f} µs, other threads {total_us - caller_us:.2f} µs; target <= 15 µs)")
        print(f"exporter: {exporter.exported_spans} spans sent, {exporter.dropped_spans} dropped,"
              f" {exporter.failed_spans} failed, flushed={ok}")
        tracehound.shutdown(5)
        if args.features:
            compare_features(endpoint, args, traced, traced_med)
    finally:
        if sink is not None:
            sink.terminate()
            sink.wait()


def compare_features(endpoint: str, args: argparse.Namespace, traced, off_median: float) -> None:
    import tracehound
    from tracehound.sdk.sampling import TailSampler
    from tracehound.sdk.wire import encode_span

    sampling = tracehound.Sampling(keep_rate=0.1)
    redactor = tracehound.Redactor(key="bench")
    exporter = tracehound.BatchExporter(endpoint)
    tracehound.configure(exporter=exporter, sampling=sampling, redaction=redactor)

    @tracehound.traceable(run_type="agent")
    def parent() -> list[float]:
        return measure(traced, args.calls, args.burst, args.pause_ms / 1000, exporter)

    with tracehound.session("bench-session"):
        on_us = parent()
    tracehound.flush(30)
    on_median = statistics.median(on_us)
    print(f"traced call, sampling + redaction on: median {on_median:6.2f} µs   p99 {percentile(on_us, 0.99):6.2f} µs"
          f"   (off: median {off_median:6.2f} µs)")
    tracehound.shutdown(5)

    # The exporter thread's work per span, timed here on realistic spans (a message with an e-mail).
    memory = tracehound.InMemoryExporter()
    tracehound.configure(exporter=memory)

    @tracehound.traceable(run_type="llm")
    def answer(question: str, history: list[dict[str, str]]) -> dict[str, str]:
        return {"answer": "Your refund for order ORD-2024-000123 was sent to bob@example.com.", "id": "x"}

    history = [{"role": "user", "content": "Where is my refund? I am bob@example.com"}] * 4
    for n in range(20_000):
        with tracehound.session(f"s-{n % 500}"):
            answer("where is my refund?", history)
    runs = list(memory._runs)
    clock = time.perf_counter_ns
    t0 = clock()
    for run in runs:
        encode_span(run, "bench")
    off_ns = (clock() - t0) / len(runs)
    sampler = TailSampler(sampling)
    t0 = clock()
    for run in runs:
        for kept in sampler.offer(run, "bench"):
            encode_span(kept, "bench", redactor)
    on_ns = (clock() - t0) / len(runs)
    print(f"exporter thread per span: {off_ns / 1000:6.2f} µs off, {on_ns / 1000:6.2f} µs with sampling (10% kept)"
          f" + redaction; kept {sampler.kept_traces} of {len(runs)} traces")
    t0 = clock()
    for run in runs[:5000]:
        encode_span(run, "bench", redactor)
    print(f"exporter thread per span, redaction alone (every span kept): {(clock() - t0) / 5000 / 1000:6.2f} µs")
    tracehound.configure()


if __name__ == "__main__":
    main()
