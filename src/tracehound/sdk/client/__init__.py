"""``tracehound.Client``: the server's API for datasets, examples, experiments, feedback and runs.

One small class per resource, reached as attributes::

    client = tracehound.Client("http://127.0.0.1:6180")
    client.datasets.create("refunds")
    client.examples.promote("refunds", run_id, outputs={"answer": "5 days"}, splits=["smoke"])
    client.feedback.create(run_id, "thumbs", score=1, source="user")

Standard library HTTP only (plus msgspec), so it comes with the slim SDK install.
"""

from __future__ import annotations

from tracehound.sdk.client._http import Http
from tracehound.sdk.client.resources import Datasets, Examples, Experiments, Feedback, Runs
from tracehound.sdk.client.review import Deploys, OnlineRules, Pools, Queues


class Client:
    """A tracehound server's API.

    Args:
        endpoint: server URL; defaults to ``TRACEHOUND_ENDPOINT``.
        api_key: sent as ``X-API-Key``; defaults to ``TRACEHOUND_API_KEY``.
        timeout_s: per request.

    Raises:
        ValueError: no endpoint given or configured, or not an http(s) URL.
    """

    def __init__(self, endpoint: str | None = None, api_key: str | None = None, *, timeout_s: float = 30.0) -> None:
        from tracehound.sdk.config import resolve

        values = resolve(endpoint=endpoint, api_key=api_key)
        if not values["endpoint"]:
            raise ValueError("endpoint: give one or set TRACEHOUND_ENDPOINT")
        self.endpoint: str = values["endpoint"]
        http = Http(self.endpoint, api_key=values["api_key"], timeout_s=timeout_s)
        self.datasets = Datasets(http)
        self.examples = Examples(http)
        self.experiments = Experiments(http)
        self.feedback = Feedback(http)
        self.runs = Runs(http)
        self.deploys = Deploys(http)
        self.online = OnlineRules(http)
        self.pools = Pools(http)
        self.queues = Queues(http)

    def __repr__(self) -> str:
        return f"<tracehound.Client {self.endpoint}>"


__all__ = ["Client"]
