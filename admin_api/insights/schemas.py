"""Shapes of the insights API (the same figures as the pages)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from bot.insights.staging import INTENT_PATTERN


class ReasonOut(BaseModel):
    reason: str
    count: int
    taken: int
    """Claimed by a caseworker."""
    waiting: int
    """Not claimed yet."""
    median_wait_s: float | None
    """Median time from the handover to a caseworker taking it (claimed ones only)."""
    p90_wait_s: float | None


class KeyCountOut(BaseModel):
    key: str | None
    count: int


class AnswerOut(BaseModel):
    content_key: str
    topic: str
    count: int


class DashboardOut(BaseModel):
    start: date
    end: date
    messages_total: int
    """Incoming messages (of conversations not erased yet)."""
    messages_by_language: dict[str, int]
    messages_per_day: dict[str, dict[str, int]]
    """language -> ISO day -> incoming messages (every day of the range)."""
    outcomes: dict[str, int]
    """answered, asked_back, not_answered, caseworker (kept during a handover), pending."""
    outcomes_by_language: dict[str, dict[str, int]]
    handovers_total: int
    handovers: list[ReasonOut]
    wait_median_s: float | None
    wait_p90_s: float | None
    top_answers: list[AnswerOut]
    topics: list[KeyCountOut]
    """Logged questions per topic (redacted question log)."""
    districts: list[KeyCountOut]
    """Logged questions per district; null = no district named."""
    unanswered_questions: int


class NearestOut(BaseModel):
    key: str
    intent: str
    similarity: float
    how: Literal["content", "log"]


class ClusterTextOut(BaseModel):
    language: str
    text: str
    """Redacted question text."""
    count: int


class ClusterOut(BaseModel):
    id: int
    """Position in this answer (clusters are computed on request; not a stable id)."""
    size: int
    languages: dict[str, int]
    this_week: int
    last_week: int
    trend: int
    examples: list[ClusterTextOut]
    texts: list[ClusterTextOut]
    nearest: NearestOut | None
    logged_answer: NearestOut | None
    cohesion: float


class ClustersOut(BaseModel):
    start: date
    end: date
    questions: int
    """Unanswered and low-confidence questions in the range."""
    distinct: int
    translated: int
    """Texts compared through their German machine translation (0 without translation models)."""
    seconds: float
    clusters: list[ClusterOut]


_Text = Annotated[str, Field(min_length=1, max_length=4000)]
_Language = Annotated[str, Field(min_length=2, max_length=8, pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")]


class ExampleIn(BaseModel):
    language: _Language
    text: _Text


class StageIn(BaseModel):
    """Stage question texts of a cluster: as examples of ``target_intent`` (e.g. ``faq_health/insurance``),
    or, with ``target_intent`` null, as a new answer that is needed (``note`` says what)."""

    examples: Annotated[list[ExampleIn], Field(min_length=1, max_length=200)]
    target_intent: Annotated[str | None, Field(max_length=128, pattern=INTENT_PATTERN)] = None
    note: Annotated[str | None, Field(max_length=500)] = None


class ReviewIn(BaseModel):
    ids: Annotated[list[Annotated[int, Field(ge=1, le=2_147_483_647)]], Field(min_length=1, max_length=500)]
    status: Literal["approved", "rejected"]


class StagedOut(BaseModel):
    id: int
    language: str
    text: str
    target_intent: str | None
    note: str | None
    status: Literal["staged", "approved", "rejected"]
    staged_by: str | None
    staged_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None
