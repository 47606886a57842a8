"""State of the guided flows and the reminders they schedule (personal data: erased with the conversation)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime, utcnow

DONE = "done"
"""``step`` of a flow that ended with a result (its answers stay for the caseworker's case summary)."""
STOPPED = "stopped"
"""``step`` of a flow the person ended (its answers are dropped)."""


class GuidedFlow(Base):
    """One flow of one conversation: the step it waits for, and the answers given so far.

    One row per (conversation, flow); starting a flow again starts it afresh. At most one flow of a
    conversation is active (``step`` not ``done``/``stopped``).
    """

    __tablename__ = "guided_flows"
    __table_args__ = (UniqueConstraint("conversation_id", "flow"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, doc="Computed dates of a finished flow."
    )
    misses: Mapped[int] = mapped_column(Integer, default=0, doc="Answers in a row that fitted no option.")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ReminderStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    CANCELLED = "cancelled"


class Reminder(Base):
    """A reminder due at ``due_at``: sent once, as an outgoing message in the conversation's channel."""

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    flow: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(128), doc="Content key of the reminder text.")
    deadline: Mapped[str] = mapped_column(String(10), doc="The last day reminded of (ISO date).")
    language: Mapped[str] = mapped_column(String(8))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[ReminderStatus] = mapped_column(
        Enum(ReminderStatus, native_enum=False, length=16), default=ReminderStatus.PENDING
    )
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), default=None, doc="The outgoing message it became."
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
