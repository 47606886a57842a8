"""Shapes of the cases API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from admin_api.profiles.schemas import EducationProfileOut


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


class CasePage(BaseModel):
    """One page of a queue view; ``total`` and ``waiting`` always count everything, not just the page."""

    items: list[CaseOut]
    total: int = Field(description="Cases in this view with its filters (all pages).")
    waiting: int = Field(description="All waiting (unclaimed open) cases, whatever the view and filters.")
    limit: int
    offset: int


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
    canned_key: str | None = Field(default=None, description="The canned reply this message was sent from.")
    non_text: str | None = Field(
        default=None, description="The person sent something unreadable here (voice, photo, document)."
    )
    translation_pending: bool = Field(
        default=False, description="The German translation is still being made in the background."
    )


class NoteOut(BaseModel):
    id: int
    staff_user_id: int | None
    text: str
    at: datetime


class CaseFacts(BaseModel):
    """What the assistant collected before the handover (computed from the stored conversation)."""

    model_config = ConfigDict(from_attributes=True)

    language: str
    language_source: str = Field(description="explicit (chosen by the person), detected or default")
    channel: str
    first_contact_at: datetime
    handed_over_at: datetime
    questions_before_handover: int
    answers_before_handover: int
    messages_since_handover: int
    topics: list[str] = Field(description="Topics the assistant answered before the handover.")
    answered: list[str] = Field(description="Content keys the assistant answered with before the handover.")
    intents: list[str] = Field(description="Intents the person asked, in order, without repeats.")
    last_intent: str | None
    sent_non_text: bool = Field(description="The person tried to send a voice message, photo or file.")
    overdue: bool
    next_step: str = Field(description="Suggested next step for the caseworker (German).")
    guided: list[str] = Field(
        default_factory=list,
        description="What the person answered in the guided flows (deadline helper, family check), German.",
    )


class OfficeOut(BaseModel):
    hours: str
    timezone: str
    open: bool
    closes_at: datetime | None
    next_opening: datetime


class CaseDetail(CaseOut):
    translation_available: bool
    needs_interpreter: bool
    transcript: list[dict[str, Any]]
    messages: list[CaseMessage]
    facts: dict[str, Any] = Field(
        description="What was recorded with the handover (last intent, interpreter)."
    )
    summary: CaseFacts
    office: OfficeOut
    notes: list[NoteOut]
    education_profile: EducationProfileOut | None = Field(
        default=None, description="The person's education profile (stored with consent), German labels."
    )


class CannedOut(BaseModel):
    key: str
    german: str = Field(description="The German text (what the caseworker reads).")
    language: str
    text: str | None = Field(description="The curated text in the case's language; null when missing.")
    state: str = Field(description="reviewed, machine_draft (sent marked as machine-translated) or missing")


class TextIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class ReplyIn(BaseModel):
    text: str | None = Field(
        default=None,
        min_length=1,
        max_length=4000,
        description="The caseworker's text in German (with canned_key: optional, must be the canned German).",
    )
    translate: bool = Field(default=True, description="Machine-translate into the person's language.")
    translated_text: str | None = Field(
        default=None, max_length=6000, description="An edited translation to send instead of the machine's."
    )
    canned_key: str | None = Field(
        default=None,
        max_length=128,
        pattern=r"^canned_[a-z0-9_]+$",
        description="Send this canned reply: the person gets its curated text in their language.",
    )

    @model_validator(mode="after")
    def _text_or_canned(self) -> ReplyIn:
        if self.text is None and self.canned_key is None:
            raise ValueError("text or canned_key is required")
        if self.canned_key is not None and self.translated_text:
            raise ValueError("a canned reply is sent with its curated text, not with translated_text")
        return self


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
    username: str | None = Field(
        default=None, description="The acting account (null: none, e.g. an unknown login)."
    )
    action: str
    handover_id: int | None
    detail: dict[str, Any]
    at: datetime
