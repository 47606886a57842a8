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
    edited_by: str | None = None
    """Username of the staff member who wrote this version (None: seed, command line)."""


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


class PreviewOut(BaseModel):
    """A draft text rendered as the person would get it (nothing is stored)."""

    key: str
    language: str
    text: str
    """The whole answer: the text, and for factual answers sources, "as of" date and disclaimer."""
    buttons: list[dict[str, str]]


class RestoreIn(BaseModel):
    version: int = Field(ge=1, le=1_000_000)
    """The old version whose text becomes the newest version."""


class DraftsIn(BaseModel):
    languages: list[str] | None = Field(default=None, max_length=20)
    """Languages to draft; default: every language the item has no text in."""


class DraftOut(BaseModel):
    language: str
    status: str
    """``written``, ``reviewed-exists`` or ``no-model``."""
    detail: str = ""
    version: int | None = None


class DraftsOut(BaseModel):
    drafts: list[DraftOut]
    no_model: bool
    """True when no language could be drafted because no translation model is installed."""
    message: str


class NewItemIn(BaseModel):
    key: str = Field(min_length=12, max_length=128, pattern=r"^utter_faq_[a-z]+/[a-z0-9_]{2,60}$")
    """``utter_faq_<group>/<name>``, the Rasa retrieval response the model will select."""
    topic: str = Field(max_length=32)
    sources: list[SourceOut] = Field(min_length=1, max_length=20)
    text: str = Field(min_length=1, max_length=4000)
    """The German text."""
    as_of: date | None = None
    """Default: today."""
    review_by: date | None = None
    """Default: six months after ``as_of``."""


class NewItemOut(BaseModel):
    item: ContentItemOut
    retrain_needed: bool
    notice: str
