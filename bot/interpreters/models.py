"""An interpreter request of a person (personal data: erased with the conversation)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime, utcnow

OTHER = "other"
LANGUAGES = ("en", "ar", "fa", "uk", "ru", "tr", "fr", "ps", "ti", "so", "ku")
"""Lotse's languages an interpreter can be asked for (German is the language of the appointment)."""
DIALECTS = {
    "ar": ("levantine", "iraqi", "egyptian", "gulf", "maghrebi", OTHER),
    "fa": ("farsi", "dari"),
    "ku": ("kurmanji", "sorani", OTHER),
}
APPOINTMENTS = ("authority", "jobcenter", "doctor", "school", "court", OTHER)
MODES = ("in_person", "phone", "video")
TEXT_LIMIT = 200
NOTE_LIMIT = 500


class InterpreterStatus(enum.StrEnum):
    OPEN = "open"
    ARRANGED = "arranged"
    DECLINED = "declined"


class InterpreterRequest(Base):
    __tablename__ = "interpreter_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(
        String(TEXT_LIMIT), doc="A language code, or the language as typed."
    )
    dialect: Mapped[str] = mapped_column(String(32), default="")
    appointment_type: Mapped[str] = mapped_column(String(32))
    wishes: Mapped[str] = mapped_column(String(TEXT_LIMIT), default="", doc="Date/time wishes as typed.")
    mode: Mapped[str] = mapped_column(String(16))
    status: Mapped[InterpreterStatus] = mapped_column(
        Enum(InterpreterStatus, native_enum=False, length=16), default=InterpreterStatus.OPEN, index=True
    )
    note_for_person: Mapped[str | None] = mapped_column(String(NOTE_LIMIT), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), default=None
    )
