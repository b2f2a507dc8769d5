"""``@traceable``, ``span()``, ``session()`` and ``get_current_span()``: what ends up on the spans."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import threading
from collections.abc import AsyncIterator, Iterator

import pytest

import tracehound
from tracehound.model import Span
from tracehound.sdk import _guard


@pytest.fixture
def memory() -> Iterator[tracehound.InMemoryExporter]:
    exporter = tracehound.InMemoryExporter()
    tracehound.configure(exporter=exporter)
    yield exporter
    tracehound.shutdown()
    tracehound.configure()


def by_name(spans: list[Span]) -> dict[str, Span]:
    return {span.name: span for span in spans}


@tracehound.traceable(run_type="tool")
def add(a: int, b: int = 10) -> int:
    return a + b


def test_sync_nesting_sets_parent_trace_step_and_dotted_order(memory: tracehound.InMemoryExporter) -> None:
    @tracehound.traceable(run_type="agent", tags=["prod"], metadata={"v": 1})
    def agent(x: int) -> int:
        return add(x) + add(x, b=1)

    assert agent(1) == 13
    spans = memory.get_spans()
    root = next(span for span in spans if span.name == "agent")
    children = sorted((span for span in spans if span.name == "add"), key=lambda span: span.step or 0)
    assert root.parent_id is None and root.trace_id == root.id and root.step == 0
    assert root.run_type == "agent" and root.tags == ["prod"] and root.metadata == {"v": 1}
    assert [child.parent_id for child in children] == [root.id, root.id]
    assert {child.trace_id for child in children} == {root.id}
    assert [child.step for child in children] == [1, 2]
    assert [child.inputs for child in children] == [{"a": 1, "b": 10}, {"a": 1, "b": 1}]
    assert [child.outputs for child in children] == [{"output": 11}, {"output": 2}]
    for child in children:
        assert child.dotted_order is not None and root.dotted_order is not None
        assert child.dotted_order.startswith(root.dotted_order + ".")
        assert child.dotted_order.endswith(child.id.replace("-", ""))
        assert child.start_us >= root.start_us and child.end_us is not None and child.end_us <= (root.end_us or 0)
    assert root.status == "ok" and root.dotted_order.endswith("Z" + root.id.replace("-", ""))


def test_async_nesting_and_gather_children_share_the_parent(memory: tracehound.InMemoryExporter) -> None:
    @tracehound.traceable(run_type="llm")
    async def call_model(prompt: str) -> str:
        await asyncio.sleep(0.001)
        return prompt.upper()

    @tracehound.traceable(run_type="agent")
    async def agent() -> list[str]:
        return list(await asyncio.gather(call_model("a"), call_model("b"), call_model("c")))

    assert asyncio.run(agent()) == ["A", "B", "C"]
    spans = memory.get_spans()
    root = by_name(spans)["agent"]
    calls = [span for span in spans if span.name == "call_model"]
    assert len(calls) == 3
    assert {span.parent_id for span in calls} == {root.id}
    assert {span.trace_id for span in calls} == {root.id}
    assert sorted(span.step for span in calls) == [1, 2, 3]  # type: ignore[type-var]
    assert sorted(span.inputs["prompt"] for span in calls) == ["a", "b", "c"]


def test_generators_record_items_and_their_own_children(memory: tracehound.InMemoryExporter) -> None:
    @tracehound.traceable
    def numbers(n: int) -> Iterator[int]:
        for i in range(n):
            yield add(i, 0)

    @tracehound.traceable(run_type="agent")
    def consume() -> int:
        total = 0
        for value in numbers(3):
            # The consumer's own spans belong to consume, not to the suspended generator.
            total += add(value, 100)
        return total

    assert consume() == 303
    spans = memory.get_spans()
    root, gen = by_name(spans)["consume"], by_name(spans)["numbers"]
    adds = [span for span in spans if span.name == "add"]
    assert gen.parent_id == root.id and gen.outputs == {"output": [0, 1, 2]}
    assert sorted(span.inputs["b"] for span in adds if span.parent_id == gen.id) == [0, 0, 0]
    assert sorted(span.inputs["b"] for span in adds if span.parent_id == root.id) == [100, 100, 100]


def test_generator_closed_early_still_ends_its_span(memory: tracehound.InMemoryExporter) -> None:
    @tracehound.traceable
    def forever() -> Iterator[int]:
        i = 0
        while True:
            yield i
            i += 1

    for value in forever():
        if value == 2:
            break
    (span,) = memory.get_spans()
    assert span.status == "ok" and span.outputs == {"output": [0, 1, 2]}


def test_generator_send_and_throw_pass_through(memory: tracehound.InMemoryExporter) -> None:
    @tracehound.traceable
    def echo() -> Iterator[str]:
        received = yield "ready"
        while True:
            try:
                received = yield f"got {received}"
            except ValueError:
                received = yield "recovered"

    gen = echo()
    assert next(gen) == "ready"
    assert gen.send("x") == "got x"
    assert gen.throw(ValueError("boom")) == "recovered"
    gen.close()
    (span,) = memory.get_spans()
    assert span.outputs == {"output": ["ready", "got x", "recovered"]}


def test_async_generator_nesting(memory: tracehound.InMemoryExporter) -> None:
    @tracehound.traceable(run_type="llm")
    async def stream(n: int) -> AsyncIterator[str]:
        for i in range(n):
            await asyncio.sleep(0)
            yield f"tok{add(i, 0)}"

    @tracehound.traceable(run_type="agent")
    async def agent() -> str:
        return "".join([token async for token in stream(2)])

    assert asyncio.run(agent()) == "tok0tok1"
    spans = memory.get_spans()
    root, llm = by_name(spans)["agent"], by_name(spans)["stream"]
    assert llm.parent_id == root.id and llm.outputs == {"output": ["tok0", "tok1"]}
    assert {span.parent_id for span in spans if span.name == "add"} == {llm.id}


def test_thread_with_copied_context_keeps_the_parent(memory: tracehound.InMemoryExporter) -> None:
    @tracehound.traceable(run_type="agent")
    def agent() -> None:
        context = contextvars.copy_context()
        worker = threading.Thread(target=context.run, args=(add, 1))
        worker.start()
        worker.join()
        plain = threading.Thread(target=add, args=(2,))  # no copied context: a new trace
        plain.start()
        plain.join()

    agent()
    spans = memory.get_spans()
    root = by_name(spans)["agent"]
    adds = {span.inputs["a"]: span for span in spans if span.name == "add"}
    assert adds[1].parent_id == root.id and adds[1].trace_id == root.id
    assert adds[2].parent_id is None and adds[2].trace_id == adds[2].id


class Boom(Exception):
    pass


def test_exceptions_are_recorded_and_reraised_unchanged(memory: tracehound.InMemoryExporter) -> None:
    error = Boom("model refused")

    @tracehound.traceable
    def fails() -> None:
        raise error

    @tracehound.traceable
    async def fails_async() -> None:
        raise error

    with pytest.raises(Boom) as caught:
        fails()
    assert caught.value is error
    with pytest.raises(Boom) as caught_async:
        asyncio.run(fails_async())
    assert caught_async.value is error
    for span in memory.get_spans():
        assert span.status == "error"
        assert span.error is not None
        assert span.error.startswith("Boom: model refused\n\nTraceback (most recent call last):")
        assert "raise error" in span.error
        assert span.outputs is None


def test_cancelled_and_interrupted_spans(memory: tracehound.InMemoryExporter) -> None:
    @tracehound.traceable
    async def slow() -> None:
        await asyncio.sleep(10)

    async def main() -> None:
        task = asyncio.ensure_future(slow())
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())

    @tracehound.traceable
    def needs_approval() -> str:
        tracehound.get_current_span().interrupt(reason="approval_required")
        return "paused"

    needs_approval()
    spans = by_name(memory.get_spans())
    assert spans["slow"].status == "interrupted" and spans["slow"].status_reason == "CancelledError"
    assert spans["needs_approval"].status == "interrupted"
    assert spans["needs_approval"].status_reason == "approval_required"


def test_current_span_setters(memory: tracehound.InMemoryExporter) -> None:
    @tracehound.traceable(run_type="llm", metadata={"a": 1})
    def llm(prompt: str) -> str:
        run = tracehound.get_current_span()
        run.set_metadata({"b": 2}, c=3)
        run.add_tags("x", ["y", "z"])
        run.set_tokens(prompt=10, completion=5)
        run.set_cost(0.002, {"prompt": 0.001, "completion": 0.001})
        run.set_model("gpt-test")
        run.add_event("first_token", index=0)
        run.set_inputs({"messages": [prompt]})
        run.set_outputs({"text": "hi"})
        return "ignored"

    llm("hello")
    (span,) = memory.get_spans()
    assert span.metadata == {"a": 1, "b": 2, "c": 3} and span.tags == ["x", "y", "z"]
    assert (span.prompt_tokens, span.completion_tokens, span.total_tokens) == (10, 5, 15)
    assert span.cost == 0.002 and span.cost_details == {"prompt": 0.001, "completion": 0.001}
    assert span.model == "gpt-test" and span.inputs == {"messages": ["hello"]} and span.outputs == {"text": "hi"}
    assert span.events[0]["name"] == "first_token" and span.events[0]["attributes"] == {"index": 0}


def test_get_current_span_outside_a_span_is_a_harmless_stand_in(memory: tracehound.InMemoryExporter) -> None:
    run = tracehound.get_current_span()
    assert not run.is_recording
    run.set_metadata(a=1)
    run.set_outputs("x")
    run.interrupt()
    assert memory.get_spans() == []


def test_span_block_nests_and_records_errors(memory: tracehound.InMemoryExporter) -> None:
    @tracehound.traceable(run_type="agent")
    def agent() -> None:
        with tracehound.span("retrieve", run_type="retriever", inputs={"q": "refund"}, tags=["kb"]) as run:
            assert tracehound.get_current_span() is run
            add(1)
            run.set_outputs({"docs": 2})
        with pytest.raises(KeyError), tracehound.span("broken"):
            raise KeyError("missing")

    agent()
    spans = by_name(memory.get_spans())
    root, block = spans["agent"], spans["retrieve"]
    assert block.parent_id == root.id and block.run_type == "retriever" and block.tags == ["kb"]
    assert block.inputs == {"q": "refund"} and block.outputs == {"docs": 2}
    assert spans["add"].parent_id == block.id
    assert spans["broken"].status == "error" and spans["broken"].error.startswith("KeyError: 'missing'")


def test_session_stamps_every_span_inside(memory: tracehound.InMemoryExporter) -> None:
    @tracehound.traceable(run_type="agent")
    def turn(text: str) -> int:
        return add(len(text))

    with tracehound.session("sess-42", user_id="u-7"):
        turn("hi")
        turn("again")
    turn("outside")

    @tracehound.session("sess-async")
    async def async_turn() -> int:
        return await asyncio.to_thread(lambda: 1) + add(1)

    asyncio.run(async_turn())
    spans = memory.get_spans()
    stamped = [span for span in spans if span.session_id == "sess-42"]
    assert len(stamped) == 4 and {span.user_id for span in stamped} == {"u-7"}
    outside = [span for span in spans if span.session_id is None]
    assert {span.inputs.get("text") for span in outside if span.name == "turn"} == {"outside"}
    assert [span.session_id for span in spans if span.name == "add" and span.inputs["a"] == 1] == ["sess-async"]


def test_inputs_capture_names_self_varargs_and_unencodable_values(memory: tracehound.InMemoryExporter) -> None:
    class Opaque:
        def __repr__(self) -> str:
            return "O" * 10_000

    class Tool:
        @tracehound.traceable(run_type="tool")
        def run(self, query: str, *extra: int, limit: int = 3, **options: object) -> dict[str, int]:
            return {"n": limit}

    Tool().run("q", 1, 2, obj=Opaque(), flag=True)
    (span,) = memory.get_spans()
    assert span.inputs["query"] == "q" and span.inputs["extra"] == [1, 2] and span.inputs["limit"] == 3
    assert span.inputs["flag"] is True and "self" not in span.inputs
    assert span.inputs["obj"].startswith("OOO") and len(span.inputs["obj"]) < 2100
    assert span.outputs == {"n": 3}


def test_tracing_off_is_a_plain_call(memory: tracehound.InMemoryExporter) -> None:
    tracehound.configure(tracing=False, exporter=memory)

    @tracehound.traceable
    def gen() -> Iterator[int]:
        yield add(1)

    with tracehound.span("block") as run:
        assert not run.is_recording
        assert add(1) == 11 and list(gen()) == [11]
    assert memory.get_spans() == []


def test_tracing_off_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    exporter = tracehound.InMemoryExporter()
    monkeypatch.setenv("TRACEHOUND_TRACING", "false")
    tracehound.configure(exporter=exporter)
    try:
        assert add(2) == 12
        assert exporter.get_spans() == []
    finally:
        monkeypatch.delenv("TRACEHOUND_TRACING")
        tracehound.configure()


def test_sampling_keeps_or_drops_whole_traces(memory: tracehound.InMemoryExporter) -> None:
    tracehound.configure(sample_rate=0.0, exporter=memory)

    @tracehound.traceable
    def agent() -> int:
        assert not tracehound.get_current_span().is_recording
        return add(1)

    assert agent() == 11
    assert memory.get_spans() == []


def test_bad_options_fail_loudly_at_decoration() -> None:
    with pytest.raises(ValueError, match="did you mean 'tool'"):
        tracehound.traceable(run_type="tools")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="sample_rate"):
        tracehound.configure(sample_rate=2.0)
    with pytest.raises(ValueError, match="session_id"):
        tracehound.session("")


def test_sdk_errors_never_reach_user_code(memory: tracehound.InMemoryExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    class BrokenExporter(tracehound.SpanExporter):
        def export(self, run: tracehound.Run) -> None:
            raise RuntimeError("exporter bug")

    monkeypatch.setattr(_guard, "RERAISE", False)
    tracehound.configure(exporter=BrokenExporter())
    assert add(1) == 11
    with pytest.raises(Boom):
        tracehound.traceable(lambda: (_ for _ in ()).throw(Boom()))()
    with tracehound.span("x"):
        pass


def test_decorated_function_keeps_its_identity() -> None:
    assert add.__name__ == "add" and add.__wrapped__.__name__ == "add"  # type: ignore[attr-defined]
    assert inspect.iscoroutinefunction(tracehound.traceable(asyncio.sleep))


def test_children_inherit_their_ancestors_metadata_nearest_wins(memory: tracehound.InMemoryExporter) -> None:
    @tracehound.traceable(run_type="llm", metadata={"prompt_version": "v4"})
    def call() -> None:
        tracehound.get_current_span().set_metadata(usage={"cached_tokens": 3})

    @tracehound.traceable(run_type="chain", metadata={"agent": "refunds"})
    def step() -> None:
        call()

    @tracehound.traceable(metadata={"tenant": "acme", "prompt_version": "v3"})
    def turn() -> None:
        tracehound.get_current_span().set_metadata(feature_flag="fast-path")
        step()

    turn()
    spans = by_name(memory.get_spans())
    assert spans["call"].metadata == {"tenant": "acme", "prompt_version": "v4", "feature_flag": "fast-path",
                                      "agent": "refunds", "usage": {"cached_tokens": 3}}
    assert spans["step"].metadata == {"tenant": "acme", "prompt_version": "v3", "feature_flag": "fast-path",
                                      "agent": "refunds"}
    assert "usage" not in spans["turn"].metadata and "agent" not in spans["turn"].metadata


def test_metadata_inheritance_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    @tracehound.traceable
    def child() -> None:
        pass

    @tracehound.traceable(metadata={"tenant": "acme"})
    def parent() -> None:
        child()

    for how in ("argument", "environment"):
        exporter = tracehound.InMemoryExporter()
        if how == "argument":
            tracehound.configure(exporter=exporter, inherit_metadata=False)
        else:
            monkeypatch.setenv("TRACEHOUND_INHERIT_METADATA", "false")
            tracehound.configure(exporter=exporter)
        try:
            parent()
            assert by_name(exporter.get_spans())["child"].metadata == {}, how
        finally:
            tracehound.shutdown()
            monkeypatch.delenv("TRACEHOUND_INHERIT_METADATA", raising=False)
            tracehound.configure()


def test_inputs_and_outputs_are_recorded_as_they_were_at_the_call(memory: tracehound.InMemoryExporter) -> None:
    """An agent loop appends to its message list after each LLM call: each call keeps the history it saw."""

    @tracehound.traceable(run_type="llm")
    def chat(messages: list[dict[str, str]], *, options: dict[str, int]) -> list[str]:
        return [message["content"] for message in messages]

    @tracehound.traceable(run_type="tool")
    async def achat(messages: list[dict[str, str]]) -> dict[str, list[str]]:
        return {"seen": [message["content"] for message in messages]}

    @tracehound.traceable
    def stream(messages: list[str]) -> Iterator[list[str]]:
        yield messages

    options = {"temperature": 0}
    messages = [{"role": "user", "content": "hi"}]
    first = chat(messages, options=options)
    messages.append({"role": "assistant", "content": first[0]})
    messages.append({"role": "user", "content": "again"})
    options["temperature"] = 1
    first.append("mutated after return")
    second = chat(messages, options=options)
    replied = asyncio.run(achat(messages))
    replied["seen"].clear()
    items = ["a"]
    for item in stream(items):
        item.append("b")  # the consumer mutates what was yielded
    with tracehound.span("block", inputs={"history": items}) as run:
        outputs = {"n": len(items)}
        run.set_outputs(outputs)
        outputs["n"] = 99
    items.append("c")

    spans = [span for span in memory.get_spans() if span.name == "chat"]
    assert [len(span.inputs["messages"]) for span in spans] == [1, 3]
    assert [span.inputs["options"] for span in spans] == [{"temperature": 0}, {"temperature": 1}]
    assert spans[0].outputs == {"output": ["hi"]} and second == ["hi", "hi", "again"]
    named = by_name(memory.get_spans())
    assert named["achat"].outputs == {"seen": ["hi", "hi", "again"]}
    assert named["stream"].outputs == {"output": [["a", "b"]]}  # items are kept when the generator ends
    assert named["block"].inputs == {"history": ["a", "b"]} and named["block"].outputs == {"n": 2}
