"""Redaction: what the detectors take and leave, nested values, stable tokens, SDK and ingest paths."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import msgspec
import pytest

import tracehound
from tracehound.sdk.redaction import Redactor, iban_ok, luhn_ok
from tracehound.settings import Settings

REDACTOR = Redactor(key="test-key")

TRUE_POSITIVES = [
    ("write to bob.smith+news@mail.example.co.uk today", "email"),
    ("call +33 6 12 34 56 78", "phone"),
    ("call +1 415 555 0100", "phone"),
    ("call (555) 123-4567", "phone"),
    ("call 555-123-4567", "phone"),
    ("appelle le 06 12 34 56 78", "phone"),
    ("card 4111 1111 1111 1111", "credit_card"),
    ("card 5500-0000-0000-0004", "credit_card"),
    ("card 378282246310005", "credit_card"),
    ("pay to GB82 WEST 1234 5698 7654 32", "iban"),
    ("pay to DE89370400440532013000", "iban"),
    ("key sk-proj-abcdefghijklmnopqrstuvwxyz123456", "api_key"),
    ("key sk-ant-api03-abcdefghijklmnopqrstuvwxyz", "api_key"),
    ("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "api_key"),
    ("aws AKIAIOSFODNN7EXAMPLE", "api_key"),
    ("Authorization: Bearer abcdefghijklmnopqrstuvwxyz", "api_key"),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "api_key"),
    ("from 192.168.1.20", "ip"),
    ("from 2001:db8::1", "ip"),
]

FALSE_POSITIVES = [
    "order ORD-2024-000123",
    "order 123456789",
    "order #4155550100",
    "on 2024-01-15 at 12:30:45",
    "at 2024-01-15T10:30:00Z",
    "version v1.2.3 and 1.2.3.4.5",
    "not an address 999.1.1.1",
    "total $1,234.56",
    "pi 3.14159265358979",
    "card 4111 1111 1111 1112",  # fails the Luhn check
    "iban GB00 WEST 1234 5698 7654 32",  # fails mod 97
    "trace 123e4567-e89b-12d3-a456-426614174000",
    "tracking 1Z999AA10123456784",
    "ISBN 978-3-16-148410-0",
    "sk-short",
    "user@localhost",
]


@pytest.mark.parametrize(("text", "kind"), TRUE_POSITIVES)
def test_detectors_find_personal_data(text: str, kind: str) -> None:
    redacted = REDACTOR.text(text)
    assert f"<{kind}:" in redacted, redacted
    assert redacted.count("<") == 1


@pytest.mark.parametrize("text", FALSE_POSITIVES)
def test_detectors_leave_lookalikes_alone(text: str) -> None:
    assert REDACTOR.text(text) == text


def test_checksums() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB82 WEST 1234 5698 7654 33")


def test_tokens_are_stable_per_key_and_differ_across_keys() -> None:
    first = REDACTOR.text("bob@example.com")
    assert first == REDACTOR.text("mail: bob@example.com")[6:] == Redactor(key="test-key").text("bob@example.com")
    assert first != Redactor(key="other").text("bob@example.com")
    assert first != REDACTOR.text("alice@example.com")
    assert len(first) == len("<email:>") + 10


def test_nested_values_keys_and_sensitive_keys() -> None:
    value = {
        "messages": [{"role": "user", "content": "I am bob@example.com, card 4111 1111 1111 1111"}],
        "bob@example.com": {"deep": ("call 555-123-4567", 42, None, True)},
        "password": "hunter2",
        "Authorization": {"scheme": "basic"},
        "order": "ORD-2024-000123",
    }
    out = REDACTOR.value(value)
    text = msgspec.json.encode(out).decode()
    for secret in ("bob@example.com", "4111", "555-123-4567", "hunter2", "basic"):
        assert secret not in text
    assert out["order"] == "ORD-2024-000123"
    assert out["messages"][0]["role"] == "user"
    email_token = REDACTOR.text("bob@example.com")
    assert email_token in out and email_token in out["messages"][0]["content"]
    assert out[email_token]["deep"][1:] == [42, None, True]
    assert out["password"].startswith("<redacted:")


def test_user_patterns_win_and_a_callback_runs_last() -> None:
    redactor = Redactor(key="k", patterns={"order": r"ORD-\d{4}-\d{6}"},
                        callback=lambda text: text.replace("Bob", "<name>"))
    assert redactor.text("Bob ordered ORD-2024-000123").startswith("<name> ordered <order:")
    only_email = Redactor(key="k", detectors=["email"])
    assert only_email.text("555-123-4567 x@example.com").startswith("555-123-4567 <email:")
    with pytest.raises(ValueError, match="detectors"):
        Redactor(detectors=["ssn"])
    with pytest.raises(ValueError, match="fields"):
        Redactor(fields=["body"])


@pytest.fixture
def exporter() -> Iterator[tracehound.InMemoryExporter]:
    exporter = tracehound.InMemoryExporter()
    yield exporter
    tracehound.configure()


@tracehound.traceable(run_type="tool")
def send_mail(to: str, body: dict[str, object]) -> dict[str, str]:
    tracehound.get_current_span().set_metadata(customer={"email": to, "ip": "10.0.0.7"})
    if "fail" in body:
        raise ValueError(f"mailbox {to} is full")
    return {"sent_to": to}


def test_the_sdk_redacts_every_field_before_export(exporter: tracehound.InMemoryExporter) -> None:
    tracehound.configure(exporter=exporter, redaction=Redactor(key="k"))
    send_mail("bob@example.com", {"text": "call me at +44 20 7946 0958"})
    with pytest.raises(ValueError):
        send_mail("bob@example.com", {"fail": True})
    with tracehound.span("lookup bob@example.com"):
        pass
    spans = exporter.get_spans()
    wire = msgspec.json.encode(spans).decode()
    assert "bob@example.com" not in wire and "7946" not in wire and "10.0.0.7" not in wire
    token = Redactor(key="k").text("bob@example.com")
    assert spans[0].inputs["to"] == token and spans[0].outputs == {"sent_to": token}  # same token across spans
    assert spans[0].metadata["customer"]["email"] == token
    assert spans[1].error is not None and spans[1].error.startswith(f"ValueError: mailbox {token} is full")
    assert spans[2].name == f"lookup {token}"


def test_redaction_per_field_and_per_project(exporter: tracehound.InMemoryExporter) -> None:
    tracehound.configure(exporter=exporter, project="internal",
                         redaction=Redactor(key="k", fields=["inputs"], projects={"internal": False}))
    send_mail("bob@example.com", {})
    assert exporter.get_spans()[0].inputs["to"] == "bob@example.com"  # project switched off
    exporter.clear()
    tracehound.configure(exporter=exporter, project="public",
                         redaction=Redactor(key="k", fields=["inputs"], projects={"internal": False}))
    send_mail("bob@example.com", {})
    span = exporter.get_spans()[0]
    assert span.inputs["to"].startswith("<email:") and span.outputs == {"sent_to": "bob@example.com"}


@pytest.fixture
async def redacting_api(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    from tracehound.server.app import create_app
    from tracehound.server.services import Services

    settings = Settings.load(data_dir=str(tmp_path / "data"), ingest_redact=True, redaction_key="server-key",
                             ingest_sampling_keep_rate=0.0)
    services = Services.open(settings)
    services.start()
    try:
        transport = httpx.ASGITransport(app=create_app(settings, services=services))
        async with httpx.AsyncClient(transport=transport, base_url="http://tracehound") as client:
            yield client
    finally:
        services.close()


def _span(span_id: str, trace_id: str, parent: str | None = None, **fields: object) -> dict[str, object]:
    return {"id": span_id, "trace_id": trace_id, "parent_id": parent, "name": "step",
            "start_time": 1_700_000_000_000_000, "end_time": 1_700_000_001_000_000, "project": "ingest", **fields}


@pytest.mark.anyio
async def test_ingest_redacts_and_samples_data_from_other_sdks(redacting_api: httpx.AsyncClient) -> None:
    kept_trace = "00000000-0000-4000-8000-000000000001"
    dropped_trace = "00000000-0000-4000-8000-000000000002"
    spans = [
        _span(kept_trace, kept_trace, inputs={"q": "mail bob@example.com"}, metadata={"ip": "10.1.2.3"}),
        _span("00000000-0000-4000-8000-000000000003", kept_trace, kept_trace, error="card 4111 1111 1111 1111 declined",
              name="charge"),
        _span(dropped_trace, dropped_trace, inputs={"q": "fine"}),
    ]
    response = await redacting_api.post("/api/v1/spans", json={"spans": spans})
    assert response.status_code == 200, response.text
    root = (await redacting_api.get(f"/api/v1/spans/{kept_trace}")).json()
    token = Redactor(key="server-key").text("bob@example.com")
    assert root["inputs"] == {"q": f"mail {token}"} and root["metadata"]["ip"].startswith("<ip:")
    child = (await redacting_api.get("/api/v1/spans/00000000-0000-4000-8000-000000000003")).json()
    assert child["error"].startswith("card <credit_card:")
    assert (await redacting_api.get(f"/api/v1/spans/{dropped_trace}")).status_code == 404  # ordinary: dropped
    counts = (await redacting_api.get("/api/v1/sampling/dropped", params={"project": "ingest"})).json()
    assert (counts["spans"], counts["traces"]) == (1, 1)
