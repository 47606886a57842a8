"""Handovers: a conversation that a person (caseworker) must take over."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime, utcnow


class HandoverReason(enum.StrEnum):
    REQUESTED = "requested"
    LOW_CONFIDENCE = "low_confidence"
    CRISIS = "crisis"
    INDIVIDUAL = "individual"
    UNAVAILABLE = "unavailable"
    ATTACHMENT = "attachment"
    """The person sent a voice message, photo or file (Lotse reads only text and keeps none of them)."""
    APPEAL_DEADLINE = "appeal_deadline"
    """The appeal helper computed 3 days or fewer left (or a passed deadline)."""
    FAMILY_DEADLINE = "family_deadline"
    """The family reunification check computed less than 3 weeks left of the three months."""
    HOUSING_HELP = "housing_help"
    """The person asked for help finding a flat (the flat-search profile is in the facts)."""


class Urgency(enum.IntEnum):
    """Lower sorts first in a queue."""

    CRITICAL = 0
    DEADLINE = 1
    """A deadline computed by a guided flow is about to pass: right after crises."""
    HIGH = 2
    NORMAL = 3


class HandoverStatus(enum.StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    CLOSED = "closed"


class Handover(Base):
    """What the caseworker inbox needs: reason, topic, urgency, language and the conversation so far."""

    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[HandoverReason] = mapped_column(Enum(HandoverReason, native_enum=False, length=32))
    topic: Mapped[str | None] = mapped_column(String(32), default=None)
    urgency: Mapped[int] = mapped_column(Integer, default=Urgency.NORMAL)
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[HandoverStatus] = mapped_column(
        Enum(HandoverStatus, native_enum=False, length=16), default=HandoverStatus.OPEN
    )
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, doc="The conversation so far at handover time (direction, text, language, time)."
    )
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, doc="What the assistant collected.")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    claimed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), default=None, index=True
    )
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    outcome: Mapped[str | None] = mapped_column(String(64), default=None)
