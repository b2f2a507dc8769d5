"""The mapping report: counts per source, hints that say why fields are empty, saved and loaded."""

from __future__ import annotations

from pathlib import Path

from opentelemetry.trace import Tracer

from tests.otlp_spans import record, request_of
from tracehound.ingest.otlp.report import MappingReport
from tracehound.ingest.otlp.report_store import ReportSaver, ReportStore
from tracehound.ingest.otlp.translate import Translator
from tracehound.store.sqlite import SqliteMetaStore
from tracehound.store.sqlite.connection import db_path


def content_off(tracer: Tracer) -> None:
    """A GenAI instrumentation with content capture off (its default): no messages at all."""
    for _ in range(3):
        with tracer.start_as_current_span("chat gpt-4o") as span:
            span.set_attributes({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
                                 "server.address": "api.openai.com"})


def test_report_counts_and_explains_empty_inputs() -> None:
    spans = record(content_off, scope="opentelemetry.instrumentation.openai_v2")
    result = Translator(max_value_chars=1 << 20).translate(request_of(spans))
    report = MappingReport()
    report.add(result.sources)
    report.add(result.sources)  # a second request from the same source adds up
    (source,) = report.sources()
    assert (source["service"], source["scope"], source["spans"], source["stored"]) == (
        "agent-svc", "opentelemetry.instrumentation.openai_v2", 6, 6)
    assert source["conventions"] == {"genai": 6} and source["run_types"] == {"llm": 6}
    assert source["missing"] == {"inputs:llm": 6, "outputs:llm": 6, "tokens:llm": 6}
    assert source["unmapped_attributes"] == {"server.address": 6}
    assert any("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT" in hint for hint in source["hints"])


def test_report_survives_a_restart(tmp_path: Path) -> None:
    meta = SqliteMetaStore(db_path(tmp_path))
    saver = ReportSaver(ReportStore(meta.ingest_sources))
    result = Translator(max_value_chars=1 << 20).translate(request_of(record(content_off)))
    saver.report.add(result.sources)
    saver.save()
    saver.save()  # nothing changed: nothing written, nothing lost
    meta.close()
    meta = SqliteMetaStore(db_path(tmp_path))
    reloaded = ReportSaver(ReportStore(meta.ingest_sources))
    assert reloaded.report.sources()[0]["stored"] == 3
    reloaded.report.add(Translator(max_value_chars=1 << 20).translate(request_of(record(content_off))).sources)
    reloaded.save()
    assert ReportStore(meta.ingest_sources).load()[0].stored == 6
    meta.close()
