"""The administrators' content console: overview with filters, one item's texts and history,
restoring an old version, new FAQ items. Every change goes through ``bot.content.service.set_text``
(a new version, served from the next message on) and is audited by the router."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_api.review.service import store_report
from bot.content.models import ContentItem, ContentKind, ContentTranslation
from bot.content.review import SOURCE_LANGUAGE, ItemStatus, ReviewState
from bot.content.service import CATALOG_FILE, TRANSLATIONS_DIR, Source, set_text

FAQ_KEY = re.compile(r"^utter_faq_[a-z]+/[a-z0-9_]{2,60}$")
"""Keys of factual answers: ``utter_faq_<intent group>/<name>`` (Rasa's retrieval response)."""
STATES = [s.value for s in ReviewState]


@lru_cache(maxsize=4)
def _catalog_raw(path: Path, mtime: float) -> dict[str, dict[str, Any]]:
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return dict(raw.get("items") or {})


def catalog_items(directory: Path = TRANSLATIONS_DIR) -> dict[str, dict[str, Any]]:
    """The raw entries of ``_catalog.yml`` (for the brief and for "is it in the model's domain")."""
    path = directory / CATALOG_FILE
    return _catalog_raw(path, path.stat().st_mtime)


def needs_retraining(key: str) -> bool:
    """A factual item that is not in the catalogue is not a response Rasa knows: the model must be
    trained again (with examples for it) before the NLU can select it as an answer."""
    return key.startswith("utter_faq_") and key not in catalog_items()


# ---------------------------------------------------------------------- the overview


@dataclass(frozen=True, slots=True)
class ListRow:
    status: ItemStatus
    last_editor: str
    last_edit: datetime | None


def overview(
    session: Session,
    *,
    today: date,
    topic: str | None = None,
    language: str | None = None,
    state: str | None = None,
) -> list[ListRow]:
    """Every item with its review state per language, overdue first, then by review date and key.

    ``state`` is one of the review states or ``overdue``; with ``language`` it is that language's state.
    """
    report = store_report(session, today=today)
    newest: dict[str, tuple[datetime, str]] = {}
    rows = session.execute(
        select(
            ContentItem.key,
            ContentTranslation.created_at,
            ContentTranslation.edited_by,
            ContentTranslation.origin,
        ).join(ContentTranslation, ContentTranslation.item_id == ContentItem.id)
    )
    for key, created, editor, origin in rows:
        if key not in newest or created > newest[key][0]:
            newest[key] = (created, editor or origin)
    out: list[ListRow] = []
    for item in report.items:
        if topic and item.topic != topic:
            continue
        if language and language not in item.languages:
            continue
        if state == "overdue":
            if not item.overdue:
                continue
        elif state:
            states = [item.languages[language]] if language else list(item.languages.values())
            if state not in states:
                continue
        last = newest.get(item.key)
        out.append(ListRow(item, last[1] if last else "", last[0] if last else None))
    out.sort(key=lambda r: (not r.status.overdue, r.status.review_by or date.max, r.status.key))
    return out


# ---------------------------------------------------------------------- one item


@dataclass(frozen=True, slots=True)
class Version:
    row: ContentTranslation
    diff: list[tuple[str, str]]
    """Lines of the change from the previous version: (``add``|``del``|``same``|``hunk``, text)."""


@dataclass(slots=True)
class ItemView:
    item: ContentItem
    brief: str
    sources: list[Source]
    states: dict[str, str]
    overdue: bool
    texts: dict[str, ContentTranslation] = field(default_factory=dict)
    """Newest version per language."""
    history: list[Version] = field(default_factory=list)
    """Versions of the selected language, newest first."""
    retrain: bool = False


def text_diff(old: str, new: str) -> list[tuple[str, str]]:
    """A line diff of two texts (difflib), for the history."""
    lines: list[tuple[str, str]] = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(("hunk", line))
        elif line.startswith("+"):
            lines.append(("add", line[1:]))
        elif line.startswith("-"):
            lines.append(("del", line[1:]))
        else:
            lines.append(("same", line[1:]))
    return lines


def item_view(session: Session, *, key: str, language: str, today: date) -> ItemView | None:
    item = session.scalar(select(ContentItem).where(ContentItem.key == key))
    if item is None:
        return None
    report = store_report(session, today=today)
    status = next((i for i in report.items if i.key == key), None)
    versions = sorted(item.translations, key=lambda t: (t.language, t.version))
    texts = {t.language: t for t in versions}
    own = [t for t in versions if t.language == language]
    history = [
        Version(
            t, text_diff(own[n - 1].text, t.text) if n else [("add", line) for line in t.text.splitlines()]
        )
        for n, t in enumerate(own)
    ]
    entry = catalog_items().get(key) or {}
    return ItemView(
        item=item,
        brief=str(entry.get("brief") or "").strip(),
        sources=[Source.from_data(s) for s in item.sources],
        states={lang: s.value for lang, s in status.languages.items()} if status else {},
        overdue=bool(status and status.overdue),
        texts=texts,
        history=list(reversed(history)),
        retrain=needs_retraining(key),
    )


def restore(session: Session, *, key: str, language: str, version: int, editor: str) -> ContentTranslation:
    """A new version with the text of an old one (the old row stays as it was). ``KeyError`` when the
    key or the version does not exist."""
    item = session.scalar(select(ContentItem).where(ContentItem.key == key))
    if item is None:
        raise KeyError(key)
    old = session.scalar(
        select(ContentTranslation).where(
            ContentTranslation.item_id == item.id,
            ContentTranslation.language == language,
            ContentTranslation.version == version,
        )
    )
    if old is None:
        raise KeyError(f"{key} [{language}] v{version}")
    return set_text(
        session,
        key=key,
        language=language,
        text=old.text,
        origin=f"restore:v{version}",
        minor_edit=old.minor_edit,
        machine_translated=old.machine_translated,
        edited_by=editor,
    )


def missing_languages(session: Session, key: str) -> list[str]:
    """Languages (of those Lotse speaks) in which ``key`` has no text at all."""
    from bot.language.languages import LANGUAGES

    item = session.scalar(select(ContentItem).where(ContentItem.key == key))
    if item is None:
        raise KeyError(key)
    have = {t.language for t in item.translations}
    return [code for code in LANGUAGES if code not in have]


def create_faq_item(
    session: Session,
    *,
    key: str,
    topic: str,
    sources: list[Source],
    text: str,
    as_of: date,
    review_by: date,
    editor: str,
) -> ContentItem:
    """A new factual item with its German text. ``ValueError`` when the key exists."""
    if session.scalar(select(ContentItem.id).where(ContentItem.key == key)) is not None:
        raise ValueError(f"{key} exists")
    item = ContentItem(
        key=key,
        kind=ContentKind.FAQ,
        topic=topic,
        sources=[s.as_data() for s in sources],
        as_of=as_of,
        review_by=review_by,
    )
    session.add(item)
    session.flush()
    set_text(session, key=key, language=SOURCE_LANGUAGE, text=text, origin="console", edited_by=editor)
    return item
