"""Every route's permission and project scope, in one table the access middleware and a test share.

Default-deny: a request whose route is not in ``RULES`` needs ``admin`` over every project, and
``tests/unit/test_permissions.py`` walks the app's route table (the LangSmith sub-app included) and
fails for any route missing here, so a new route cannot go unguarded silently.

Scope, for a credential limited to some projects:

* ``self``   the route narrows by itself with ``server.access`` (a trace's project, ingest batches,
             listings filtered to the caller's projects);
* ``query``  the route takes ``?project=``: the middleware answers 404 for a project outside the scope
             and, when none is named, fills in the caller's first project;
* ``path``   the ``{project}`` path parameter must be in scope (404 otherwise);
* ``global`` records shared by every project (datasets, experiments, alert rules): a scoped
             credential gets 403.

``csrf="form"`` marks UI form posts whose handler checks the form's CSRF field itself; every other
state-changing request made with the session cookie must send ``X-CSRF-Token``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from starlette.routing import compile_path

from tracehound.governance.roles import ADMIN, INGEST, PUBLIC, READ, SIGNED_IN, WRITE


@dataclass(frozen=True, slots=True)
class Rule:
    methods: frozenset[str]
    path: str
    permission: str
    scope: str = "global"
    csrf: str = "header"
    regex: re.Pattern[str] | None = None


def _rule(methods: str, path: str, permission: str, scope: str = "global", csrf: str = "header") -> Rule:
    regex, path_format, _ = compile_path(path)
    verbs = frozenset(methods.split())
    if "GET" in verbs:
        verbs |= {"HEAD"}
    return Rule(verbs, path_format, permission, scope, csrf, regex)


LS = "/-/langsmith"

RULES: Final[tuple[Rule, ...]] = (
    # open
    _rule("GET", "/healthz", PUBLIC),
    _rule("GET", "/-/static/{name}", PUBLIC),
    _rule("GET", "/login", PUBLIC),
    _rule("POST", "/login", PUBLIC, csrf="form"),
    _rule("POST", "/logout", SIGNED_IN, "self", csrf="form"),
    _rule("GET", "/openapi.json", SIGNED_IN, "self"),
    _rule("GET", "/docs", SIGNED_IN, "self"),
    _rule("GET", "/docs/oauth2-redirect", SIGNED_IN, "self"),
    _rule("GET", "/redoc", SIGNED_IN, "self"),
    _rule("GET", "/api/v1/whoami", SIGNED_IN, "self"),
    # native ingest and reads
    _rule("POST", "/api/v1/spans", INGEST, "self"),
    _rule("GET", "/api/v1/spans/{span_id}", READ, "self"),
    _rule("GET", "/api/v1/traces/{trace_id}", READ, "self"),
    _rule("GET", "/api/v1/traces/{trace_id}/critical-path", READ, "self"),
    _rule("GET", "/api/v1/sessions/{session_id}", READ, "query"),
    _rule("POST", "/api/v1/otel/v1/traces", INGEST, "self"),
    _rule("POST", "/v1/traces", INGEST, "self"),
    _rule("GET", "/api/v1/ingest/report", READ),
    _rule("POST", "/api/v1/runs/query", READ, "self"),
    _rule("GET", "/api/v1/search", READ, "query"),
    _rule("GET", "/api/v1/lookup", READ, "query"),
    _rule("GET", "/api/v1/triage", READ, "query"),
    # projects, keys, users, audit, retention, settings
    _rule("GET", "/api/v1/projects", READ, "self"),
    _rule("POST", "/api/v1/projects", ADMIN),
    _rule("GET", "/api/v1/projects/{project}", READ, "path"),
    _rule("PATCH", "/api/v1/projects/{project}", ADMIN, "path"),
    _rule("DELETE", "/api/v1/projects/{project}", ADMIN, "path"),
    _rule("GET", "/api/v1/projects/{project}/retention", READ, "path"),
    _rule("PUT", "/api/v1/projects/{project}/retention", ADMIN, "path"),
    _rule("GET", "/api/v1/projects/{project}/redaction", ADMIN, "path"),
    _rule("PUT", "/api/v1/projects/{project}/redaction", ADMIN, "path"),
    _rule("POST", "/api/v1/retention/run", ADMIN),
    _rule("GET", "/api/v1/retention/runs", ADMIN),
    _rule("POST", "/api/v1/keys", ADMIN),
    _rule("GET", "/api/v1/keys", ADMIN),
    _rule("DELETE", "/api/v1/keys/{key_id}", ADMIN),
    _rule("POST", "/api/v1/users", ADMIN),
    _rule("GET", "/api/v1/users", ADMIN),
    _rule("PATCH", "/api/v1/users/{username}", ADMIN),
    _rule("GET", "/api/v1/audit", ADMIN),
    # evaluation
    _rule("POST", "/api/v1/datasets", WRITE),
    _rule("GET", "/api/v1/datasets", READ),
    _rule("GET", "/api/v1/datasets/{name}", READ),
    _rule("DELETE", "/api/v1/datasets/{name}", WRITE),
    _rule("GET", "/api/v1/datasets/{name}/examples", READ),
    _rule("POST", "/api/v1/datasets/{name}/examples", WRITE),
    _rule("GET", "/api/v1/datasets/{name}/versions", READ),
    _rule("POST", "/api/v1/datasets/{name}/promote", WRITE),
    _rule("POST", "/api/v1/datasets/{name}/promote_bulk", WRITE),
    _rule("GET", "/api/v1/datasets/{name}/export", READ),
    _rule("POST", "/api/v1/datasets/{name}/import", WRITE),
    _rule("GET", "/api/v1/examples/{example_id}", READ),
    _rule("PATCH", "/api/v1/examples/{example_id}", WRITE),
    _rule("DELETE", "/api/v1/examples/{example_id}", WRITE),
    _rule("POST", "/api/v1/experiments", WRITE),
    _rule("GET", "/api/v1/experiments", READ),
    _rule("GET", "/api/v1/experiments/compare", READ),
    _rule("GET", "/api/v1/experiments/{name}", READ),
    _rule("POST", "/api/v1/experiments/{name}/results", WRITE),
    _rule("PATCH", "/api/v1/experiments/{name}", WRITE),
    _rule("DELETE", "/api/v1/experiments/{name}", WRITE),
    _rule("POST", "/api/v1/feedback", WRITE),
    _rule("GET", "/api/v1/feedback", READ),
    _rule("DELETE", "/api/v1/feedback/{feedback_id}", WRITE),
    # sampling counts come from SDKs next to their spans
    _rule("POST", "/api/v1/sampling/dropped", INGEST, "self"),
    _rule("GET", "/api/v1/sampling/dropped", READ, "query"),
    # model prices: the shipped table and per-project overrides (an override applies to new spans of a project)
    _rule("GET", "/api/v1/prices", READ, "query"),
    _rule("PUT", "/api/v1/prices/overrides", ADMIN),
    _rule("DELETE", "/api/v1/prices/overrides", ADMIN),
    _rule("GET", "/api/v1/prices/unpriced", READ, "query"),
    _rule("POST", "/api/v1/prices/reprice", ADMIN),
    # the review loop: online evaluators, deploy markers, failure pools, annotation queues
    _rule("GET", "/api/v1/online-rules", READ),
    _rule("PUT", "/api/v1/online-rules/{rule_id}", WRITE),
    _rule("DELETE", "/api/v1/online-rules/{rule_id}", WRITE),
    _rule("GET", "/api/v1/online-rules/{rule_id}/series", READ),
    _rule("POST", "/api/v1/online-rules/{rule_id}/backfill", WRITE),
    _rule("POST", "/api/v1/deploys", WRITE),
    _rule("GET", "/api/v1/deploys", READ, "query"),
    _rule("POST", "/api/v1/pools", WRITE),
    _rule("GET", "/api/v1/pools", READ),
    _rule("GET", "/api/v1/pools/{pool}", READ),
    _rule("DELETE", "/api/v1/pools/{pool}", WRITE),
    _rule("GET", "/api/v1/pools/{pool}/members", READ),
    _rule("GET", "/api/v1/pools/{pool}/drift", READ),
    _rule("POST", "/api/v1/queues", WRITE),
    _rule("GET", "/api/v1/queues", READ),
    _rule("GET", "/api/v1/queues/{queue}", READ),
    _rule("PATCH", "/api/v1/queues/{queue}", WRITE),
    _rule("DELETE", "/api/v1/queues/{queue}", WRITE),
    _rule("POST", "/api/v1/queues/{queue}/items", WRITE),
    _rule("GET", "/api/v1/queues/{queue}/items", READ),
    _rule("DELETE", "/api/v1/queues/{queue}/items/{run_id}", WRITE),
    _rule("POST", "/api/v1/queues/{queue}/claim", WRITE),
    _rule("POST", "/api/v1/queues/{queue}/items/{run_id}/annotations", WRITE),
    _rule("GET", "/api/v1/queues/{queue}/annotations", READ),
    _rule("GET", "/api/v1/queues/{queue}/agreement", READ),
    _rule("GET", "/api/v1/queues/{queue}/calibration", READ),
    # presigned feedback: creating a token needs a key; the token in the URL is the end user's credential
    _rule("POST", "/api/v1/feedback/tokens", WRITE),
    _rule("GET POST OPTIONS", "/api/v1/feedback/tokens/{token_id}", PUBLIC, csrf="none"),
    # metrics, alerts, detectors
    _rule("GET", "/api/v1/metrics/summary", READ, "query"),
    _rule("GET", "/api/v1/metrics/timeseries", READ, "query"),
    _rule("GET", "/api/v1/metrics/runs", READ, "query"),
    _rule("GET", "/api/v1/metrics/tokens", READ, "query"),
    _rule("POST", "/api/v1/metrics/rebuild", ADMIN),
    _rule("GET", "/api/v1/alerts/rules", READ),
    _rule("PUT", "/api/v1/alerts/rules/{rule_id}", WRITE),
    _rule("DELETE", "/api/v1/alerts/rules/{rule_id}", WRITE),
    _rule("GET", "/api/v1/alerts", READ),
    _rule("GET", "/api/v1/alerts/history", READ),
    _rule("POST", "/api/v1/alerts/silences", WRITE),
    _rule("GET", "/api/v1/alerts/silences", READ),
    _rule("DELETE", "/api/v1/alerts/silences/{silence_id}", WRITE),
    _rule("POST", "/api/v1/alerts/evaluate", WRITE),
    _rule("POST", "/api/v1/alerts/backtest", READ),
    _rule("GET", "/api/v1/detectors", READ),
    _rule("POST", "/api/v1/detectors/{name}/run", WRITE),
    _rule("GET", "/api/v1/detectors/results", READ),
    # UI pages and their JSON twins
    _rule("GET", "/", READ, "query"),
    _rule("GET", "/.json", READ, "query"),
    _rule("GET", "/trace/{trace_id}", READ, "self"),
    _rule("GET", "/trace/{trace_id}/span/{span_id}", READ, "self"),
    _rule("GET", "/session/{session_id}", READ, "query"),
    _rule("GET", "/runs", READ, "query"),
    _rule("GET", "/runs.json", READ, "query"),
    _rule("GET", "/dashboard", READ, "query"),
    _rule("GET", "/dashboard.json", READ, "query"),
    _rule("GET", "/triage", READ, "query"),
    _rule("GET", "/triage.json", READ, "query"),
    _rule("GET", "/alerts", READ),
    _rule("GET", "/alerts.json", READ),
    _rule("GET", "/evals/datasets", READ),
    _rule("GET", "/evals/datasets.json", READ),
    _rule("GET", "/evals/datasets/{name}", READ),
    _rule("GET", "/evals/experiments", READ),
    _rule("GET", "/evals/experiments.json", READ),
    _rule("GET", "/evals/compare", READ),
    _rule("GET", "/evals/compare.json", READ),
    _rule("GET", "/-/patterns", SIGNED_IN, "self"),
    _rule("GET", "/online", READ),
    _rule("GET", "/online.json", READ),
    _rule("GET", "/online/{rule_id}", READ),
    _rule("GET", "/pools", READ),
    _rule("GET", "/pools.json", READ),
    _rule("GET", "/pools/{name}", READ),
    _rule("GET", "/queues", READ),
    _rule("GET", "/queues.json", READ),
    _rule("GET", "/queues/{name}", READ),
    _rule("GET", "/queues/{name}/review", READ),
    _rule("GET", "/queues/{name}/review.json", READ),
    # LangSmith UI links redirect to our pages (a run's link checks the run's project first)
    _rule("GET", "/o/{tenant}/datasets/{dataset_id}/compare", READ),
    _rule("GET", "/o/{tenant}/projects/p/{project_id}", READ),
    _rule("GET", "/o/{tenant}/projects/p/{project_id}/r/{run_id}", READ, "self"),
    _rule("GET", "/settings", ADMIN),
    _rule("GET", "/settings.json", ADMIN),
    _rule("POST", "/settings/keys", ADMIN, csrf="form"),
    _rule("POST", "/settings/keys/{key_id}/revoke", ADMIN, csrf="form"),
    _rule("GET", "/settings/projects/{project}", ADMIN, "path"),
    _rule("POST", "/settings/projects/{project}", ADMIN, "path", csrf="form"),
    _rule("GET", "/settings/audit", ADMIN),
    # the LangSmith-compatible API (paths after LangSmithPaths has brought them under /-/langsmith)
    _rule("GET", f"{LS}/info", SIGNED_IN, "self"),
    _rule("POST", f"{LS}/runs/multipart", INGEST, "self"),
    _rule("POST", f"{LS}/runs/batch", INGEST, "self"),
    _rule("POST", f"{LS}/runs", INGEST, "self"),
    _rule("PATCH", f"{LS}/runs/{{run_id}}", INGEST, "self"),
    _rule("POST", f"{LS}/runs/query", READ),
    _rule("GET", f"{LS}/runs/{{run_id}}", READ, "self"),
    _rule("GET", f"{LS}/attachments/{{digest}}", READ),
    _rule("POST", f"{LS}/sessions", WRITE),
    _rule("GET", f"{LS}/sessions", READ),
    _rule("GET", f"{LS}/sessions/{{session_id}}", READ),
    _rule("PATCH", f"{LS}/sessions/{{session_id}}", ADMIN),
    _rule("DELETE", f"{LS}/sessions/{{session_id}}", ADMIN),
    _rule("POST", f"{LS}/datasets", WRITE),
    _rule("GET", f"{LS}/datasets", READ),
    _rule("GET", f"{LS}/datasets/{{dataset_id}}", READ),
    _rule("PATCH", f"{LS}/datasets/{{dataset_id}}", WRITE),
    _rule("DELETE", f"{LS}/datasets/{{dataset_id}}", WRITE),
    _rule("POST", f"{LS}/examples", WRITE),
    _rule("POST", f"{LS}/examples/bulk", WRITE),
    _rule("PATCH", f"{LS}/examples/bulk", WRITE),
    _rule("GET", f"{LS}/examples", READ),
    _rule("GET", f"{LS}/examples/{{example_id}}", READ),
    _rule("PATCH", f"{LS}/examples/{{example_id}}", WRITE),
    _rule("DELETE", f"{LS}/examples/{{example_id}}", WRITE),
    _rule("DELETE", f"{LS}/examples", WRITE),
    _rule("POST", f"{LS}/feedback", WRITE),
    _rule("GET", f"{LS}/feedback", READ),
    _rule("GET", f"{LS}/feedback/{{feedback_id}}", READ),
    _rule("PATCH", f"{LS}/feedback/{{feedback_id}}", WRITE),
    _rule("DELETE", f"{LS}/feedback/{{feedback_id}}", WRITE),
    _rule("POST", f"{LS}/annotation-queues", WRITE),
    _rule("GET", f"{LS}/annotation-queues", READ),
    _rule("GET", f"{LS}/annotation-queues/{{queue_id}}", READ),
    _rule("PATCH", f"{LS}/annotation-queues/{{queue_id}}", WRITE),
    _rule("DELETE", f"{LS}/annotation-queues/{{queue_id}}", WRITE),
    _rule("POST", f"{LS}/annotation-queues/{{queue_id}}/runs/by-key", WRITE),
    _rule("POST", f"{LS}/annotation-queues/{{queue_id}}/runs", WRITE),
    _rule("DELETE", f"{LS}/annotation-queues/{{queue_id}}/runs/{{run_id}}", WRITE),
    _rule("GET", f"{LS}/annotation-queues/{{queue_id}}/run/{{index}}", READ),
    _rule("GET", f"{LS}/annotation-queues/{{queue_id}}/runs", READ),
    _rule("POST", f"{LS}/feedback/tokens", WRITE),
    _rule("GET POST OPTIONS", f"{LS}/feedback/tokens/{{token_id}}", PUBLIC, csrf="none"),
    # every other LangSmith path answers 501 naming the endpoint
    _rule("POST", f"{LS}/api/v2/runs/query", READ),
    _rule("GET", f"{LS}/api/v2/runs/{{run_id}}", READ),
    _rule("POST", f"{LS}/v1/platform/datasets/{{dataset_id}}/examples", WRITE),
    _rule("GET POST PUT PATCH DELETE OPTIONS", f"{LS}/{{path:path}}", SIGNED_IN, "self"),
    # the doors (issue 17): Langfuse API, Prometheus, read-only SQL, bulk export
    _rule("POST", "/api/public/otel/v1/traces", INGEST, "self"),
    _rule("POST", "/api/public/scores", WRITE),
    _rule("GET", "/api/public/health", READ, "self"),
    _rule("GET", "/api/public/projects", READ, "self"),
    _rule("GET", "/metrics", READ),
    _rule("POST", "/api/v1/sql", READ, "self"),
    _rule("GET", "/api/v1/export", READ, "self"),
    _rule("GET", "/sql", READ, "self"),
    _rule("GET", "/sql.json", READ, "self"),
)

DEFAULT: Final = Rule(frozenset(), "", ADMIN, "global")


def match(method: str, path: str) -> tuple[Rule, dict[str, str]]:
    """The first rule for ``method`` and ``path`` with its path parameters; ``DEFAULT`` (admin) if none."""
    for rule in RULES:
        if method in rule.methods:
            assert rule.regex is not None
            found = rule.regex.match(path)
            if found:
                return rule, found.groupdict()
    return DEFAULT, {}
