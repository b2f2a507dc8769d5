"""``GET /info``: what the LangSmith SDK negotiates at startup.

``batch_ingest_config`` is sent whole (a partial one kills the SDK's tracing thread), sized to this
server's request limits; zstd is on; ``version`` is at least 0.8.10 so the SDK queues feedback into
the multipart stream, and 0.16.0 because the v2 run reads SDK 0.15 checks it for (``Client.runs.query``
/ ``retrieve``) are served (``runs_v2.py``); the SDK uses the version for nothing else. Other v2
resources (``client.threads``, ``traces``, ``datasets``...) answer 501 naming the endpoint. SmithDB and
multipart-example flags are left out so the SDK stays on the v1 ingest API.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

import tracehound
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services

router = APIRouter()
SDK_SIZE_LIMIT = 100
SDK_SIZE_LIMIT_BYTES = 20 * 1024 * 1024


@router.get("/info")
def info(request: Request, svc: Services = Depends(services)) -> FastJSON:
    settings = svc.settings
    flags: dict[str, bool] = {"zstd_compression_enabled": True}
    if request.headers.get("user-agent", "").lower().startswith("langsmith-js"):
        # The JS SDK's createExamples only uploads multipart (examples_multipart.py); the Python SDK
        # would also switch its example updates to multipart, which is not served, so it keeps JSON.
        flags["dataset_examples_multipart_enabled"] = True
    return FastJSON({
        "version": "0.16.0", "license_expiration_time": None, "tracehound_version": tracehound.__version__,
        "batch_ingest_config": {
            "use_multipart_endpoint": True, "scale_up_qsize_trigger": 1000, "scale_up_nthreads_limit": 16,
            "scale_down_nempty_trigger": 4, "size_limit": min(SDK_SIZE_LIMIT, settings.max_spans_per_request),
            # Leave room for multipart framing under the request limit.
            "size_limit_bytes": min(SDK_SIZE_LIMIT_BYTES, settings.max_request_bytes * 3 // 4),
        },
        "instance_flags": flags,
    })
