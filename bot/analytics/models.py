"""Recurring questions for the authority's analysis: redacted, with no link to a person."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class QuestionLog(Base):
    """One incoming question, personal data redacted, no conversation id, day precision only."""

    __tablename__ = "question_log"
    __table_args__ = (Index("ix_question_log_lang_topic", "language", "topic"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(8))
    text_redacted: Mapped[str] = mapped_column(Text)
    normalized: Mapped[str] = mapped_column(
        String(512), index=True, doc="Lower-cased, folded key for counting."
    )
    intent: Mapped[str | None] = mapped_column(String(128), default=None)
    confidence: Mapped[float | None] = mapped_column(Float, default=None)
    answered: Mapped[bool] = mapped_column(Boolean)
    topic: Mapped[str] = mapped_column(String(32))
    content_key: Mapped[str | None] = mapped_column(String(128), default=None)
    district: Mapped[str | None] = mapped_column(
        String(64), default=None, doc="Coarse region: the district the person named (bot.directory), if any."
    )
