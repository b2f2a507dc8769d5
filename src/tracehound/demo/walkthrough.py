"""The whole loop on the demo's live incident, from a support ticket to a gated fix (``tracehound demo --walkthrough``).

    ticket session → its failing trace → replay (the failure is deterministic) → promote it to a
    regression dataset with the answer it should have given → evaluate the agent as it is (baseline)
    → deploy the fixed agent → evaluate, compare (fixed, nothing regressed) → the gate passes →
    the order-API error alert resolves on live traffic.

Every step uses the public pieces (``Client``, ``evaluate``, ``replay``, ``run_gate``) and prints
the CLI command that does the same from a terminal. ``support_agent`` and ``support_agent_fixed``
are the targets: the agent as deployed during the outage, and its fixed version.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

import tracehound
from tracehound.demo.agent import AgentConfig, Faults, SupportAgent, order_api
from tracehound.ui.messages import answer, user_message

DATASET = "demo-regressions"
ALERT = ("tool-errors", "lookup_order")


def support_agent(question: str, user_id: str, order_id: str) -> str:
    """The agent as deployed while the order API serves HTML error pages."""
    return SupportAgent(AgentConfig(faults=Faults(order_api_html=True))).handle(
        question, user_id=user_id, order_id=order_id)


def support_agent_fixed(question: str, user_id: str, order_id: str) -> str:
    """The fixed agent: it checks the order API's content type and retries asking for JSON."""
    return SupportAgent(AgentConfig(fixed=True, faults=Faults(order_api_html=True))).handle(
        question, user_id=user_id, order_id=order_id)


@dataclass
class WalkthroughResult:
    ticket_session: str
    run_id: str = ""
    replay_verdict: str = ""
    baseline: str = ""
    candidate: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    gate_passed: bool = False
    alert_states: list[str] = field(default_factory=list)  # the order-API alert's states seen, in order


def _reference(order_id: str) -> str:
    """What the customer should have been told: the order's status from the API, asked for JSON."""
    import json

    order = json.loads(order_api(order_id, accept_json=True)[1])
    return f"Order {order['order_id']} has {order['status']}, arriving in {order['eta_days']} days."


def run_walkthrough(endpoint: str, traffic: Any, ticket_session: str, *, echo: Callable[[str], None] = print,
                    resolve_timeout_s: float = 180.0, pause: Callable[[], None] = lambda: None) -> WalkthroughResult:
    """Walk the loop on ``ticket_session``; ``traffic.fixed = True`` is the deployment of the fix.

    Args:
        endpoint: the demo server.
        traffic: the ``Traffic`` sending live sessions (its ``samples`` give healthy examples).
        ticket_session: the session id from the support ticket.
        resolve_timeout_s: how long to wait for the alert to resolve on live traffic.
        pause: called between steps (the CLI waits for Enter).
    """
    from tracehound.evals.evaluators import exact_match
    from tracehound.evals.gate import run_gate
    from tracehound.evals.replay import replay

    client = tracehound.Client(endpoint)
    http = httpx.Client(base_url=endpoint, timeout=60)
    result = WalkthroughResult(ticket_session)
    target = "tracehound.demo.walkthrough:support_agent"

    echo(f"\n1. A customer writes in: 'your bot gave up on my order' — ticket links session {ticket_session}.")
    echo(f"   $ tracehound lookup --session-id {ticket_session}")
    traces = http.get("/api/v1/lookup", params={"session_id": ticket_session}).json()["traces"]
    failing = next(t for t in traces if t["error_count"])
    result.run_id = failing["root_id"]
    run = http.get(f"/api/v1/spans/{result.run_id}").json()
    echo(f"   turn {failing['trace_id']}: {failing['error_count']} error(s); asked {user_message(run['inputs'])!r},"
         f" answered {answer(run['outputs'])[:120]!r}")
    echo(f"   open {endpoint}/trace/{failing['trace_id']}")
    pause()

    echo("\n2. Replay the turn on its stored inputs, three times.")
    echo(f"   $ tracehound replay {result.run_id} --target {target} --times 3 --endpoint {endpoint}")
    report = replay(result.run_id, support_agent, times=3, client=client)
    result.replay_verdict = report.verdict
    echo(f"   {report.summary()} — the failure is deterministic: the order API's HTML page, every time.")
    pause()

    echo(f"\n3. Promote it to the regression dataset {DATASET!r} with the answer it should have given.")
    reference = _reference(run["inputs"]["order_id"])
    echo(f"   $ tracehound datasets promote {DATASET} {result.run_id} --output '{{\"output\": \"{reference}\"}}'")
    if DATASET not in [d["name"] for d in client.datasets.list()]:
        client.datasets.create(DATASET, description="customer-visible failures, kept as regression tests")
    client.examples.promote(DATASET, result.run_id, outputs={"output": reference},
                            metadata={"incident": "order-api-html", "ticket_session": ticket_session})
    samples = list(traffic.samples)[-3:]
    client.examples.add(DATASET, [{"inputs": inputs, "outputs": {"output": reply}} for inputs, reply in samples])
    echo(f"   + {len(samples)} healthy turns from live traffic, so a fix cannot break them unnoticed")
    pause()

    echo("\n4. Evaluate the agent as deployed: the baseline.")
    baseline = tracehound.evaluate(support_agent, data=DATASET, evaluators=[exact_match()],
                                   experiment_prefix="baseline", client=client, progress=False)
    result.baseline = baseline.name
    echo(f"   experiment {baseline.name}: {baseline.summary['passed']}/{baseline.summary['examples']} passed")
    pause()

    echo("\n5. Deploy the fix (check the content type, retry asking for JSON) and evaluate it.")
    traffic.fixed = True
    candidate = tracehound.evaluate(support_agent_fixed, data=DATASET, evaluators=[exact_match()],
                                    experiment_prefix="fixed", client=client, progress=False)
    result.candidate = candidate.name
    echo(f"   experiment {candidate.name}: {candidate.summary['passed']}/{candidate.summary['examples']} passed")
    echo(f"   $ tracehound compare {baseline.name} {candidate.name} --endpoint {endpoint}")
    comparison = client.experiments.compare(baseline.name, candidate.name)
    result.counts = comparison["counts"]
    echo(f"   {result.counts['fixed']} fixed, {result.counts['regressed']} regressed,"
         f" {result.counts['unchanged']} unchanged")
    pause()

    echo("\n6. The CI gate: every example must pass, nothing may regress.")
    echo(f"   $ tracehound gate --dataset {DATASET} --target {target}_fixed --baseline {baseline.name}"
         f" --min-score exact_match=1 --no-regressions --endpoint {endpoint}")
    gate = run_gate(support_agent_fixed, dataset=DATASET, evaluators=[exact_match()], baseline=baseline.name,
                    min_scores={"exact_match": 1.0}, no_regressions=True, client=client, progress=False)
    result.gate_passed = gate.passed
    echo("   " + gate.markdown().splitlines()[0])
    pause()

    echo(f"\n7. Live traffic now runs the fixed agent; waiting for the {ALERT[0]} alert on {ALERT[1]} to resolve.")
    deadline = time.monotonic() + resolve_timeout_s
    while time.monotonic() < deadline:
        state = next((a["state"] for a in http.get("/api/v1/alerts").json()["alerts"]
                      if (a["rule_id"], a["key"]) == ALERT), "ok")
        if not result.alert_states or result.alert_states[-1] != state:
            result.alert_states.append(state)
            echo(f"   {ALERT[0]}/{ALERT[1]}: {state}")
        if state in ("resolved", "ok") and len(result.alert_states) > 1:
            break
        time.sleep(0.5)
    echo(f"   history: {endpoint}/alerts")
    http.close()
    return result
