"""Content items and their translations, one row per (item, language, version).

Modelled on Integreat CMS: every edit is a new version with a status, a machine-translated flag
and a minor-edit flag, so that outdated translations stay visible.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db import Base, UTCDateTime, utcnow


class ContentKind(enum.StrEnum):
    FAQ = "faq"
    FIXED = "fixed"
    META = "meta"


class TranslationStatus(enum.StrEnum):
    """``reviewed`` texts are served as they are; ``draft`` ones (machine drafts) are marked."""

    REVIEWED = "reviewed"
    DRAFT = "draft"


class ContentItem(Base):
    """A response key with what is the same in every language."""

    __tablename__ = "content_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True, index=True)
    kind: Mapped[ContentKind] = mapped_column(Enum(ContentKind, native_enum=False, length=16))
    topic: Mapped[str] = mapped_column(String(32))
    sources: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list, doc="[{title, url?}, ...]")
    as_of: Mapped[date | None] = mapped_column(Date, doc="When the facts were last checked (factual items).")
    review_by: Mapped[date | None] = mapped_column(Date, doc="When the facts must be checked again.")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    translations: Mapped[list[ContentTranslation]] = relationship(
        back_populates="item", cascade="all, delete-orphan", passive_deletes=True
    )


class ContentTranslation(Base):
    """One version of an item's text in one language."""

    __tablename__ = "content_translations"
    __table_args__ = (UniqueConstraint("item_id", "language", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("content_items.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[TranslationStatus] = mapped_column(Enum(TranslationStatus, native_enum=False, length=16))
    machine_translated: Mapped[bool] = mapped_column(Boolean, default=False)
    minor_edit: Mapped[bool] = mapped_column(Boolean, default=False)
    origin: Mapped[str] = mapped_column(String(32), default="seed", doc="seed | cli | api | mt:<engine>")
    source_hash: Mapped[str | None] = mapped_column(
        String(16),
        doc="Hash of the German text this text was made from or checked against (outdated if it differs).",
    )
    edited_by: Mapped[str | None] = mapped_column(
        String(64),
        default=None,
        doc="Username of the staff member who wrote this version (admin console/API).",
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    item: Mapped[ContentItem] = relationship(back_populates="translations")
