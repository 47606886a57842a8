"""Shapes of the interpreter requests API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, model_validator

from bot.interpreters.models import APPOINTMENTS, DIALECTS, MODES, NOTE_LIMIT, TEXT_LIMIT, InterpreterStatus

_DIALECTS = sorted({d for options in DIALECTS.values() for d in options})


def _one_of(values: tuple[str, ...] | list[str]) -> str:
    return "^(" + "|".join(values) + ")$"


class InterpreterRequestOut(BaseModel):
    id: int
    conversation: str = Field(description="The conversation's pseudonym.")
    case: int | None = Field(description="The conversation's newest case (handover), if any.")
    person_language: str = Field(description="The language the person writes in.")
    language: str = Field(description="Language code of the interpreter wanted, or the language as typed.")
    dialect: str
    appointment_type: str
    wishes: str = Field(description="Date/time wishes as the person typed them.")
    mode: str
    status: InterpreterStatus
    note_for_person: str | None
    summary: list[str] = Field(description="The request in German, line by line.")
    created_at: datetime
    updated_at: datetime
    updated_by: int | None


class InterpreterRequestPage(BaseModel):
    items: list[InterpreterRequestOut]
    total: int = Field(description="Requests with this filter (all pages).")
    limit: int
    offset: int


class InterpreterRequestIn(BaseModel):
    """A request a caseworker records on a case (e.g. asked for on the phone)."""

    language: str = Field(
        min_length=1, max_length=TEXT_LIMIT, description="A language code (ar) or its name."
    )
    dialect: str = Field(default="", pattern="^(" + "|".join(_DIALECTS) + ")?$")
    appointment_type: str = Field(pattern=_one_of(APPOINTMENTS))
    wishes: str = Field(default="", max_length=TEXT_LIMIT)
    mode: str = Field(pattern=_one_of(MODES))


class InterpreterDecisionIn(BaseModel):
    status: InterpreterStatus | None = Field(
        default=None, description="arranged/declined tells the person (once per change), in their language."
    )
    note: str | None = Field(
        default=None,
        max_length=NOTE_LIMIT,
        description="Short German note for the person, machine-translated; '' clears it.",
    )

    @model_validator(mode="after")
    def _something(self) -> InterpreterDecisionIn:
        if self.status is None and self.note is None:
            raise ValueError("give a status or a note")
        return self
