"""Closed-loop load: N client threads POST pre-encoded bodies for a while; spans/s accepted."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable

# (status, response body) -> spans the server accepted, or None when the request failed.
Accepted = Callable[[int, bytes], "int | None"]


def _client(port: int, path: str, content_type: str, bodies: list[bytes], deadline: float, accepted: Accepted,
            sent: list[int], errors: list[str]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for body in bodies:
        if time.perf_counter() > deadline:
            break
        conn.request("POST", path, body, {"Content-Type": content_type})
        response = conn.getresponse()
        payload = response.read()
        count = accepted(response.status, payload)
        if count is None:
            errors.append(f"{response.status} {payload[:200]!r}")
            break
        sent[0] += count
    conn.close()


def post_concurrently(port: int, path: str, content_type: str, bodies: list[list[bytes]], seconds: float,
                      accepted: Accepted) -> float:
    """One thread per list of bodies, each sending in turn until ``seconds`` pass; returns spans/s.

    Raises:
        SystemExit: a request failed (its status and the start of its body are shown).
    """
    counters = [[0] for _ in bodies]
    errors: list[str] = []
    start = time.perf_counter()
    deadline = start + seconds
    threads = [threading.Thread(target=_client, args=(port, path, content_type, own, deadline, accepted, counter,
                                                      errors)) for own, counter in zip(bodies, counters, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"POST {path} failed: {errors[0]}")
    return sum(counter[0] for counter in counters) / elapsed
