"""The education profile: answers of the ``education`` flow, stored only with the person's consent.

One row per conversation; erased with it (``ON DELETE CASCADE``) and deleted when the person
withdraws consent ("delete my profile"). Answers are enum-like values (``bot.guided.education``);
a skipped question is NULL. The two free-text fields are kept as typed, nothing else is free text.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime, utcnow

FREE_TEXT_LENGTH = 200


class EducationProfile(Base):
    __tablename__ = "education_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), unique=True
    )
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime(), doc="When the person agreed to storing.")
    school_years: Mapped[str | None] = mapped_column(String(16), default=None)
    certificate: Mapped[str | None] = mapped_column(String(32), default=None)
    certificate_country: Mapped[str | None] = mapped_column(String(FREE_TEXT_LENGTH), default=None)
    field: Mapped[str | None] = mapped_column(String(32), default=None, doc="Field of training or degree.")
    level: Mapped[str | None] = mapped_column(String(32), default=None)
    finished: Mapped[str | None] = mapped_column(String(8), default=None)
    documents: Mapped[str | None] = mapped_column(String(8), default=None)
    occupation: Mapped[str | None] = mapped_column(
        String(32), default=None, doc="Category of work experience."
    )
    work_years: Mapped[str | None] = mapped_column(String(8), default=None)
    german: Mapped[str | None] = mapped_column(String(8), default=None)
    german_certificate: Mapped[str | None] = mapped_column(String(8), default=None)
    other_languages: Mapped[str | None] = mapped_column(String(FREE_TEXT_LENGTH), default=None)
    goal: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
