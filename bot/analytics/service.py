"""Recording questions for analysis (redacted first) and listing the recurring ones."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from bot.analytics.models import QuestionLog
from bot.analytics.redact import redact
from bot.db import utcnow

HANDLED_INTENTS = frozenset(
    {
        "greet",
        "goodbye",
        "thanks",
        "help_menu",
        "choose_language",
        "choose_topic",
        "bot_challenge",
        "request_human",
        "individual_case",
        "crisis",
    }
)
"""Intents that are answered although no factual content item is sent."""


def normalize_question(text: str) -> str:
    """Fold case, accents, punctuation and spacing so that the same question counts once."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    text = re.sub(r"[^\w\[\]]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()[:512]


def record_question(
    session: Session,
    *,
    text: str,
    language: str,
    intent: str | None,
    confidence: float | None,
    topic: str,
    content_key: str | None,
    day: date | None = None,
    district: str | None = None,
) -> QuestionLog:
    """Store one question for analysis. Personal data is redacted before anything is stored.

    ``district`` is the coarse region the person named (a district key), never anything finer.
    """
    clean = redact(text)
    answered = topic != "other" or (intent or "").split("/")[0] in HANDLED_INTENTS
    row = QuestionLog(
        day=day or utcnow().date(),
        language=language,
        text_redacted=clean,
        normalized=normalize_question(clean),
        intent=intent,
        confidence=confidence,
        answered=answered,
        topic=topic,
        content_key=content_key,
        district=district,
    )
    session.add(row)
    return row


_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])


def _filtered(
    query: _Query, *, language: str | None, topic: str | None, district: str | None = None
) -> _Query:
    if district:
        query = query.where(QuestionLog.district == district)
    if language:
        query = query.where(QuestionLog.language == language)
    if topic:
        query = query.where(QuestionLog.topic == topic)
    return query


@dataclass(frozen=True, slots=True)
class QuestionCount:
    question: str
    language: str
    topic: str
    count: int


def top_questions(
    session: Session,
    *,
    unanswered: bool = False,
    language: str | None = None,
    topic: str | None = None,
    district: str | None = None,
    limit: int = 20,
) -> list[QuestionCount]:
    """The most frequent (redacted) questions, optionally only unanswered ones, by language and topic."""
    query = select(
        QuestionLog.normalized,
        QuestionLog.language,
        QuestionLog.topic,
        func.count().label("n"),
        func.min(QuestionLog.text_redacted),
    ).where(QuestionLog.intent.is_(None) | ~QuestionLog.intent.in_(["greet", "goodbye", "thanks"]))
    if unanswered:
        query = query.where(QuestionLog.answered.is_(False))
    query = (
        _filtered(query, language=language, topic=topic, district=district)
        .group_by(QuestionLog.normalized, QuestionLog.language, QuestionLog.topic)
        .order_by(func.count().desc(), QuestionLog.normalized)
        .limit(limit)
    )
    return [
        QuestionCount(question=row[4], language=row[1], topic=row[2], count=row[3])
        for row in session.execute(query)
    ]


@dataclass(frozen=True, slots=True)
class AnswerCount:
    content_key: str
    language: str
    topic: str
    count: int


def top_items(
    session: Session,
    *,
    language: str | None = None,
    topic: str | None = None,
    district: str | None = None,
    limit: int = 20,
) -> list[AnswerCount]:
    """Which factual answers were given most often, by language: what people need to know."""
    query = select(QuestionLog.content_key, QuestionLog.language, QuestionLog.topic, func.count()).where(
        QuestionLog.topic != "other", QuestionLog.content_key.is_not(None)
    )
    query = (
        _filtered(query, language=language, topic=topic, district=district)
        .group_by(QuestionLog.content_key, QuestionLog.language, QuestionLog.topic)
        .order_by(func.count().desc(), QuestionLog.content_key)
        .limit(limit)
    )
    return [AnswerCount(str(r[0]), r[1], r[2], r[3]) for r in session.execute(query)]


@dataclass(frozen=True, slots=True)
class DistrictCount:
    district: str | None
    """A district key; None for questions of people who named no place."""
    count: int


def district_counts(
    session: Session, *, language: str | None = None, topic: str | None = None
) -> list[DistrictCount]:
    """How many questions came from each district (coarse regions only), most first."""
    query = select(QuestionLog.district, func.count())
    query = (
        _filtered(query, language=language, topic=topic)
        .group_by(QuestionLog.district)
        .order_by(func.count().desc(), QuestionLog.district)
    )
    return [DistrictCount(r[0], r[1]) for r in session.execute(query)]
