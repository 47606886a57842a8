"""Shapes of the content API."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class TranslationOut(BaseModel):
    language: str
    version: int
    text: str
    status: str
    machine_translated: bool
    minor_edit: bool
    source_hash: str | None = None
    """Hash of the German text this text was made from (compare with the German version's)."""


class SourceOut(BaseModel):
    title: str
    url: str | None = None


class ContentItemOut(BaseModel):
    key: str
    kind: str
    topic: str
    sources: list[SourceOut]
    as_of: date | None
    """When the facts were last checked (factual items only)."""
    review_by: date | None
    """When the facts must be checked again."""
    translations: list[TranslationOut]


class TextIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    minor_edit: bool = False
