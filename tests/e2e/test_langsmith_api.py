"""The LangSmith-compatible API in process: the wire details the SDK tests cannot force.

zstd frames without a content size, idempotent re-sends, patches with nulls in any order,
attachments, feedback before its run, path routing beside the native API, 501s, the API key.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import zstandard

from tracehound.settings import Settings

pytestmark = pytest.mark.anyio
BOUNDARY = "b" * 32
LS = {"User-Agent": "langsmith-py/0.15.0-httpx2"}


def multipart(parts: list[tuple[str, Any, str]]) -> bytes:
    """A multipart body as the SDK writes it: (name, JSON value or bytes, content type)."""
    out = b""
    for name, value, content_type in parts:
        data = value if isinstance(value, bytes) else msgspec.json.encode(value)
        out += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {len(data)}\r\n\r\n").encode() + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def streaming_zstd(body: bytes) -> bytes:
    """One zstd frame whose header has no content size (what the SDK's streaming compressor writes)."""
    compressor = zstandard.ZstdCompressor().compressobj()
    return compressor.compress(body) + compressor.flush()


async def post_multipart(api: httpx.AsyncClient, parts: list[tuple[str, Any, str]], *, zstd: bool = False,
                         path: str = "/runs/multipart") -> httpx.Response:
    body = multipart(parts)
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    if zstd:
        body = streaming_zstd(body)
        headers["Content-Encoding"] = "zstd"
    return await api.post(path, content=body, headers=headers)


def run(run_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": run_id, "trace_id": run_id, "dotted_order": f"20260101T000000000000Z{run_id}", "name": "root",
            "run_type": "chain", "start_time": "2026-01-01T00:00:00+00:00", "session_name": "ls-api", **fields}


async def read(api: httpx.AsyncClient, run_id: str) -> dict[str, Any]:
    response = await api.get(f"/runs/{run_id}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_streaming_frame_has_no_content_size() -> None:
    with pytest.raises(zstandard.ZstdError):
        zstandard.ZstdDecompressor().decompress(streaming_zstd(b"x" * 100))


@pytest.mark.parametrize("zstd", [True, False], ids=["zstd", "plain"])
async def test_multipart_post_then_patch_idempotent(api: httpx.AsyncClient, zstd: bool) -> None:
    run_id = str(uuid.uuid4())
    post = [(f"post.{run_id}", run(run_id, tags=["a"]), "application/json"),
            (f"post.{run_id}.inputs", {"q": "hi"}, "application/json"),
            (f"post.{run_id}.outputs", {}, "application/json"),
            (f"post.{run_id}.extra", {"metadata": {"k": "v"}, "runtime": {"sdk": "langsmith-py"}}, "application/json")]
    for _ in range(2):  # a re-sent body stores nothing new
        assert (await post_multipart(api, post, zstd=zstd)).status_code == 202
    patch = [(f"patch.{run_id}", {**run(run_id), "end_time": "2026-01-01T00:00:01+00:00", "parent_run_id": None,
                                  "session_id": None, "tags": None}, "application/json"),
             (f"patch.{run_id}.outputs", {"a": "hello"}, "application/json")]
    assert (await post_multipart(api, patch, zstd=zstd)).status_code == 202
    assert (await post_multipart(api, post, zstd=zstd)).status_code == 202  # a late post wipes nothing
    stored = await read(api, run_id)
    assert stored["outputs"] == {"a": "hello"} and stored["inputs"] == {"q": "hi"} and stored["tags"] == ["a"]
    assert stored["status"] == "success" and stored["end_time"].startswith("2026-01-01T00:00:01")
    assert stored["extra"] == {"metadata": {"k": "v"}, "runtime": {"sdk": "langsmith-py"}}
    spans = (await api.post("/api/v1/runs/query", json={"project": "ls-api", "filter": f'eq(id, "{run_id}")'})).json()
    assert len(spans["runs"]) == 1 and "cursor" in spans  # the native API, same path, native shape


async def test_create_run_and_manual_update_with_nulls(api: httpx.AsyncClient) -> None:
    parent, child = str(uuid.uuid4()), str(uuid.uuid4())
    for body in ({"id": parent, "name": "manual", "run_type": "chain", "start_time": "2026-01-01T00:00:00Z",
                  "inputs": {"x": 1}, "session_name": "ls-manual"},
                 {"id": child, "name": "step", "run_type": "retriever", "start_time": "2026-01-01T00:00:00.5Z",
                  "parent_run_id": parent, "session_name": "ls-manual"}):
        assert (await api.post("/api/v1/runs", json=body)).status_code == 202
    update = {"outputs": {"y": 2}, "end_time": "2026-01-01T00:00:02Z", "name": None, "run_type": None,
              "trace_id": None, "dotted_order": None, "tags": None, "extra": None, "session_id": None,
              "session_name": None}
    assert (await api.patch(f"/runs/{parent}", json=update)).status_code == 202
    root, step = await read(api, parent), await read(api, child)
    assert root["name"] == "manual" and root["outputs"] == {"y": 2} and root["inputs"] == {"x": 1}
    assert step["trace_id"] == parent and step["dotted_order"].startswith(root["dotted_order"] + ".")
    assert step["parent_run_ids"] == [parent] and step["run_type"] == "retriever"


async def test_batch_and_unknown_run_type(api: httpx.AsyncClient) -> None:
    run_id = str(uuid.uuid4())
    body = {"post": [run(run_id, run_type="agent_step", outputs={"o": 1}, end_time="2026-01-01T00:00:01Z")],
            "patch": []}
    assert (await api.post("/runs/batch", json=body)).status_code == 202
    stored = await read(api, run_id)
    assert stored["run_type"] == "agent_step" and stored["outputs"] == {"o": 1}
    native = (await api.get(f"/api/v1/spans/{run_id}")).json()
    assert native["run_type"] == "chain" and native["metadata"]["ls_run_type"] == "agent_step"


async def test_attachments_and_feedback_before_its_run(api: httpx.AsyncClient) -> None:
    run_id, feedback_id = str(uuid.uuid4()), str(uuid.uuid4())
    feedback = {"id": feedback_id, "run_id": run_id, "trace_id": run_id, "key": "correct", "score": 1,
                "feedback_source": {"type": "model", "metadata": {}}, "comment": None, "value": None}
    assert (await post_multipart(api, [(f"feedback.{feedback_id}", feedback, "application/json")])).status_code == 202
    listed = (await api.get("/feedback", params={"run": run_id})).json()
    assert [(f["key"], f["score"], f["run_id"], f["trace_id"]) for f in listed] == [("correct", 1, run_id, run_id)]
    parts = [(f"post.{run_id}", run(run_id), "application/json"),
             (f"attachment.{run_id}.photo", b"\x89PNG-bytes", "image/png; length=10")]
    assert (await post_multipart(api, parts, zstd=True)).status_code == 202
    stored = await read(api, run_id)
    url = stored["s3_urls"]["attachment.photo"]["presigned_url"]
    assert stored["s3_urls"]["attachment.photo"]["mime_type"] == "image/png"
    assert (await api.get(f"/{url}")).content == b"\x89PNG-bytes"
    assert stored["feedback_stats"] == {"correct": {"n": 1, "avg": 1.0}}


async def test_sessions_lifecycle(api: httpx.AsyncClient) -> None:
    session_id = str(uuid.uuid4())
    created = (await api.post("/sessions", json={"name": "ls-proj", "id": session_id,
                                                 "extra": {"metadata": {"team": "a"}}})).json()
    assert created["id"] == session_id and created["reference_dataset_id"] is None and created["tenant_id"]
    assert (await api.post("/sessions", json={"name": "ls-proj"})).status_code == 409
    upserted = await api.post("/sessions?upsert=True", json={"name": "ls-proj", "description": "d"})
    assert upserted.json()["id"] == session_id and upserted.json()["description"] == "d"
    assert [s["id"] for s in (await api.get("/sessions", params={"name": "ls-proj", "limit": 1})).json()] == [
        session_id]
    run_id = str(uuid.uuid4())
    body = run(run_id)
    del body["session_name"]
    assert (await api.post("/runs/batch", json={"post": [{**body, "session_id": session_id}]})).status_code == 202
    assert (await read(api, run_id))["session_id"] == session_id
    patched = await api.patch(f"/api/v1/sessions/{session_id}", json={"name": None, "description": None,
                                                                      "extra": {"metadata": {"team": "b"}}},
                              headers=LS)
    assert patched.json()["extra"]["metadata"] == {"team": "b"} and patched.json()["description"] == "d"
    renamed = await api.patch(f"/sessions/{session_id}", json={"name": "other"})
    assert renamed.status_code == 501 and "renaming" in renamed.json()["error"]["message"]
    assert (await api.delete(f"/sessions/{session_id}")).status_code == 200
    assert (await api.get(f"/runs/{run_id}")).status_code == 404
    assert (await api.get(f"/sessions/{session_id}")).status_code == 404


async def test_info_is_complete_at_both_roots(api: httpx.AsyncClient) -> None:
    for path in ("/info", "/api/v1/info"):
        info = (await api.get(path)).json()
        assert set(info["batch_ingest_config"]) == {
            "use_multipart_endpoint", "scale_up_qsize_trigger", "scale_up_nthreads_limit",
            "scale_down_nempty_trigger", "size_limit", "size_limit_bytes"}
        assert info["instance_flags"] == {"zstd_compression_enabled": True}


async def test_unsupported_endpoints_answer_501_naming_them(api: httpx.AsyncClient) -> None:
    for method, path, headers in (("GET", "/repos/me/prompt", {}), ("PUT", "/api/v1/datasets/x/splits", {}),
                                  ("POST", "/api/v2/threads/query", LS),
                                  ("PATCH", "/v1/platform/datasets/x/examples", LS),
                                  ("DELETE", "/info", {})):
        response = await api.request(method, path, headers=headers)
        assert response.status_code == 501, (method, path, response.text)
        assert f"{method} {path}" in response.json()["error"]["message"]


async def test_native_routes_keep_their_paths(api: httpx.AsyncClient) -> None:
    created = await api.post("/api/v1/datasets", json={"name": "native-ds"})
    assert created.status_code == 201 and created.json()["name"] == "native-ds"
    assert "datasets" in (await api.get("/api/v1/datasets")).json()  # native shape
    assert isinstance((await api.get("/api/v1/datasets", headers=LS)).json(), list)  # the SDK's shape
    assert isinstance((await api.get("/datasets")).json(), list)
    assert (await api.get("/healthz")).status_code == 200


async def test_api_key_when_configured(tmp_path: Path) -> None:
    from tracehound.server.app import create_app
    from tracehound.server.services import Services

    settings = Settings.load(data_dir=str(tmp_path / "keyed"), server_api_key="s3cret")
    assert "s3cret" not in repr(settings)
    services = Services.open(settings)
    services.start()
    try:
        transport = httpx.ASGITransport(app=create_app(settings, services=services))
        async with httpx.AsyncClient(transport=transport, base_url="http://tracehound") as client:
            assert (await client.get("/info")).status_code == 401
            assert (await client.get("/api/v1/projects", headers={"X-API-Key": "wrong"})).status_code == 401
            assert (await client.get("/info", headers={"x-api-key": "s3cret"})).status_code == 200
            assert (await client.get("/api/v1/projects", headers={"Authorization": "Bearer s3cret"})).status_code == 200
            assert (await client.get("/healthz")).status_code == 200
    finally:
        services.close()
