"""Each agent convention, as the OpenTelemetry SDK encodes it, maps onto the span model."""

from __future__ import annotations

import json
from typing import Any

from opentelemetry.trace import Status, StatusCode, Tracer

from tests.otlp_spans import record, request_of
from tracehound.ingest.otlp.translate import Translation, Translator
from tracehound.model import Span


def translate(build: Any, **kwargs: Any) -> tuple[dict[str, Span], Translation]:
    result = Translator(max_value_chars=1 << 20).translate(request_of(record(build, **kwargs)))
    return {span.name: span for span in result.spans}, result


# OpenTelemetry GenAI ---------------------------------------------------------------------------------

def test_genai_current_attributes_with_structured_messages() -> None:
    def build(tracer: Tracer) -> None:
        with tracer.start_as_current_span("invoke_agent support") as agent:
            agent.set_attributes({"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support",
                                  "gen_ai.conversation.id": "conv-1"})
            with tracer.start_as_current_span("chat gpt-4o") as chat:
                chat.set_attributes({
                    "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                    "gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06",
                    "gen_ai.request.temperature": 0.2, "gen_ai.usage.input_tokens": 120,
                    "gen_ai.usage.output_tokens": 30, "gen_ai.usage.cache_read.input_tokens": 100,
                    "gen_ai.usage.cache_creation.input_tokens": 7, "gen_ai.usage.reasoning.output_tokens": 12,
                    "gen_ai.response.finish_reasons": ["tool_calls"],
                })
                chat.set_attribute("gen_ai.system_instructions", [{"type": "text", "content": "Be brief."}])
                chat.set_attribute("gen_ai.input.messages", [
                    {"role": "user", "parts": [{"type": "text", "content": "Where is order 42?"}]}])
                chat.set_attribute("gen_ai.output.messages", [{"role": "assistant", "finish_reason": "tool_calls",
                                                                "parts": [
                    {"type": "reasoning", "content": "need lookup"},
                    {"type": "tool_call", "id": "call_1", "name": "lookup", "arguments": {"order": 42}}]}])
            with tracer.start_as_current_span("execute_tool lookup") as tool:
                tool.set_attributes({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup",
                                     "gen_ai.tool.call.id": "call_1", "gen_ai.tool.call.arguments": '{"order": 42}',
                                     "gen_ai.tool.call.result": '{"status": "shipped"}'})

    spans, result = translate(build)
    agent, chat, tool = spans["invoke_agent support"], spans["chat gpt-4o"], spans["lookup"]
    assert (agent.run_type, agent.session_id, agent.metadata["agent_name"]) == ("agent", "conv-1", "support")
    assert chat.run_type == "llm" and chat.parent_id == agent.id and tool.parent_id == agent.id
    assert chat.model == "gpt-4o-2024-08-06" and chat.metadata["request_model"] == "gpt-4o"
    assert chat.metadata["provider"] == "openai"
    assert chat.metadata["invocation_params"] == {"temperature": 0.2}
    assert chat.inputs == {"messages": [{"role": "system", "content": "Be brief."},
                                        {"role": "user", "content": "Where is order 42?"}]}
    call = {"id": "call_1", "name": "lookup", "arguments": {"order": 42}}
    assert chat.outputs == {"messages": [{"role": "assistant", "reasoning": "need lookup",
                                          "finish_reason": "tool_calls", "tool_calls": [call]}]}
    # Cache and reasoning tokens are details of input/output, kept apart and never added to the total.
    assert (chat.prompt_tokens, chat.completion_tokens, chat.total_tokens) == (120, 30, 150)
    assert chat.metadata["usage_details"] == {"cache_read": 100, "cache_write": 7, "reasoning": 12}
    assert tool.run_type == "tool" and tool.inputs == {"order": 42} and tool.outputs == {"status": "shipped"}
    assert chat.metadata["otel"]["conventions"] == ["genai"] and result.rejected == 0


def test_genai_legacy_message_events_and_old_names() -> None:
    def build(tracer: Tracer) -> None:
        with tracer.start_as_current_span("chat gpt-3.5-turbo") as chat:
            chat.set_attributes({"gen_ai.operation.name": "chat", "gen_ai.system": "openai",
                                 "gen_ai.request.model": "gpt-3.5-turbo", "gen_ai.usage.prompt_tokens": 9,
                                 "gen_ai.usage.completion_tokens": 4})
            chat.add_event("gen_ai.system.message", {"content": "You are terse."})
            chat.add_event("gen_ai.user.message", {"content": "hi"})
            chat.add_event("gen_ai.choice", {"index": 0, "finish_reason": "stop",
                                             "message": json.dumps({"role": "assistant", "content": "hello"})})
            chat.add_event("custom.note", {"x": 1})

    chat = translate(build)[0]["chat gpt-3.5-turbo"]
    assert chat.metadata["provider"] == "openai" and chat.model == "gpt-3.5-turbo"
    assert chat.inputs == {"messages": [{"role": "system", "content": "You are terse."},
                                        {"role": "user", "content": "hi"}]}
    assert chat.outputs == {"messages": [{"role": "assistant", "content": "hello", "finish_reason": "stop"}]}
    assert (chat.prompt_tokens, chat.completion_tokens) == (9, 4)
    assert [event["name"] for event in chat.events] == ["custom.note"]  # message events became inputs/outputs


def test_genai_messages_on_the_operation_details_event() -> None:
    def build(tracer: Tracer) -> None:
        with tracer.start_as_current_span("chat m") as chat:
            chat.set_attributes({"gen_ai.operation.name": "chat", "gen_ai.request.model": "m"})
            chat.add_event("gen_ai.client.inference.operation.details", {
                "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [{"type": "text", "content": "q"}]}]),
                "gen_ai.output.messages": json.dumps([{"role": "assistant",
                                                       "parts": [{"type": "text", "content": "a"}]}]),
            })

    chat = translate(build)[0]["chat m"]
    assert chat.inputs == {"messages": [{"role": "user", "content": "q"}]}
    assert chat.outputs == {"messages": [{"role": "assistant", "content": "a"}]}
    assert chat.events == []


# OpenInference --------------------------------------------------------------------------------------

def test_openinference_flattened_llm_retriever_and_context() -> None:
    def build(tracer: Tracer) -> None:
        context = {"session.id": "sess-9", "user.id": "u-3", "metadata": json.dumps({"tenant": "acme"}),
                   "tag.tags": ["prod", "beta"]}
        with tracer.start_as_current_span("RAG") as chain:
            chain.set_attributes({"openinference.span.kind": "CHAIN", "input.value": "refund policy?",
                                  "input.mime_type": "text/plain", "output.value": '{"answer": "30 days"}',
                                  "output.mime_type": "application/json", **context})
            with tracer.start_as_current_span("retrieve") as retriever:
                retriever.set_attributes({"openinference.span.kind": "RETRIEVER", "input.value": "refund policy",
                                          "retrieval.documents.0.document.id": "d1",
                                          "retrieval.documents.0.document.content": "Refunds within 30 days",
                                          "retrieval.documents.0.document.score": 0.9,
                                          "retrieval.documents.1.document.id": "d2", **context})
            with tracer.start_as_current_span("ChatCompletion") as llm:
                llm.set_attributes({
                    "openinference.span.kind": "LLM", "llm.model_name": "claude-sonnet", "llm.provider": "anthropic",
                    "llm.invocation_parameters": json.dumps({"max_tokens": 256}),
                    "llm.input_messages.0.message.role": "system", "llm.input_messages.0.message.content": "Answer.",
                    "llm.input_messages.1.message.role": "user",
                    "llm.input_messages.1.message.contents.0.message_content.type": "text",
                    "llm.input_messages.1.message.contents.0.message_content.text": "refund?",
                    "llm.output_messages.0.message.role": "assistant",
                    "llm.output_messages.0.message.tool_calls.0.tool_call.id": "t1",
                    "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "policy",
                    "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": '{"topic": "refund"}',
                    "llm.token_count.prompt": 50, "llm.token_count.completion": 10, "llm.token_count.total": 60,
                    "llm.token_count.prompt_details.cache_read": 40, "llm.cost.total": 0.0012,
                    "llm.cost.prompt": 0.001, "llm.cost.completion": 0.0002, **context})

    spans = translate(build, resource={"openinference.project.name": "rag-app"})[0]
    chain, retriever, llm = spans["RAG"], spans["retrieve"], spans["ChatCompletion"]
    assert chain.project == "rag-app"  # openinference.project.name beats service.name
    assert chain.inputs == {"input": "refund policy?"} and chain.outputs == {"answer": "30 days"}
    assert (chain.session_id, chain.user_id, chain.tags) == ("sess-9", "u-3", ["prod", "beta"])
    assert chain.metadata["tenant"] == "acme"
    assert retriever.run_type == "retriever" and retriever.outputs == {"documents": [
        {"id": "d1", "content": "Refunds within 30 days", "score": 0.9}, {"id": "d2"}]}
    assert llm.run_type == "llm" and llm.model == "claude-sonnet" and llm.metadata["provider"] == "anthropic"
    assert llm.inputs == {"messages": [{"role": "system", "content": "Answer."},
                                       {"role": "user", "content": "refund?"}]}
    assert llm.outputs == {"messages": [{"role": "assistant", "tool_calls": [
        {"id": "t1", "name": "policy", "arguments": {"topic": "refund"}}]}]}
    assert (llm.prompt_tokens, llm.completion_tokens, llm.total_tokens) == (50, 10, 60)
    assert llm.metadata["usage_details"] == {"cache_read": 40}
    assert llm.cost == 0.0012 and llm.cost_details == {"prompt": 0.001, "completion": 0.0002}
    assert llm.metadata["invocation_params"] == {"max_tokens": 256} and llm.metadata["cost_source"] == "reported"


def test_openinference_kind_beats_genai_operation_but_genai_messages_beat_openinference() -> None:
    def build(tracer: Tracer) -> None:
        with tracer.start_as_current_span("both") as span:
            span.set_attributes({"openinference.span.kind": "AGENT", "gen_ai.operation.name": "chat",
                                 "input.value": "plain", "gen_ai.request.model": "m"})
            span.set_attribute("gen_ai.input.messages", json.dumps([{"role": "user", "parts": [
                {"type": "text", "content": "rich"}]}]))

    span = translate(build)[0]["both"]
    assert span.run_type == "agent"
    assert span.inputs == {"messages": [{"role": "user", "content": "rich"}]}
    assert span.metadata["otel"]["conventions"] == ["genai", "openinference"]


# OpenLLMetry / Traceloop ----------------------------------------------------------------------------

def test_traceloop_workflow_and_legacy_flattened_prompts() -> None:
    def build(tracer: Tracer) -> None:
        with tracer.start_as_current_span("joke_workflow.workflow") as workflow:
            workflow.set_attributes({"traceloop.span.kind": "workflow", "traceloop.entity.name": "joke_workflow",
                                     "traceloop.entity.input": json.dumps({"args": [], "kwargs": {"topic": "cats"}}),
                                     "traceloop.entity.output": json.dumps("a joke"),
                                     "traceloop.association.properties.session_id": "tl-sess",
                                     "traceloop.association.properties.user_id": "tl-user",
                                     "traceloop.association.properties.team": "fun"})
            with tracer.start_as_current_span("openai.chat") as chat:
                chat.set_attributes({"llm.request.type": "chat", "gen_ai.system": "OpenAI",
                                     "gen_ai.request.model": "gpt-4o-mini", "gen_ai.prompt.0.role": "user",
                                     "gen_ai.prompt.0.content": "tell a joke", "gen_ai.prompt.name": "jokes-v2",
                                     "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "ha",
                                     "gen_ai.completion.0.finish_reason": "stop",
                                     "gen_ai.usage.prompt_tokens": 5, "gen_ai.usage.completion_tokens": 2,
                                     "llm.usage.total_tokens": 7})

    spans, _ = translate(build)
    workflow, chat = spans["joke_workflow"], spans["openai.chat"]
    assert workflow.run_type == "chain" and workflow.inputs == {"args": [], "kwargs": {"topic": "cats"}}
    assert workflow.outputs == {"output": "a joke"}
    assert (workflow.session_id, workflow.user_id, workflow.metadata["team"]) == ("tl-sess", "tl-user", "fun")
    assert chat.run_type == "llm" and chat.model == "gpt-4o-mini"
    assert chat.inputs == {"messages": [{"role": "user", "content": "tell a joke"}]}
    assert chat.outputs == {"messages": [{"role": "assistant", "content": "ha", "finish_reason": "stop"}]}
    assert (chat.prompt_tokens, chat.completion_tokens, chat.total_tokens) == (5, 2, 7)
    assert chat.metadata["prompt_name"] == "jokes-v2"  # not swallowed as a flattened prompt message


# LangSmith ------------------------------------------------------------------------------------------

def test_langsmith_otel_attributes() -> None:
    def build(tracer: Tracer) -> None:
        with tracer.start_as_current_span("RunnableSequence") as span:
            span.set_attributes({"langsmith.span.kind": "LLM", "langsmith.trace.name": "answer_question",
                                 "langsmith.span.tags": "prod, v2", "langsmith.metadata.thread_id": "thread-7",
                                 "langsmith.metadata.user_id": "ls-user", "langsmith.metadata.ls_model_name": "gpt-4.1",
                                 "langsmith.metadata.ls_provider": "openai", "langsmith.trace.session_name": "proj",
                                 "gen_ai.prompt": json.dumps({"messages": [{"role": "user", "content": "q"}]}),
                                 "gen_ai.completion": json.dumps({"text": "a"}),
                                 "gen_ai.usage.input_tokens": 3, "gen_ai.usage.output_tokens": 1})

    span = translate(build)[0]["answer_question"]
    assert (span.run_type, span.tags, span.session_id, span.user_id) == ("llm", ["prod", "v2"], "thread-7", "ls-user")
    assert span.model == "gpt-4.1" and span.metadata["provider"] == "openai"
    assert span.inputs == {"messages": [{"role": "user", "content": "q"}]} and span.outputs == {"text": "a"}
    assert span.metadata["langsmith"]["project"] == "proj" and span.metadata["thread_id"] == "thread-7"


# Vercel AI SDK --------------------------------------------------------------------------------------

def test_vercel_ai_sdk_legacy_spans() -> None:
    def build(tracer: Tracer) -> None:
        meta = {"ai.telemetry.functionId": "support-chat", "ai.telemetry.metadata.sessionId": "v-sess",
                "ai.telemetry.metadata.userId": "v-user", "ai.telemetry.metadata.tags": ["web"],
                "ai.telemetry.metadata.plan": "pro"}
        with tracer.start_as_current_span("ai.generateText") as outer:
            outer.set_attributes({"ai.operationId": "ai.generateText", "ai.model.id": "gpt-4o",
                                  "ai.prompt": json.dumps({"system": "sys", "prompt": "hello"}),
                                  "ai.response.text": "hi!", "ai.usage.promptTokens": 11,
                                  "ai.usage.completionTokens": 3, **meta})
            with tracer.start_as_current_span("ai.generateText.doGenerate") as step:
                step.set_attributes({"ai.operationId": "ai.generateText.doGenerate", "ai.model.id": "gpt-4o",
                                     "ai.model.provider": "openai.chat", "ai.response.model": "gpt-4o-2024",
                                     "ai.prompt.messages": json.dumps([{"role": "user", "content": [
                                         {"type": "text", "text": "hello"}]}]),
                                     "ai.response.text": "hi!", "ai.response.finishReason": "stop",
                                     "ai.usage.promptTokens": 11, "ai.usage.completionTokens": 3,
                                     "ai.usage.cachedInputTokens": 8, "ai.settings.maxRetries": 2, **meta})
            with tracer.start_as_current_span("ai.toolCall") as tool:
                tool.set_attributes({"ai.operationId": "ai.toolCall", "ai.toolCall.name": "weather",
                                     "ai.toolCall.id": "c1", "ai.toolCall.args": '{"city": "Oslo"}',
                                     "ai.toolCall.result": '"rainy"', **meta})

    spans, _ = translate(build)
    outer, step, tool = spans["ai.generateText"], spans["ai.generateText.doGenerate"], spans["weather"]
    assert outer.run_type == "chain"  # repeats the step's usage; only llm runs count in roll-ups
    assert outer.inputs == {"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hello"}]}
    assert step.run_type == "llm" and step.model == "gpt-4o-2024" and step.metadata["provider"] == "openai.chat"
    assert step.inputs == {"messages": [{"role": "user", "content": "hello"}]}
    assert step.outputs == {"messages": [{"role": "assistant", "content": "hi!", "finish_reason": "stop"}]}
    assert (step.prompt_tokens, step.completion_tokens, step.metadata["usage_details"]) == (11, 3, {"cache_read": 8})
    assert (step.session_id, step.user_id, step.tags) == ("v-sess", "v-user", ["web"])
    assert step.metadata["plan"] == "pro" and step.metadata["invocation_params"] == {"maxRetries": 2}
    assert tool.run_type == "tool" and tool.inputs == {"city": "Oslo"} and tool.outputs == {"output": "rainy"}


# Logfire / Pydantic AI ------------------------------------------------------------------------------

def test_pydantic_ai_agent_run_and_pending_spans() -> None:
    messages = [{"role": "user", "parts": [{"type": "text", "content": "capital of France?"}]},
                {"role": "assistant", "parts": [{"type": "text", "content": "Paris"}]}]

    def build(tracer: Tracer) -> None:
        with tracer.start_as_current_span("agent run") as run:
            run.set_attributes({"logfire.msg": "support_agent run", "agent_name": "support_agent",
                                "model_name": "gpt-4o", "gen_ai.usage.input_tokens": 30,
                                "gen_ai.usage.output_tokens": 5, "final_result": "Paris",
                                "pydantic_ai.all_messages": json.dumps(messages), "logfire.tags": ["eval"],
                                "logfire.json_schema": "{}", "logfire.msg_template": "{agent_name} run"})
            with tracer.start_as_current_span("running tool") as tool:
                tool.set_attributes({"logfire.msg": "running tool: capital", "gen_ai.tool.name": "capital",
                                     "tool_arguments": '{"country": "France"}', "tool_response": "Paris"})
            with tracer.start_as_current_span("agent run (pending)") as pending:
                pending.set_attributes({"logfire.span_type": "pending_span", "logfire.msg": "agent run"})

    spans, result = translate(build)
    run, tool = spans["support_agent run"], spans["capital"]
    assert run.run_type == "agent" and run.tags == ["eval"] and run.outputs == {"output": "Paris"}
    assert run.inputs == {"messages": [{"role": "user", "content": "capital of France?"},
                                       {"role": "assistant", "content": "Paris"}]}
    assert run.model == "gpt-4o" and run.prompt_tokens == 30  # stored, but an agent run: not in llm roll-ups
    assert tool.run_type == "tool" and tool.inputs == {"country": "France"} and tool.outputs == {"output": "Paris"}
    assert len(result.spans) == 2  # the pending placeholder is dropped
    stats = next(iter(result.sources.values()))
    assert stats.dropped == {"logfire pending_span placeholder": 1}
    assert stats.ignored_attributes == {"logfire.json_schema": 1, "logfire.msg_template": 1}


# No convention, errors, explicit overrides --------------------------------------------------------------

def test_a_span_of_no_known_convention_is_a_chain_with_its_attributes_in_metadata() -> None:
    def build(tracer: Tracer) -> None:
        with tracer.start_as_current_span("GET /orders") as span:
            span.set_attributes({"http.method": "GET", "http.status_code": 200})

    span = translate(build)[0]["GET /orders"]
    assert span.run_type == "chain" and span.status == "ok"
    assert span.metadata["otel"]["attributes"] == {"http.method": "GET", "http.status_code": 200}
    assert span.metadata["otel"]["conventions"] == []


def test_error_status_and_exception_event() -> None:
    def build(tracer: Tracer) -> None:
        with tracer.start_as_current_span("execute_tool flaky") as span:
            span.set_attributes({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "flaky"})
            try:
                raise TimeoutError("upstream took 30 s")
            except TimeoutError as exc:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, "tool failed"))

    span = translate(build)[0]["flaky"]
    assert span.status == "error"
    assert span.error is not None and span.error.startswith("tool failed\nTimeoutError: upstream took 30 s\n")
    assert "Traceback" in span.error and span.events[0]["name"] == "exception"


def test_tracehound_keys_override_every_convention() -> None:
    def build(tracer: Tracer) -> None:
        with tracer.start_as_current_span("x") as span:
            span.set_attributes({"openinference.span.kind": "CHAIN", "tracehound.run_type": "retriever",
                                 "tracehound.name": "kb_search", "tracehound.inputs": '{"q": "a"}',
                                 "input.value": "ignored"})

    span = translate(build)[0]["kb_search"]
    assert span.run_type == "retriever" and span.inputs == {"q": "a"}


def test_heuristic_llm_when_only_model_and_tokens_are_known() -> None:
    def build(tracer: Tracer) -> None:
        with tracer.start_as_current_span("call") as span:
            span.set_attributes({"gen_ai.request.model": "m", "gen_ai.usage.input_tokens": 3})

    spans, result = translate(build)
    assert spans["call"].run_type == "llm"
    assert next(iter(result.sources.values())).defaulted == {"run_type: llm (heuristic: model and tokens)": 1}


def test_step_and_interrupt_from_tracehound_keys_or_a_langgraph_exception() -> None:
    class GraphInterrupt(Exception):
        pass

    def build(tracer: Tracer) -> None:
        with tracer.start_as_current_span("approve") as span:
            span.set_attributes({"tracehound.step": 4, "tracehound.status": "interrupted",
                                 "tracehound.status_reason": "awaiting approval"})
        with tracer.start_as_current_span("refund") as span:
            span.record_exception(GraphInterrupt("Interrupt(value='ok?')"))
            span.set_status(Status(StatusCode.ERROR, "paused"))
        with tracer.start_as_current_span("ls") as span:
            span.set_attributes({"langsmith.metadata.ls_step": 2, "langsmith.metadata.ls_status": "interrupted"})
        with tracer.start_as_current_span("plain") as span:
            span.set_attribute("tracehound.step", "not a number")

    spans, result = translate(build)
    assert (spans["approve"].step, spans["approve"].status, spans["approve"].status_reason) == (
        4, "interrupted", "awaiting approval")
    assert (spans["refund"].status, spans["refund"].status_reason) == ("interrupted", "GraphInterrupt")
    assert spans["refund"].error is not None and "paused" in spans["refund"].error  # the text is kept
    assert (spans["ls"].step, spans["ls"].status) == (2, "interrupted")
    assert spans["plain"].step is None and spans["plain"].status == "ok"
    stats = next(iter(result.sources.values())).to_dict()
    assert stats["fields"]["step"] == {"tracehound": 1, "langsmith": 1}
