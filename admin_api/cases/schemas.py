"""Shapes of the cases API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class CaseOut(BaseModel):
    id: int
    conversation: str
    reason: str
    topic: str | None
    urgency: int
    language: str
    status: str
    claimed_by: int | None
    created_at: datetime
    waiting_s: float
    overdue: bool
    outcome: str | None


class CaseMessage(BaseModel):
    id: int
    direction: str
    text: str
    language: str | None
    at: datetime
    from_caseworker: bool
    german: str | None = Field(
        default=None, description="German side: machine translation of a person's message."
    )
    machine_translated: bool = False
    engine: str | None = None
    original: str | None = Field(
        default=None, description="The caseworker's German original of a translated reply."
    )


class NoteOut(BaseModel):
    id: int
    staff_user_id: int | None
    text: str
    at: datetime


class CaseDetail(CaseOut):
    translation_available: bool
    needs_interpreter: bool
    transcript: list[dict[str, Any]]
    messages: list[CaseMessage]
    facts: dict[str, Any]
    notes: list[NoteOut]


class TextIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000, description="The caseworker's text in German.")
    translate: bool = Field(default=True, description="Machine-translate into the person's language.")
    translated_text: str | None = Field(
        default=None, max_length=6000, description="An edited translation to send instead of the machine's."
    )


class TranslationPreview(BaseModel):
    text: str
    language: str
    translation: str | None
    engine: str | None
    unavailable_reason: str | None


class AssignIn(BaseModel):
    staff_id: int = Field(ge=1, le=2_147_483_647)


class CloseIn(BaseModel):
    outcome: str = Field(min_length=1, max_length=64)


class AuditOut(BaseModel):
    id: int
    staff_user_id: int | None
    action: str
    handover_id: int | None
    detail: dict[str, Any]
    at: datetime
