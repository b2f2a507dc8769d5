"""JSON over HTTP with the standard library, for the SDK client; server errors become ``ApiError``."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import msgspec

from tracehound.errors import ApiError


class Http:
    """Requests to one tracehound server: ``{endpoint}{path}``, ``X-API-Key`` when given."""

    def __init__(self, endpoint: str, *, api_key: str | None = None, timeout_s: float = 30.0) -> None:
        url = urllib.parse.urlsplit(endpoint.rstrip("/"))
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"endpoint: {endpoint!r} is not an http(s) URL")
        self.endpoint = endpoint.rstrip("/")
        self.timeout_s = timeout_s
        self._headers = {"User-Agent": "tracehound-python", "Accept": "application/json"}
        if api_key:
            self._headers["X-API-Key"] = api_key

    def request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
                body: bytes | None = None, content_type: str = "application/json") -> Any:
        """Send one request; the decoded JSON answer (text for non-JSON answers).

        Raises:
            ApiError: the server answered with an error (its code, message and field), or is unreachable.
        """
        url = self.endpoint + path
        query = {key: value for key, value in (params or {}).items() if value is not None}
        if query:
            url += "?" + urllib.parse.urlencode({k: str(v).lower() if isinstance(v, bool) else v
                                                 for k, v in query.items()})
        headers = dict(self._headers)
        data = body
        if json is not None:
            data = msgspec.json.encode(json)
        if data is not None:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                raw = response.read()
                kind = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            raise _api_error(exc.code, exc.read()) from None
        except OSError as exc:
            raise ApiError(f"cannot reach {self.endpoint}: {exc}", status=0, code="unreachable") from None
        if "json" in kind and raw:
            return msgspec.json.decode(raw)
        return raw.decode("utf-8")


def _api_error(status: int, raw: bytes) -> ApiError:
    try:
        error = msgspec.json.decode(raw)["error"]
        return ApiError(f"HTTP {status}: {error.get('message')}", status=status, code=error.get("code", "http_error"),
                        field=error.get("field"))
    except (msgspec.DecodeError, KeyError, TypeError):
        return ApiError(f"HTTP {status}: {raw[:300].decode('utf-8', 'replace')}", status=status)
