"""The content store: seeding from ``translations/``, reading the current text, editing.

The text served for (key, language) is the newest *reviewed* version in that language; if there is
none, the newest machine draft (marked as such); if there is none either, the fallback language's
text (``en``, then ``de``) with ``fallback=True`` so that the caller can say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import PROJECT_ROOT
from bot.content.facts import KeyFacts
from bot.content.models import ContentItem, ContentKind, ContentTranslation, TranslationStatus
from bot.content.status_file import StatusData, load_status, text_hash
from bot.language.languages import FALLBACK_LANGUAGE, LANGUAGES

TRANSLATIONS_DIR = PROJECT_ROOT / "translations"
CATALOG_FILE = "_catalog.yml"
FALLBACK_CHAIN = (FALLBACK_LANGUAGE, "de")
SOURCE_LANGUAGE = "de"
"""Every translation is made from, and checked against, the German text."""


LAW_HOSTS = ("www.gesetze-im-internet.de", "eur-lex.europa.eu", "curia.europa.eu")
"""Sources on these hosts are legal texts: the answer names the title (the paragraph), not the link."""


@dataclass(frozen=True, slots=True)
class Source:
    """A source an answer names: a title and, where one exists, a public URL."""

    title: str
    url: str | None = None

    @classmethod
    def from_data(cls, raw: object) -> Source:
        """From the catalogue or the database: ``{title, url}`` (a plain string is a title)."""
        if isinstance(raw, str):
            return cls(title=raw)
        if isinstance(raw, dict) and str(raw.get("title") or "").strip():
            url = raw.get("url")
            return cls(title=str(raw["title"]).strip(), url=str(url).strip() if url else None)
        raise ValueError(f"a source needs a title: {raw!r}")

    def as_data(self) -> dict[str, str]:
        return {"title": self.title, "url": self.url} if self.url else {"title": self.title}

    def label(self) -> str:
        """How an answer names it: a legal text by its title, a web page by its URL and title."""
        if not self.url or self.url.split("/")[2] in LAW_HOSTS:
            return self.title
        host = self.url.split("/")[2].removeprefix("www.")
        return self.url if self.title in (host, self.url) else f"{self.url} ({self.title})"


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """What ``_catalog.yml`` says of one key."""

    key: str
    kind: ContentKind
    topic: str
    sources: tuple[Source, ...]
    as_of: date | None
    """The day the item's facts were last checked against its sources (factual answers only)."""
    review_by: date | None
    """The day the facts must be checked again; afterwards answers tell people to confirm them."""
    key_facts: KeyFacts = field(default_factory=KeyFacts)


@dataclass(frozen=True, slots=True)
class ResolvedText:
    """The text to serve for one key in one requested language."""

    key: str
    text: str
    language: str
    """Language of ``text`` (differs from the requested one when ``fallback``)."""
    kind: ContentKind
    topic: str
    sources: tuple[Source, ...]
    as_of: date | None
    review_by: date | None
    machine_translated: bool
    reviewed: bool
    fallback: bool


def _date(value: object) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def load_catalog(directory: Path = TRANSLATIONS_DIR) -> dict[str, CatalogEntry]:
    """Parse ``_catalog.yml``; a factual item without ``as_of`` or ``review_by`` is an error."""
    raw: dict[str, Any] = yaml.safe_load((directory / CATALOG_FILE).read_text(encoding="utf-8"))
    entries: dict[str, CatalogEntry] = {}
    for key, item in raw["items"].items():
        entry = CatalogEntry(
            key=key,
            kind=ContentKind(item["kind"]),
            topic=str(item["topic"]),
            sources=tuple(Source.from_data(s) for s in item.get("sources", [])),
            as_of=_date(item.get("as_of")),
            review_by=_date(item.get("review_by")),
            key_facts=KeyFacts.from_yaml(item.get("key_facts")),
        )
        if entry.kind == ContentKind.FAQ and (entry.as_of is None or entry.review_by is None):
            raise ValueError(f"{CATALOG_FILE}: factual item {key!r} needs as_of and review_by")
        entries[key] = entry
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


def _item_metadata(entry: CatalogEntry) -> tuple[object, ...]:
    return (entry.kind, entry.topic, [src.as_data() for src in entry.sources], entry.as_of, entry.review_by)


def _sync_item(item: ContentItem, entry: CatalogEntry) -> bool:
    """Make the item's metadata follow the catalogue; True when something changed."""
    current = (item.kind, item.topic, list(item.sources), item.as_of, item.review_by)
    wanted = _item_metadata(entry)
    if current == wanted:
        return False
    item.kind, item.topic, item.sources, item.as_of, item.review_by = (
        entry.kind,
        entry.topic,
        [src.as_data() for src in entry.sources],
        entry.as_of,
        entry.review_by,
    )
    return True


def _file_review(status: StatusData, key: str, language: str, text: str) -> tuple[str | None, bool]:
    """(source hash, machine draft) of a file text: German is its own source; others per ``_status.yml``."""
    if language == SOURCE_LANGUAGE:
        return text_hash(text), False
    record = status.get(key, {}).get(language)
    return (record.source, record.machine) if record else (None, False)


def seed(session: Session, *, directory: Path = TRANSLATIONS_DIR, update_texts: bool = False) -> SeedReport:
    """Load the catalogue and every language file into the store, idempotently.

    Item metadata (topic, sources, as-of and review dates) always follows the catalogue. A text is
    added when the (item, language) has none yet; with ``update_texts`` a file text that differs from
    the newest version is added as a new version (admins' edits are otherwise never overwritten). The
    review record of ``_status.yml`` (source hash, machine draft) follows the file text.
    """
    catalog = load_catalog(directory)
    status = load_status(directory)
    items = {i.key: i for i in session.scalars(select(ContentItem))}
    created = updated = translations = 0
    for entry in catalog.values():
        item = items.get(entry.key)
        if item is None:
            item = ContentItem(key=entry.key, kind=entry.kind, topic=entry.topic, sources=[])
            _sync_item(item, entry)
            session.add(item)
            items[entry.key] = item
            created += 1
        elif _sync_item(item, entry):
            updated += 1
    session.flush()

    latest = _latest_versions(session)
    for language in LANGUAGES:
        for key, text in load_language_file(language, directory).items():
            if key not in items:
                raise ValueError(f"translations/{language}.yml has key {key!r} that is not in the catalogue")
            source_hash, machine = _file_review(status, key, language, text)
            current = latest.get((items[key].id, language))
            if current is not None and current.text == text:
                if source_hash is not None and current.source_hash != source_hash:
                    current.source_hash = source_hash
                continue
            if current is not None and not update_texts:
                continue
            session.add(
                ContentTranslation(
                    item_id=items[key].id,
                    language=language,
                    version=(current.version + 1) if current else 1,
                    text=text,
                    status=TranslationStatus.DRAFT if machine else TranslationStatus.REVIEWED,
                    machine_translated=machine,
                    origin="seed",
                    source_hash=source_hash,
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
                sources=tuple(Source.from_data(src) for src in item.sources),
                as_of=item.as_of,
                review_by=item.review_by,
                machine_translated=chosen.machine_translated,
                reviewed=chosen.status == TranslationStatus.REVIEWED,
                fallback=lang != language,
            )
    return None


def source_text(session: Session, item_id: int) -> str | None:
    """The German text translations of an item are made from: its newest reviewed version (or draft)."""
    rows = session.scalars(
        select(ContentTranslation)
        .where(ContentTranslation.item_id == item_id, ContentTranslation.language == SOURCE_LANGUAGE)
        .order_by(ContentTranslation.version.desc())
    ).all()
    chosen = next((t for t in rows if t.status == TranslationStatus.REVIEWED), rows[0] if rows else None)
    return chosen.text if chosen else None


def _carry_minor_edit(session: Session, item_id: int, *, old_hash: str | None, new_hash: str) -> None:
    """A minor edit of the German text (typo, punctuation) does not make its translations outdated."""
    if old_hash is None:
        return
    for (row_item, language), row in _latest_versions(session).items():
        if row_item == item_id and language != SOURCE_LANGUAGE and row.source_hash == old_hash:
            row.source_hash = new_hash


def set_text(
    session: Session,
    *,
    key: str,
    language: str,
    text: str,
    origin: str,
    minor_edit: bool = False,
    machine_translated: bool = False,
    edited_by: str | None = None,
) -> ContentTranslation:
    """Add a new version of a text; it is served from the next message on (no retraining).

    A translation is recorded as made from the current German text. A new German text makes the
    other languages outdated, unless it is a ``minor_edit``. ``edited_by`` names the staff member.
    """
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
    german = source_text(session, item.id)
    german_hash = text_hash(german) if german is not None else None
    row = ContentTranslation(
        item_id=item.id,
        language=language,
        version=(current or 0) + 1,
        text=text.strip(),
        status=TranslationStatus.DRAFT if machine_translated else TranslationStatus.REVIEWED,
        machine_translated=machine_translated,
        minor_edit=minor_edit,
        origin=origin,
        source_hash=text_hash(text) if language == SOURCE_LANGUAGE else german_hash,
        edited_by=edited_by,
    )
    session.add(row)
    session.flush()
    if language == SOURCE_LANGUAGE and minor_edit and row.source_hash:
        _carry_minor_edit(session, item.id, old_hash=german_hash, new_hash=row.source_hash)
        session.flush()
    return row
