"""The review status of the texts in the database, and marking a served text as reviewed."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.content.models import ContentItem, ContentTranslation, TranslationStatus
from bot.content.review import SOURCE_LANGUAGE, StatusReport, TextRecord, build_report
from bot.content.service import CatalogEntry, Source, source_text
from bot.content.status_file import text_hash


def _served(rows: list[ContentTranslation]) -> ContentTranslation | None:
    """The version the store serves: the newest reviewed one, else the newest draft."""
    ordered = sorted(rows, key=lambda t: -t.version)
    return next(
        (t for t in ordered if t.status == TranslationStatus.REVIEWED), ordered[0] if ordered else None
    )


def _entry(item: ContentItem) -> CatalogEntry:
    return CatalogEntry(
        key=item.key,
        kind=item.kind,
        topic=item.topic,
        sources=tuple(Source.from_data(s) for s in item.sources),
        as_of=item.as_of,
        review_by=item.review_by,
    )


def store_report(session: Session, *, today: date) -> StatusReport:
    """Every item of the store with the state of its served text per language."""
    items = list(session.scalars(select(ContentItem).order_by(ContentItem.key)))
    rows: dict[tuple[int, str], list[ContentTranslation]] = {}
    for row in session.scalars(select(ContentTranslation)):
        rows.setdefault((row.item_id, row.language), []).append(row)
    keys = {item.id: item.key for item in items}
    texts: dict[str, dict[str, TextRecord]] = {}
    for (item_id, language), versions in rows.items():
        served = _served(versions)
        if served is not None and item_id in keys:
            texts.setdefault(language, {})[keys[item_id]] = TextRecord(
                text=served.text, source_hash=served.source_hash, machine=served.machine_translated
            )
    return build_report({i.key: _entry(i) for i in items}, texts, today=today)


def mark_served_reviewed(session: Session, *, key: str, language: str) -> ContentTranslation:
    """Record that a person checked the served text against the current German text (a machine
    draft becomes a reviewed text).

    Raises ``KeyError`` for an unknown key or a language without a text, ``ValueError`` for German.
    """
    if language == SOURCE_LANGUAGE:
        raise ValueError("German is the source text; change it, then review the translations")
    item = session.scalar(select(ContentItem).where(ContentItem.key == key))
    if item is None:
        raise KeyError(key)
    versions = list(
        session.scalars(
            select(ContentTranslation).where(
                ContentTranslation.item_id == item.id, ContentTranslation.language == language
            )
        )
    )
    served = _served(versions)
    german = source_text(session, item.id)
    if served is None or german is None:
        raise KeyError(f"{key} [{language}]")
    served.source_hash = text_hash(german)
    served.status = TranslationStatus.REVIEWED
    # a checked machine draft is a reviewed text: no longer marked as machine translated for people
    # (its origin, ``mt:<engine>``, still says where it came from)
    served.machine_translated = False
    session.flush()
    return served
