"""Staged NLU training examples: proposed from a cluster of questions, reviewed before any training."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime, utcnow


class StagedStatus(enum.StrEnum):
    STAGED = "staged"
    APPROVED = "approved"
    REJECTED = "rejected"


class StagedExample(Base):
    """One question text proposed as a training example: for an existing intent (``target_intent``,
    e.g. ``faq_housing/deposit``) or, with ``target_intent`` empty, as material for a new answer
    (``note`` says what is missing). Never written into ``nlu_data/``: ``lotse nlu export-staged``
    writes the approved ones to a file for a later retraining."""

    __tablename__ = "staged_examples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text, doc="The redacted question text from the question log.")
    target_intent: Mapped[str | None] = mapped_column(String(128), default=None)
    note: Mapped[str | None] = mapped_column(String(500), default=None)
    status: Mapped[StagedStatus] = mapped_column(
        Enum(StagedStatus, native_enum=False, length=16), default=StagedStatus.STAGED, index=True
    )
    staged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), default=None
    )
    staged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), default=None
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
