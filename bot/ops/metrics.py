"""Prometheus metrics of the app (the official ``prometheus-client``).

Counters and histograms are updated where the work happens (the pipeline, the Rasa client); the
state of the queue (cases waiting, the oldest one, messages waiting for a retry, failed deliveries)
is read from the database when Prometheus scrapes, so every instance reports the same shared truth
and nothing has to be kept in step. Labels carry channels, languages, reasons and statuses only —
never a pseudonym or a text.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.models import Direction, Message, MessageStatus
from bot.db import utcnow
from bot.handover.models import Handover, HandoverStatus

REGISTRY = CollectorRegistry(auto_describe=True)
"""The app's own registry (not the process-global default: tests build several apps in one process)."""

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)

MESSAGES_IN = Counter(
    "lotse_messages_in", "Incoming messages stored (duplicates not counted).", ["channel"], registry=REGISTRY
)
PROCESSED = Counter(
    "lotse_messages_processed",
    "Incoming messages processed, by what became of them (answered, human, deferred ...).",
    ["channel", "status"],
    registry=REGISTRY,
)
REPLIES = Counter(
    "lotse_replies", "Replies produced, by channel and language.", ["channel", "language"], registry=REGISTRY
)
FALLBACKS = Counter(
    "lotse_fallbacks",
    "Replies that asked back or said the question cannot be answered yet.",
    ["channel"],
    registry=REGISTRY,
)
MESSAGE_SECONDS = Histogram(
    "lotse_message_seconds",
    "From a stored incoming message to its stored answer (end to end inside the app).",
    ["channel"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
RASA_SECONDS = Histogram(
    "lotse_rasa_seconds", "Calls to Rasa's HTTP API.", ["api"], buckets=LATENCY_BUCKETS, registry=REGISTRY
)
RASA_ERRORS = Counter(
    "lotse_rasa_errors",
    "Failed calls to Rasa (not running, timeout, error status).",
    ["api"],
    registry=REGISTRY,
)

MODEL_DOWNLOADS = Counter(
    "lotse_rasa_model_downloads",
    "Model files sent to a Rasa process that asked for the active model (one per process and model).",
    ["model"],
    registry=REGISTRY,
)

FALLBACK_KEYS = frozenset({"utter_ask_back", "utter_ask_rephrase", "utter_out_of_scope", "utter_default"})
"""Reply keys that mean "not understood": asking back, out of scope, the default fallback."""


def observe_outcome(
    channel: str, status: str, reply_keys_languages: list[tuple[str, str]], seconds: float
) -> None:
    """Count one processed incoming message and its replies."""
    PROCESSED.labels(channel, status).inc()
    MESSAGE_SECONDS.labels(channel).observe(seconds)
    for _key, language in reply_keys_languages:
        REPLIES.labels(channel, language).inc()
    if any(key in FALLBACK_KEYS for key, _ in reply_keys_languages):
        FALLBACKS.labels(channel).inc()


class QueueCollector(Collector):
    """Gauges read from the shared database at scrape time."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        with self._sessions() as session:
            waiting = session.execute(
                select(Handover.reason, Handover.urgency, func.count(), func.min(Handover.created_at))
                .where(Handover.status == HandoverStatus.OPEN)
                .group_by(Handover.reason, Handover.urgency)
            ).all()
            open_cases = session.execute(
                select(Handover.status, func.count())
                .where(Handover.status != HandoverStatus.CLOSED)
                .group_by(Handover.status)
            ).all()
            statuses = session.execute(
                select(Message.status, func.count())
                .where(
                    Message.status.in_(
                        [MessageStatus.DEFERRED, MessageStatus.PROCESSING, MessageStatus.FAILED]
                    )
                )
                .group_by(Message.status)
            ).all()
            failed_out = session.scalar(
                select(func.count())
                .select_from(Message)
                .where(Message.direction == Direction.OUT, Message.status == MessageStatus.FAILED)
            )
        cases = GaugeMetricFamily(
            "lotse_cases_waiting", "Cases no caseworker has claimed yet.", labels=["reason", "urgency"]
        )
        oldest = GaugeMetricFamily(
            "lotse_case_oldest_waiting_seconds", "How long the oldest unclaimed case waits."
        )
        first: datetime | None = None
        for reason, urgency, count, created in waiting:
            cases.add_metric([str(reason), str(urgency)], count)
            first = created if first is None or (created is not None and created < first) else first
        oldest.add_metric([], (now - first).total_seconds() if first is not None else 0.0)
        by_status = GaugeMetricFamily(
            "lotse_cases_open", "Open cases (waiting or claimed).", labels=["status"]
        )
        for status, count in open_cases:
            by_status.add_metric([str(status)], count)
        messages = GaugeMetricFamily(
            "lotse_messages_waiting",
            "Unfinished messages: waiting for a retry, in work, undelivered.",
            labels=["status"],
        )
        for message_status, count in statuses:
            messages.add_metric([str(message_status)], count)
        failed = GaugeMetricFamily(
            "lotse_deliveries_failed", "Outgoing messages that could not be delivered."
        )
        failed.add_metric([], failed_out or 0)
        yield from (cases, oldest, by_status, messages, failed)


class _Together(Collector):
    def __init__(self, *parts: Collector | CollectorRegistry) -> None:
        self._parts = parts

    def collect(self) -> Iterator[Metric]:
        for part in self._parts:
            yield from part.collect()


def registry_with_queue(sessions: sessionmaker[Session]) -> CollectorRegistry:
    """What ``/metrics`` of one app serves: the process's counters and histograms plus the queue gauges
    read through this app's database sessions."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Together(REGISTRY, QueueCollector(sessions)))
    return registry
