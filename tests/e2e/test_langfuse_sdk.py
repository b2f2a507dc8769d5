"""The unmodified ``langfuse`` Python SDK against a real server: observations, generations, sessions, scores."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

langfuse = pytest.importorskip("langfuse")

SECRET = "sk-lf-tracehound-e2e"


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server that requires an API key: the Langfuse secret key is that key."""
    from tracehound.testing import running_server

    with running_server(tmp_path_factory.mktemp("langfuse"), env={"TRACEHOUND_SERVER_API_KEY": SECRET}) as port:
        yield f"http://127.0.0.1:{port}"


def client(url: str, public_key: str, secret: str = SECRET, service: str | None = None, **extra: Any) -> Any:
    """A Langfuse client; the SDK keeps one instance per public key, so each test uses its own key.

    Each gets its own ``TracerProvider`` (an SDK option) so the test process's global provider is left alone.
    """
    resource = Resource.create({"service.name": service} if service else {})
    return langfuse.Langfuse(public_key=public_key, secret_key=secret, host=url, flush_interval=0.2,
                             tracer_provider=TracerProvider(resource=resource), **extra)


def trace_spans(url: str, trace_hex: str) -> dict[str, dict[str, Any]]:
    tree = httpx.get(f"{url}/api/v1/traces/{uuid.UUID(hex=trace_hex)}", headers={"X-API-Key": SECRET}).json()
    return {span["name"]: span for span in tree["spans"]}


def agent(lf: Any) -> tuple[str, str]:
    """A small agent: root span, a generation with usage and cost, a failing tool; scores on both levels."""
    with lf.start_as_current_observation(as_type="agent", name="support-agent", input={"q": "refund?"}) as root:
        with langfuse.propagate_attributes(session_id="lf-sess-1", user_id="lf-user-1", tags=["prod", "langfuse"],
                                           metadata={"tenant": "acme"}):
            with lf.start_as_current_observation(
                    as_type="generation", name="draft-answer", model="gpt-4o-mini",
                    input=[{"role": "user", "content": "refund?"}], model_parameters={"temperature": 0.2},
                    usage_details={"input": 120, "output": 30, "input_cached_tokens": 100},
                    cost_details={"input": 0.0012, "output": 0.0006}) as generation:
                generation.update(output={"role": "assistant", "content": "30 days"})
                generation.score(name="faithful", value=0.75, comment="mostly")
            with lf.start_as_current_observation(as_type="tool", name="lookup-order", input={"order": 7}) as tool:
                tool.update(output={"found": False}, level="ERROR", status_message="order 7 not found")
        root.update(output={"answer": "30 days"})
        root.score_trace(name="resolved", value="yes", data_type="CATEGORICAL")
        root.score_trace(name="helpful", value=1, data_type="BOOLEAN")
        return root.trace_id, generation.id


def test_langfuse_sdk_traces_an_agent(keyed_server: str) -> None:
    lf = client(keyed_server, "pk-lf-agent", additional_headers={"X-Tracehound-Project": "lf-e2e"})
    assert lf.auth_check() is True
    trace_hex, generation_hex = agent(lf)
    lf.flush()
    lf.shutdown()

    spans = trace_spans(keyed_server, trace_hex)
    assert set(spans) == {"support-agent", "draft-answer", "lookup-order"}
    root, gen, tool = spans["support-agent"], spans["draft-answer"], spans["lookup-order"]
    assert root["run_type"] == "agent" and root["parent_id"] is None and root["project"] == "lf-e2e"
    assert root["inputs"] == {"q": "refund?"} and root["outputs"] == {"answer": "30 days"}
    assert gen["parent_id"] == root["id"] and tool["parent_id"] == root["id"]

    assert gen["run_type"] == "llm" and gen["model"] == "gpt-4o-mini"
    assert gen["inputs"] == {"messages": [{"role": "user", "content": "refund?"}]}
    assert gen["outputs"] == {"role": "assistant", "content": "30 days"}
    assert (gen["prompt_tokens"], gen["completion_tokens"]) == (120, 30)
    assert gen["cost"] == pytest.approx(0.0018)
    assert gen["cost_details"] == {"prompt": 0.0012, "completion": 0.0006}
    assert gen["metadata"]["usage_details"] == {"cache_read": 100}
    assert gen["metadata"]["langfuse"]["invocation_params"] == {"temperature": 0.2}

    assert tool["run_type"] == "tool" and tool["status"] == "error" and "order 7 not found" in tool["error"]
    assert tool["metadata"]["langfuse"]["level"] == "ERROR"
    for span in spans.values():  # propagated trace attributes reach every observation
        assert span["session_id"] == "lf-sess-1" and span["user_id"] == "lf-user-1"
        assert span["tags"][:2] == ["prod", "langfuse"] and span["metadata"]["tenant"] == "acme"
        assert "langfuse" in span["metadata"]["otel"]["conventions"]
        assert not any(key.startswith("langfuse.") for key in span["metadata"]["otel"].get("attributes", {}))

    feedback = httpx.get(f"{keyed_server}/api/v1/feedback", headers={"X-API-Key": SECRET}).json()["feedback"]
    by_key = {item["key"]: item for item in feedback if item["trace_id"] == str(uuid.UUID(hex=trace_hex))}
    assert by_key["faithful"]["run_id"] == gen["id"] and by_key["faithful"]["score"] == 0.75
    assert by_key["faithful"]["comment"] == "mostly"
    assert by_key["helpful"]["score"] == 1.0 and by_key["resolved"]["value"] == "yes"
    assert by_key["helpful"]["source_info"]["langfuse"]["data_type"] == "BOOLEAN"
    assert generation_hex == gen["metadata"]["otel"]["span_id"]

    report = httpx.get(f"{keyed_server}/api/v1/ingest/report", headers={"X-API-Key": SECRET}).json()["sources"]
    langfuse_sources = [source for source in report if source["scope"] == "langfuse-sdk"]
    assert langfuse_sources and "langfuse" in str(langfuse_sources[0])


def test_wrong_secret_key_is_refused_and_nothing_is_stored(keyed_server: str) -> None:
    lf = client(keyed_server, "pk-lf-wrong", secret="sk-lf-wrong")
    with pytest.raises(langfuse.api.UnauthorizedError):  # auth_check raises the API's 401
        lf.auth_check()
    with lf.start_as_current_observation(as_type="span", name="must-not-land") as span:
        trace_hex = span.trace_id
    lf.flush()
    lf.shutdown()
    answer = httpx.get(f"{keyed_server}/api/v1/traces/{uuid.UUID(hex=trace_hex)}", headers={"X-API-Key": SECRET})
    assert answer.status_code == 404


def test_scores_endpoint_answers_bad_scores_with_207_and_keeps_the_good_ones(keyed_server: str) -> None:
    auth = httpx.BasicAuth("pk-lf-e2e", SECRET)
    good = {"name": "ok", "value": 1, "traceId": "ab" * 16, "observationId": "cd" * 8}
    answer = httpx.post(f"{keyed_server}/api/public/scores", auth=auth,
                        json=[good, {"name": "bad", "value": 1, "traceId": "nothex"}, {"name": "no-trace", "value": 1}])
    assert answer.status_code == 207
    assert answer.json()["accepted"] == 1 and answer.json()["rejected"] == 2
    assert "traceId" in answer.json()["errors"][0]["message"]
    assert httpx.post(f"{keyed_server}/api/public/scores", auth=auth, content=b"{not json").status_code == 400
    assert httpx.post(f"{keyed_server}/api/public/scores", json=[good]).status_code == 401
    bad_basic = {"Authorization": "Basic !!!notbase64"}
    assert httpx.post(f"{keyed_server}/api/public/scores", headers=bad_basic, json=[good]).status_code == 401


def test_project_defaults_to_the_otel_service_name(keyed_server: str) -> None:
    lf = client(keyed_server, "pk-lf-service", service="lf-service")
    with lf.start_as_current_observation(as_type="span", name="by-service") as span:
        trace_hex = span.trace_id
    lf.flush()
    lf.shutdown()
    assert trace_spans(keyed_server, trace_hex)["by-service"]["project"] == "lf-service"
