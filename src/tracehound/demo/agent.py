"""A customer-support agent with tools, a retriever and a scripted model — instrumented only with
the public SDK, so what the demo shows is what any user's agent would produce.

The "model" is deterministic for a given random generator: it plans tool calls from keywords in
the question and writes answers from the tool results, with token counts that depend on the prompt
version and the model. Latencies are simulated with short sleeps so traces have real timings.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

import tracehound

KB = {
    "refund": "Refunds are issued to the original payment method within 5 business days.",
    "shipping": "Standard shipping takes 3-5 business days; express ships next day.",
    "password": "Reset your password from Settings > Security > Reset password.",
    "cancel": "Orders can be cancelled until they ship.",
}
QUESTIONS = (
    "Where is my order {order}?",
    "I want a refund for order {order}",
    "How long does shipping take?",
    "I forgot my password",
    "Can I cancel order {order}?",
    "Is my account active?",
)


@dataclass
class AgentConfig:
    """Knobs the demo's incidents turn: model, prompt version, how slow things are."""

    model: str = "gpt-4o-mini"
    prompt_version: str = "v116"
    latency_scale: float = 0.05  # fraction of the simulated latency actually slept (keeps the demo quick)
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def sleep_ms(self, low: float, high: float) -> None:
        time.sleep(self.rng.uniform(low, high) / 1000 * self.latency_scale)


class SupportAgent:
    """One agent instance; ``handle`` answers one user turn and returns the reply."""

    def __init__(self, config: AgentConfig | None = None) -> None:
        self.config = config or AgentConfig()

    def _llm(self, purpose: str, prompt: str) -> int:
        """Record token usage of one model call on the current span; returns the completion size."""
        config = self.config
        run = tracehound.get_current_span()
        prompt_tokens = 350 + len(prompt) // 4 + (800 if config.prompt_version == "v117" else 0)
        completion_tokens = 40 + config.rng.randint(0, 80)
        run.set_model(config.model)
        run.set_tokens(prompt=prompt_tokens, completion=completion_tokens)
        run.set_cost(prompt_tokens * 0.15e-6 + completion_tokens * 0.6e-6)
        run.set_metadata(prompt_version=config.prompt_version, purpose=purpose)
        config.sleep_ms(200, 900)
        return completion_tokens

    @tracehound.traceable(run_type="llm")
    def plan(self, question: str) -> list[str]:
        self._llm("plan", question)
        lowered = question.lower()
        tools = []
        if "order" in lowered:
            tools.append("lookup_order")
        if "refund" in lowered:
            tools.append("issue_refund")
        if "account" in lowered:
            tools.append("get_account")
        if not tools or "how" in lowered or "forgot" in lowered:
            tools.append("search_kb")
        return tools

    @staticmethod
    @tracehound.traceable(run_type="tool")
    def lookup_order(order_id: str) -> dict[str, Any]:
        return {"order_id": order_id, "status": "shipped", "eta_days": 2}

    @staticmethod
    @tracehound.traceable(run_type="tool")
    def issue_refund(order_id: str) -> dict[str, Any]:
        return {"order_id": order_id, "refund": "approved"}

    @staticmethod
    @tracehound.traceable(run_type="tool")
    def get_account(user_id: str) -> dict[str, Any]:
        return {"user_id": user_id, "state": "active"}

    @staticmethod
    @tracehound.traceable(run_type="retriever")
    def search_kb(query: str) -> list[dict[str, str]]:
        return [{"id": key, "text": text} for key, text in KB.items() if key in query.lower() or
                (key == "password" and "forgot" in query.lower())]

    @tracehound.traceable(run_type="llm")
    def answer(self, question: str, results: dict[str, Any]) -> str:
        self._llm("answer", question + str(results))
        parts = []
        for tool, result in results.items():
            if tool == "lookup_order":
                parts.append(f"Order {result['order_id']} has {result['status']}, "
                             f"arriving in {result['eta_days']} days.")
            elif tool == "issue_refund":
                parts.append(f"Your refund for {result['order_id']} is approved.")
            elif tool == "get_account":
                parts.append(f"Your account is {result['state']}.")
            elif tool == "search_kb":
                parts.append(" ".join(doc["text"] for doc in result) or "I could not find that.")
        return " ".join(parts)

    @tracehound.traceable(run_type="chain", name="support_agent", tags=("demo",))
    def handle(self, question: str, *, user_id: str, order_id: str) -> str:
        results: dict[str, Any] = {}
        for tool in self.plan(question):
            self.config.sleep_ms(20, 200)
            if tool == "lookup_order":
                results[tool] = self.lookup_order(order_id)
            elif tool == "issue_refund":
                results[tool] = self.issue_refund(order_id)
            elif tool == "get_account":
                results[tool] = self.get_account(user_id)
            else:
                results[tool] = self.search_kb(question)
        return self.answer(question, results)


def run_session(agent: SupportAgent, number: int, *, turns: int = 3) -> str:
    """One conversation of a few turns for a user; returns the session id."""
    rng = agent.config.rng
    session_id = f"demo-session-{number}"
    user_id = f"user-{rng.randint(1, 300)}"
    with tracehound.session(session_id, user_id=user_id):
        for _ in range(turns):
            template = rng.choice(QUESTIONS)
            order = f"A-{rng.randint(1000, 9999)}"
            agent.handle(template.format(order=order), user_id=user_id, order_id=order)
    return session_id
