"""The content store: seeding from ``translations/``, reading the current text, editing.

The text served for (key, language) is the newest *reviewed* version in that language; if there is
none, the newest machine draft (marked as such); if there is none either, the fallback language's
text (``en``, then ``de``) with ``fallback=True`` so that the caller can say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import PROJECT_ROOT
from bot.content.models import ContentItem, ContentKind, ContentTranslation, TranslationStatus
from bot.language.languages import FALLBACK_LANGUAGE, LANGUAGES

TRANSLATIONS_DIR = PROJECT_ROOT / "translations"
CATALOG_FILE = "_catalog.yml"
FALLBACK_CHAIN = (FALLBACK_LANGUAGE, "de")


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """What ``_catalog.yml`` says of one key."""

    key: str
    kind: ContentKind
    topic: str
    sources: tuple[str, ...]
    as_of: date


@dataclass(frozen=True, slots=True)
class ResolvedText:
    """The text to serve for one key in one requested language."""

    key: str
    text: str
    language: str
    """Language of ``text`` (differs from the requested one when ``fallback``)."""
    kind: ContentKind
    topic: str
    sources: tuple[str, ...]
    as_of: date
    machine_translated: bool
    reviewed: bool
    fallback: bool


def load_catalog(directory: Path = TRANSLATIONS_DIR) -> dict[str, CatalogEntry]:
    """Parse ``_catalog.yml``."""
    raw: dict[str, Any] = yaml.safe_load((directory / CATALOG_FILE).read_text(encoding="utf-8"))
    default_as_of = date.fromisoformat(str(raw["as_of_default"]))
    entries: dict[str, CatalogEntry] = {}
    for key, item in raw["items"].items():
        as_of = item.get("as_of")
        entries[key] = CatalogEntry(
            key=key,
            kind=ContentKind(item["kind"]),
            topic=str(item["topic"]),
            sources=tuple(str(s) for s in item.get("sources", [])),
            as_of=date.fromisoformat(str(as_of)) if as_of else default_as_of,
        )
    return entries


def load_language_file(language: str, directory: Path = TRANSLATIONS_DIR) -> dict[str, str]:
    """Texts of one ``translations/<lang>.yml``; an absent file is an empty mapping."""
    path = directory / f"{language}.yml"
    if not path.exists():
        return {}
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    if raw.get("language") != language:
        raise ValueError(f"{path} declares language {raw.get('language')!r}, expected {language!r}")
    return {str(k): str(v).strip() for k, v in (raw.get("responses") or {}).items()}


@dataclass(frozen=True, slots=True)
class SeedReport:
    items_created: int
    items_updated: int
    translations_created: int


def seed(session: Session, *, directory: Path = TRANSLATIONS_DIR, update_texts: bool = False) -> SeedReport:
    """Load the catalogue and every language file into the store, idempotently.

    Item metadata (topic, sources, as-of date) always follows the catalogue. A text is added when the
    (item, language) has none yet; with ``update_texts`` a file text that differs from the newest
    version is added as a new reviewed version (admins' edits are otherwise never overwritten).
    """
    catalog = load_catalog(directory)
    items = {i.key: i for i in session.scalars(select(ContentItem))}
    created = updated = translations = 0
    for entry in catalog.values():
        item = items.get(entry.key)
        if item is None:
            item = ContentItem(
                key=entry.key,
                kind=entry.kind,
                topic=entry.topic,
                sources=list(entry.sources),
                as_of=entry.as_of,
            )
            session.add(item)
            items[entry.key] = item
            created += 1
        elif (item.kind, item.topic, list(item.sources), item.as_of) != (
            entry.kind,
            entry.topic,
            list(entry.sources),
            entry.as_of,
        ):
            item.kind, item.topic, item.sources, item.as_of = (
                entry.kind,
                entry.topic,
                list(entry.sources),
                entry.as_of,
            )
            updated += 1
    session.flush()

    latest = _latest_versions(session)
    for language in LANGUAGES:
        for key, text in load_language_file(language, directory).items():
            if key not in items:
                raise ValueError(f"translations/{language}.yml has key {key!r} that is not in the catalogue")
            current = latest.get((items[key].id, language))
            if current is not None and (not update_texts or current.text == text):
                continue
            session.add(
                ContentTranslation(
                    item_id=items[key].id,
                    language=language,
                    version=(current.version + 1) if current else 1,
                    text=text,
                    status=TranslationStatus.REVIEWED,
                    machine_translated=False,
                    origin="seed",
                )
            )
            translations += 1
    session.flush()
    return SeedReport(created, updated, translations)


def _latest_versions(session: Session) -> dict[tuple[int, str], ContentTranslation]:
    newest = (
        select(
            ContentTranslation.item_id,
            ContentTranslation.language,
            func.max(ContentTranslation.version).label("version"),
        )
        .group_by(ContentTranslation.item_id, ContentTranslation.language)
        .subquery()
    )
    rows = session.scalars(
        select(ContentTranslation).join(
            newest,
            (ContentTranslation.item_id == newest.c.item_id)
            & (ContentTranslation.language == newest.c.language)
            & (ContentTranslation.version == newest.c.version),
        )
    )
    return {(t.item_id, t.language): t for t in rows}


def resolve(session: Session, *, key: str, language: str) -> ResolvedText | None:
    """The text to serve for ``key`` in ``language`` (see the module docstring), or None if unknown."""
    item = session.scalar(select(ContentItem).where(ContentItem.key == key))
    if item is None:
        return None
    chain = [language, *(lang for lang in FALLBACK_CHAIN if lang != language)]
    rows = session.scalars(
        select(ContentTranslation)
        .where(ContentTranslation.item_id == item.id, ContentTranslation.language.in_(chain))
        .order_by(ContentTranslation.version.desc())
    ).all()
    for lang in chain:
        versions = [t for t in rows if t.language == lang and t.text.strip()]
        chosen = next((t for t in versions if t.status == TranslationStatus.REVIEWED), None)
        if chosen is None and versions:
            chosen = versions[0]
        if chosen is not None:
            return ResolvedText(
                key=key,
                text=chosen.text,
                language=lang,
                kind=item.kind,
                topic=item.topic,
                sources=tuple(item.sources),
                as_of=item.as_of,
                machine_translated=chosen.machine_translated,
                reviewed=chosen.status == TranslationStatus.REVIEWED,
                fallback=lang != language,
            )
    return None


def set_text(
    session: Session,
    *,
    key: str,
    language: str,
    text: str,
    origin: str,
    minor_edit: bool = False,
    machine_translated: bool = False,
) -> ContentTranslation:
    """Add a new version of a text; it is served from the next message on (no retraining)."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    if not text.strip():
        raise ValueError("text must not be empty")
    item = session.scalar(select(ContentItem).where(ContentItem.key == key))
    if item is None:
        raise KeyError(key)
    current = session.scalar(
        select(func.max(ContentTranslation.version)).where(
            ContentTranslation.item_id == item.id, ContentTranslation.language == language
        )
    )
    row = ContentTranslation(
        item_id=item.id,
        language=language,
        version=(current or 0) + 1,
        text=text.strip(),
        status=TranslationStatus.DRAFT if machine_translated else TranslationStatus.REVIEWED,
        machine_translated=machine_translated,
        minor_edit=minor_edit,
        origin=origin,
    )
    session.add(row)
    session.flush()
    return row
