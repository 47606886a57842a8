"""The figures of the administrators' dashboard, for a date range (whole UTC days, both ends included).

Sources: incoming ``messages`` (kept until the conversation is erased, so older days shrink after
the retention period), ``handovers`` (also erased with the conversation) and the redacted
``question_log`` (kept). No text, pseudonym or conversation id leaves this module.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.analytics.models import QuestionLog
from bot.analytics.service import HANDLED_INTENTS
from bot.conversations.models import Conversation, Direction, Message, MessageStatus
from bot.db import utcnow
from bot.handover.models import Handover

DEFAULT_DAYS = 28
ASK_BACK_KEYS = frozenset({"utter_ask_back"})
NOT_ANSWERED_KEYS = frozenset({"utter_ask_rephrase", "utter_out_of_scope", "utter_default"})
OUTCOMES = ("answered", "asked_back", "not_answered", "caseworker", "pending")
"""How an incoming message ended: a factual or handled answer; asked back which topic was meant;
not understood or out of scope; kept for a caseworker (during a handover); not answered yet
(waiting for Rasa, in work, failed)."""


def default_range(today: date | None = None) -> tuple[date, date]:
    """The last 28 days including today."""
    end = today or utcnow().date()
    return end - timedelta(days=DEFAULT_DAYS - 1), end


def outcome(*, status: MessageStatus, content_key: str | None, topic: str | None, intent: str | None) -> str:
    """One of :data:`OUTCOMES` for an incoming message, from what the pipeline stored with it."""
    if status == MessageStatus.HUMAN:
        return "caseworker"
    if status != MessageStatus.ANSWERED:
        return "pending"
    if content_key in ASK_BACK_KEYS:
        return "asked_back"
    if content_key in NOT_ANSWERED_KEYS:
        return "not_answered"
    if (topic or "other") != "other" or (intent or "").split("/")[0] in HANDLED_INTENTS:
        return "answered"
    return "not_answered" if intent or content_key is None else "answered"


def percentile(values: list[float], q: float) -> float | None:
    """The q-quantile (0..1) by linear interpolation between closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass
class ReasonFigures:
    reason: str
    count: int
    taken: int
    waiting: int
    """Still open (not taken by a caseworker)."""
    median_wait_s: float | None
    p90_wait_s: float | None


@dataclass
class Dashboard:
    start: date
    end: date
    days: list[date]
    languages: list[str]
    messages: dict[str, dict[str, int]]
    """language -> ISO day -> incoming messages."""
    messages_total: int
    messages_by_language: dict[str, int]
    outcomes: dict[str, int]
    outcomes_by_language: dict[str, dict[str, int]]
    handovers: list[ReasonFigures]
    handovers_total: int
    wait_median_s: float | None
    wait_p90_s: float | None
    top_answers: list[tuple[str, str, int]]
    """(content key, topic, count) from the question log."""
    topics: list[tuple[str, int]]
    districts: list[tuple[str | None, int]]
    unanswered_questions: int
    extra: dict[str, object] = field(default_factory=dict)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time.min, UTC), datetime.combine(end + timedelta(days=1), time.min, UTC)


def compute(session: Session, *, start: date, end: date, top: int = 10) -> Dashboard:
    """Every figure of the dashboard for ``start``..``end`` (inclusive)."""
    since, until = _bounds(start, end)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]

    language = func.coalesce(Message.language, Conversation.language)
    rows = session.execute(
        select(
            Message.created_at,
            language,
            Message.status,
            Message.content_key,
            Message.topic,
            Message.intent,
        )
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.direction == Direction.IN, Message.created_at >= since, Message.created_at < until)
    ).all()
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    outcomes: Counter[str] = Counter({o: 0 for o in OUTCOMES})
    by_language: dict[str, Counter[str]] = defaultdict(Counter)
    for created, lang, status, key, topic, intent in rows:
        per_day[lang][created.astimezone(UTC).date().isoformat()] += 1
        result = outcome(status=status, content_key=key, topic=topic, intent=intent)
        outcomes[result] += 1
        by_language[lang][result] += 1
    languages = sorted(per_day, key=lambda lang: (-sum(per_day[lang].values()), lang))
    messages = {
        lang: {d.isoformat(): per_day[lang].get(d.isoformat(), 0) for d in days} for lang in languages
    }

    handovers = session.execute(
        select(Handover.reason, Handover.created_at, Handover.claimed_at).where(
            Handover.created_at >= since, Handover.created_at < until
        )
    ).all()
    waits: dict[str, list[float]] = defaultdict(list)
    counts: Counter[str] = Counter()
    for reason, created, claimed in handovers:
        counts[str(reason)] += 1
        if claimed is not None:
            waits[str(reason)].append(max(0.0, (claimed - created).total_seconds()))
    reasons = [
        ReasonFigures(
            reason=reason,
            count=n,
            taken=len(waits[reason]),
            waiting=n - len(waits[reason]),
            median_wait_s=statistics.median(waits[reason]) if waits[reason] else None,
            p90_wait_s=percentile(waits[reason], 0.9),
        )
        for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    all_waits = [w for ws in waits.values() for w in ws]

    in_range = (QuestionLog.day >= start, QuestionLog.day <= end)
    answers = session.execute(
        select(QuestionLog.content_key, QuestionLog.topic, func.count())
        .where(*in_range, QuestionLog.topic != "other", QuestionLog.content_key.is_not(None))
        .group_by(QuestionLog.content_key, QuestionLog.topic)
        .order_by(func.count().desc(), QuestionLog.content_key)
        .limit(top)
    ).all()
    topics = session.execute(
        select(QuestionLog.topic, func.count())
        .where(*in_range)
        .group_by(QuestionLog.topic)
        .order_by(func.count().desc(), QuestionLog.topic)
    ).all()
    districts = session.execute(
        select(QuestionLog.district, func.count())
        .where(*in_range)
        .group_by(QuestionLog.district)
        .order_by(func.count().desc(), QuestionLog.district)
    ).all()
    unanswered = session.scalar(select(func.count()).where(*in_range, QuestionLog.answered.is_(False))) or 0

    return Dashboard(
        start=start,
        end=end,
        days=days,
        languages=languages,
        messages=messages,
        messages_total=len(rows),
        messages_by_language={lang: sum(per_day[lang].values()) for lang in languages},
        outcomes=dict(outcomes),
        outcomes_by_language={lang: {o: by_language[lang][o] for o in OUTCOMES} for lang in languages},
        handovers=reasons,
        handovers_total=len(handovers),
        wait_median_s=statistics.median(all_waits) if all_waits else None,
        wait_p90_s=percentile(all_waits, 0.9),
        top_answers=[(str(k), str(t), int(n)) for k, t, n in answers],
        topics=[(str(t), int(n)) for t, n in topics],
        districts=[(d, int(n)) for d, n in districts],
        unanswered_questions=int(unanswered),
    )
