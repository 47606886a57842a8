"""Shapes of the content review API."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class ReviewItemOut(BaseModel):
    key: str
    kind: str
    topic: str
    as_of: date | None
    review_by: date | None
    overdue: bool
    languages: dict[str, str]
    """Per language: ``reviewed``, ``machine draft``, ``outdated`` or ``missing``."""


class ReviewReportOut(BaseModel):
    today: date
    outdated: int
    overdue: int
    missing: int
    machine_draft: int
    reviewed: int
    items: list[ReviewItemOut]
    """Items that need attention (all items with ``?all=true``)."""


class MarkedOut(BaseModel):
    key: str
    language: str
    version: int
    source_hash: str
