"""Demo traffic through the public SDK: a week of backfill on a simulated clock, then a live trickle.

    traffic = Traffic("http://127.0.0.1:6180")
    report = traffic.backfill()          # returns once the server has committed every span
    traffic.run_live(stop_event)         # until stopped; traffic.fixed = True deploys the fix

The backfill walks ``timeline`` from seven days ago to now, one session at a time, each under
``tracehound.sdk.clock.simulated`` starting at its own moment: spans carry past timestamps and real
latency distributions, and nothing sleeps. Live sessions are simulated the same way from the current
time, so they cost no waiting either; a thread just paces how many start per second.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import tracehound
from tracehound.demo import timeline
from tracehound.demo.agent import APOLOGY, INJECTION, QUESTIONS, AgentConfig, SupportAgent, account_state
from tracehound.sdk import clock

PROJECT = "demo-support"
KB_QUESTIONS = ("How long does shipping take?", "I forgot my password", "How do I return an item?",
                "Where can I download my invoice?")  # answers that depend on the question only
HOUR_US = 3_600_000_000
TURN_WEIGHTS = (1, 2, 3, 4)


@dataclass
class BackfillReport:
    """What the backfill produced: counts, the time range, and the sessions the walkthrough starts from."""

    sessions: int = 0
    turns: int = 0
    start_us: int = 0
    end_us: int = 0
    elapsed_s: float = 0.0
    ticket_session: str | None = None  # a customer escalated by the order-API outage (the support ticket)
    scripted: dict[str, str] = field(default_factory=dict)  # incident → session id


class Traffic:
    """Drives ``SupportAgent`` against a server. ``fixed`` switches live traffic to the fixed agent."""

    def __init__(self, endpoint: str, *, project: str = PROJECT, seed: int = 7, density: float = 1.0,
                 end_us: int | None = None) -> None:
        self.endpoint, self.project = endpoint, project
        self.rng = random.Random(seed)
        self.density = density  # multiplies every session rate (tests run a lighter week)
        self.end_us = end_us
        self.fixed = False
        self.live_sessions = 0
        self.agent = SupportAgent(AgentConfig(rng=self.rng))
        # Healthy knowledge-base turns (inputs, reply): the walkthrough's examples that must not regress.
        self.samples: deque[tuple[dict[str, str], str]] = deque(maxlen=20)
        self._lock = threading.Lock()  # one agent, used by the backfill and the live thread in turn

    def configure_sdk(self) -> None:
        """Point the SDK at the server, with room for a week in the export queue and the loop guard on."""
        tracehound.configure(endpoint=self.endpoint, project=self.project, queue_max_spans=500_000,
                             batch_max_spans=2000, batch_interval_ms=50,
                             guards=tracehound.Guards(loop_threshold=5))

    # One session ------------------------------------------------------------------------------
    def _session(self, session_id: str, start_us: int, hours_ago: float, questions: list[str] | None = None,
                 user_id: str | None = None, fixed: bool = False) -> tuple[list[tuple[str, str]], int]:
        """Run one conversation at ``start_us``; returns ``[(root run id, reply)]`` and its end."""
        model, version, faults = timeline.agent_state(hours_ago)
        config = self.agent.config
        config.model, config.prompt_version, config.faults, config.fixed = model, version, faults, fixed
        rng = self.rng
        user_id = user_id or f"user-{rng.randint(1, 400)}"
        turns = questions or [rng.choice(QUESTIONS) for _ in range(rng.choice(TURN_WEIGHTS))]
        replies = []
        order = f"A-{rng.randint(1000, 9999)}"  # a conversation is usually about one order
        self.agent.start_session(user_id)
        with clock.simulated(start_us) as sim, tracehound.session(session_id, user_id=user_id):
            for template in turns:
                question = template.format(order=order)
                reply = self.agent.handle(question, user_id=user_id, order_id=order)
                replies.append((self.agent.last_run_id or "", reply))
                if question in KB_QUESTIONS and not faults.kb_empty:
                    self.samples.append(({"question": question, "user_id": user_id, "order_id": order}, reply))
                sim.advance(rng.uniform(8, 45))  # the user reads and types
            return replies, sim.now_us

    # The week ---------------------------------------------------------------------------------
    def backfill(self, *, hours: float = timeline.BACKFILL_H) -> BackfillReport:
        """Seven days (or ``hours``) of sessions with the timeline's incidents; returns once committed."""
        started = time.perf_counter()
        end_us = self.end_us or (time.time_ns() // 1000 - 60_000_000)  # the last session ends about now
        report = BackfillReport(start_us=end_us - int(hours * HOUR_US), end_us=end_us)
        scripted = sorted((i for i in timeline.INCIDENTS if i.sessions and i.start_h <= hours),
                          key=lambda i: -i.start_h)
        feedback: list[str] = []
        at_us = report.start_us
        with self._lock:
            while at_us < end_us:
                hours_ago = (end_us - at_us) / HOUR_US
                while scripted and scripted[0].start_h >= hours_ago:
                    incident = scripted.pop(0)
                    session_id = f"demo-{incident.name}-1"
                    replies = self._scripted(incident, session_id, at_us)
                    report.scripted[incident.name] = session_id
                    report.sessions += 1
                    report.turns += len(replies)
                    if incident.name == "contradiction":
                        feedback.append(replies[-1][0])  # the customer's thumbs-down
                session_id = f"demo-session-{report.sessions}"
                replies, _ = self._session(session_id, at_us, hours_ago)
                report.sessions += 1
                report.turns += len(replies)
                if report.ticket_session is None and any(r.startswith(APOLOGY[:30]) for _, r in replies):
                    report.ticket_session = session_id
                rate = timeline.rate_per_h(hours_ago) * self.density
                next_us = at_us + int(self.rng.expovariate(rate) * HOUR_US)
                starts = [end_us - int(i.start_h * HOUR_US) for i in timeline.INCIDENTS]
                at_us = min([next_us, *(s for s in starts if at_us < s < next_us)])  # never step over an onset
        tracehound.flush(timeout_s=120)
        if feedback:
            client = tracehound.Client(self.endpoint)
            for run_id in feedback:
                client.feedback.create(run_id, "user_score", score=0.0, comment="the bot contradicted itself",
                                       source="user")
        report.elapsed_s = time.perf_counter() - started
        return report

    def _scripted(self, incident: timeline.Incident, session_id: str, at_us: int) -> list[tuple[str, str]]:
        hours_ago = (self.end_us_or_now() - at_us) / HOUR_US
        if incident.name == "injection":
            questions = [INJECTION, "I want a refund for order {order}"]
            replies, _ = self._session(session_id, at_us, hours_ago, questions=questions)
            return replies
        # contradiction: an active account, read from a stale cache in the first turn
        user = next(f"user-{n}" for n in range(1000, 2000) if account_state(f"user-{n}") == "active")
        questions = ["Is my account active?", "How do I return an item?", "Is my account active?"]
        model, version, faults = timeline.agent_state(hours_ago)
        for name, value in incident.faults.items():
            setattr(faults, name, value)
        config = self.agent.config
        replies = []
        self.agent.start_session(user)
        with clock.simulated(at_us) as sim, tracehound.session(session_id, user_id=user):
            config.model, config.prompt_version, config.faults, config.fixed = model, version, faults, False
            for question in questions:
                reply = self.agent.handle(question, user_id=user, order_id="A-1000")
                replies.append((self.agent.last_run_id or "", reply))
                sim.advance(self.rng.uniform(8, 45))
        return replies

    def end_us_or_now(self) -> int:
        return self.end_us or time.time_ns() // 1000

    # Live -------------------------------------------------------------------------------------
    def run_live(self, stop: threading.Event, *, sessions_per_s: float = 2.0, max_sessions: int | None = None) -> int:
        """Start ``sessions_per_s`` sessions a second at the current time until ``stop``; returns how many."""
        while not stop.is_set() and (max_sessions is None or self.live_sessions < max_sessions):
            with self._lock:
                self._session(f"live-session-{self.live_sessions}", time.time_ns() // 1000, 0.0, fixed=self.fixed)
                self.live_sessions += 1
            stop.wait(self.rng.expovariate(sessions_per_s))
        tracehound.flush()
        return self.live_sessions

    def live_once(self, **kwargs: Any) -> None:
        """One live session now (tests)."""
        with self._lock:
            self._session(f"live-session-{self.live_sessions}", time.time_ns() // 1000, 0.0, fixed=self.fixed,
                          **kwargs)
            self.live_sessions += 1
