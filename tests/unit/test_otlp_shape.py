"""Spans sharing one attribute key set share a cached ``Shape``, yet each is mapped from its own values."""

from __future__ import annotations

from opentelemetry.trace import Tracer

from tests.otlp_spans import record, request_of
from tracehound.ingest.otlp.shape import shape_of
from tracehound.ingest.otlp.translate import Translator


def same_keys_different_values(tracer: Tracer) -> None:
    for name, tokens, model in (("usable", 7, "m"), ("unusable", "n/a", "")):
        with tracer.start_as_current_span(name) as span:
            span.set_attributes({"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": tokens,
                                 "llm.token_count.prompt": 5, "gen_ai.request.model": model, "http.url": name})


def test_a_cached_shape_does_not_carry_values_from_span_to_span() -> None:
    result = Translator(max_value_chars=1 << 20).translate(request_of(record(same_keys_different_values)))
    spans = {span.name: span for span in result.spans}

    assert spans["usable"].prompt_tokens == 7 and spans["usable"].model == "m"
    # The same keys, but the first-ranked token count is not a number: the next one wins; no model at all.
    assert spans["unusable"].prompt_tokens == 5 and spans["unusable"].model is None
    assert spans["unusable"].metadata["otel"]["attributes"] == {"http.url": "unusable"}
    (stats,) = result.sources.values()
    assert stats.fields["prompt_tokens"] == {"genai": 1, "openinference": 1}
    assert stats.missing["model:llm"] == 1


def test_shape_lists_prefixed_keys_in_attribute_order_and_is_cached() -> None:
    keys = ("llm.tools.1.tool.name", "input.value", "llm.tools.0.tool.name", "http.url")
    shape = shape_of(keys)

    assert shape_of(keys) is shape
    assert shape.keys_with("llm.tools.") == ("llm.tools.1.tool.name", "llm.tools.0.tool.name")
    assert shape.unmapped == ("http.url",)
    assert shape.conventions == ("openinference",)
    # Event names are part of the key: a GenAI event makes GenAI present.
    assert shape_of(keys, ("gen_ai.choice",)).conventions == ("genai", "openinference")
