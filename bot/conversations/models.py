"""Conversations and the messages in them (personal data: removed on deletion)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db import Base, UTCDateTime, utcnow


class LanguageSource(enum.StrEnum):
    """Where the conversation's language came from; an explicit choice wins."""

    DEFAULT = "default"
    DETECTED = "detected"
    EXPLICIT = "explicit"


class ConversationState(enum.StrEnum):
    """Whether the assistant or a person answers."""

    BOT = "bot"
    HANDOVER = "handover"


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


class MessageStatus(enum.StrEnum):
    """Life of a message.

    Incoming: received -> processing -> answered | deferred (assistant unavailable, retried) |
    human (kept for a caseworker). Outgoing: pending -> delivered | failed.
    """

    RECEIVED = "received"
    PROCESSING = "processing"
    ANSWERED = "answered"
    DEFERRED = "deferred"
    HUMAN = "human"
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class Conversation(Base):
    """One person on one channel.

    ``pseudonym`` is a keyed hash of (channel, channel user id): it is the Rasa sender id and the
    only id used in logs, analytics and the API.
    """

    __tablename__ = "conversations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    channel: Mapped[str] = mapped_column(String(32))
    channel_address: Mapped[str | None] = mapped_column(
        String(128), default=None, doc="What the channel needs to reply (e.g. a Telegram chat id)."
    )
    language: Mapped[str] = mapped_column(String(8))
    language_source: Mapped[LanguageSource] = mapped_column(
        Enum(LanguageSource, native_enum=False, length=16), default=LanguageSource.DEFAULT
    )
    state: Mapped[ConversationState] = mapped_column(
        Enum(ConversationState, native_enum=False, length=16), default=ConversationState.BOT
    )
    district: Mapped[str | None] = mapped_column(
        String(64), default=None, doc="Where the person lives (a district key of bot.directory), if told."
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Message.id",
    )


class Message(Base):
    """A message in or out. Incoming ones are stored before they are processed."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "direction", "external_id"),
        Index("ix_messages_status_direction", "status", "direction"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[Direction] = mapped_column(Enum(Direction, native_enum=False, length=8))
    external_id: Mapped[str | None] = mapped_column(
        String(128), default=None, doc="The channel's id of an incoming message: duplicates are ignored."
    )
    text: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    status: Mapped[MessageStatus] = mapped_column(Enum(MessageStatus, native_enum=False, length=16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), default=None, index=True
    )
    # analysis of incoming messages
    intent: Mapped[str | None] = mapped_column(String(128), default=None)
    confidence: Mapped[float | None] = mapped_column(Float, default=None)
    # outgoing: which content item answered, and how it should look
    content_key: Mapped[str | None] = mapped_column(String(128), default=None)
    topic: Mapped[str | None] = mapped_column(String(32), default=None)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # incoming, not German: the machine translation for caseworkers, made once in the background
    # (bot.translation.backlog) and read by the case page; german_at is set once it was tried
    german_text: Mapped[str | None] = mapped_column(Text, default=None)
    german_engine: Mapped[str | None] = mapped_column(String(64), default=None)
    german_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
