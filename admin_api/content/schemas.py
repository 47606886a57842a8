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


class ContentItemOut(BaseModel):
    key: str
    kind: str
    topic: str
    sources: list[str]
    as_of: date
    translations: list[TranslationOut]


class TextIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    minor_edit: bool = False
