"""Span → JSON on the exporter's thread: argument binding, unencodable values, caps, ids."""

from __future__ import annotations

import uuid

import msgspec

from tracehound.sdk import ids
from tracehound.sdk.run import Spec
from tracehound.sdk.wire import (
    MAX_REPR_CHARS,
    TRUNCATED_KEY,
    bind_inputs,
    encode_value,
    error_text,
    safe_repr,
)


def spec_of(func: object) -> Spec:
    return Spec(func, "f", "chain", (), {})


def test_ids_are_valid_distinct_uuid4_text() -> None:
    values = {ids.id_text(ids.next_id()) for _ in range(1000)}
    assert len(values) == 1000
    for text in list(values)[:20]:
        parsed = uuid.UUID(text)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122 and str(parsed) == text


def test_binding_fast_and_general_paths_agree() -> None:
    def plain(a: int, b: int = 2, *, c: int = 3) -> None: ...

    def general(a: int, /, *rest: int, key: str = "k", **extra: object) -> None: ...

    assert bind_inputs(spec_of(plain), (1,), {"c": 9}) == {"a": 1, "b": 2, "c": 9}
    assert list(bind_inputs(spec_of(plain), (), {"b": 5, "a": 4})) == ["a", "b", "c"]
    assert bind_inputs(spec_of(general), (1, 2, 3), {"z": True}) == {"a": 1, "rest": [2, 3], "key": "k", "z": True}
    # A call that does not bind (the function raised TypeError) still keeps what was passed.
    assert bind_inputs(spec_of(plain), (1, 2, 3), {}) == {"args": [1, 2, 3]}
    assert bind_inputs(spec_of(len), ("abc",), {}) == {"obj": "abc"}


def test_unencodable_values_are_repr_capped_and_never_raise() -> None:
    class Loud:
        def __repr__(self) -> str:
            return "x" * (MAX_REPR_CHARS * 3)

    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    cyclic: dict[str, object] = {"name": "loop"}
    cyclic["self"] = cyclic
    value = msgspec.json.decode(encode_value({"loud": Loud(), "broken": Broken(), (1, 2): "tuple key",
                                              "cyclic": cyclic, "ok": [1, 2.5, None, "s"]}))
    assert value["loud"].startswith("xxx") and value["loud"].endswith(f"[{MAX_REPR_CHARS * 3} chars]")
    assert "repr failed: RuntimeError" in value["broken"]
    assert value["(1, 2)"] == "tuple key" and value["ok"] == [1, 2.5, None, "s"]
    assert isinstance(value["cyclic"], str)
    assert safe_repr(Broken()).startswith("<")


def test_values_over_the_cap_become_a_truncation_marker() -> None:
    value = msgspec.json.decode(encode_value({"prompt": "y" * 5000}, cap_bytes=1000))
    marker = value[TRUNCATED_KEY]
    assert marker["original_bytes"] > 5000 and marker["preview"].startswith('{"prompt":"yyy')


def test_error_text_has_type_message_and_traceback() -> None:
    try:
        raise ValueError("bad input")
    except ValueError as exc:
        text = error_text(exc)
    assert text.startswith("ValueError: bad input\n\nTraceback (most recent call last):")
    assert 'raise ValueError("bad input")' in text


def test_common_span_fast_path_matches_the_general_encoding() -> None:
    """``encode_span`` formats the common span as text; it must say exactly what ``span_dict`` says."""
    import tracehound
    from tracehound.sdk.wire import encode_span, span_dict

    memory = tracehound.InMemoryExporter()
    tracehound.configure(exporter=memory)
    try:
        @tracehound.traceable(run_type="tool", tags=["a", "a", "b"], metadata={"v": 1, 2: "two"})
        def tool(query: str, k: int = 3, *, deep: bool = False) -> list[str]:
            return [query] * k

        class Agent:
            @tracehound.traceable(run_type="agent", metadata={"tenant": "t", "v": 0})
            def answer(self, question: str) -> dict[str, str]:
                tool(question)
                tool("x", 1)
                tool(query="y", deep=True)
                tool("ü\u2028\"", k=0)
                return {"answer": question}

        with tracehound.session("s-1", user_id="u\"1"):
            Agent().answer("why?")
        runs = list(memory._runs)
        assert len(runs) == 5
        for run in runs:
            fast = msgspec.json.decode(encode_span(run, "proj"))
            general = msgspec.json.decode(msgspec.json.encode(span_dict(run, "proj")))
            assert fast == general
        decoded = [msgspec.json.decode(encode_span(run, "proj")) for run in runs]
        assert {tuple(sorted(span["inputs"])) for span in decoded} == {("deep", "k", "query"), ("question",)}
        assert decoded[0]["metadata"] == {"tenant": "t", "v": 1, "2": "two"}  # inherited under its own
    finally:
        tracehound.configure()
