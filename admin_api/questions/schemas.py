"""Shapes of the questions report."""

from __future__ import annotations

from pydantic import BaseModel


class AnswerCountOut(BaseModel):
    content_key: str
    language: str
    topic: str
    count: int


class QuestionCountOut(BaseModel):
    question: str
    """Redacted text (personal data removed before it was stored)."""
    language: str
    topic: str
    count: int


class DistrictCountOut(BaseModel):
    district: str | None
    """District key (bot.directory); null for questions of people who named no place."""
    count: int


class QuestionsReportOut(BaseModel):
    answers: list[AnswerCountOut]
    questions: list[QuestionCountOut]
    unanswered: list[QuestionCountOut]
    districts: list[DistrictCountOut]
    """Questions per district (with the language and topic filters, not the district filter)."""
