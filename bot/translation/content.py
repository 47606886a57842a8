"""Machine drafts of content texts (``lotse content translate KEY --to LANG|all``).

A draft is stored as a new version with ``machine_translated=True``, status draft and origin
``mt:<engine>``. The store serves a reviewed text first and marks a served draft as machine
translated, so a draft only fills a gap until a person reviews it. Languages that already have a
reviewed text get no draft.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.content.models import ContentItem, ContentTranslation, TranslationStatus
from bot.content.service import set_text
from bot.language.languages import LANGUAGES
from bot.translation.base import TranslationError
from bot.translation.service import TranslationService


@dataclass(frozen=True, slots=True)
class DraftOutcome:
    language: str
    status: str
    """``written``, ``reviewed-exists`` or ``no-model``."""
    detail: str = ""
    version: int | None = None


def _reviewed_text(session: Session, item_id: int, language: str) -> ContentTranslation | None:
    return session.scalar(
        select(ContentTranslation)
        .where(
            ContentTranslation.item_id == item_id,
            ContentTranslation.language == language,
            ContentTranslation.status == TranslationStatus.REVIEWED,
        )
        .order_by(ContentTranslation.version.desc())
        .limit(1)
    )


def translate_content(
    session: Session,
    service: TranslationService,
    *,
    key: str,
    targets: list[str] | None = None,
    source: str = "de",
    edited_by: str | None = None,
) -> list[DraftOutcome]:
    """Write machine drafts of ``key`` (from its reviewed ``source`` text) for ``targets``
    (default: every supported language but the source); ``edited_by``: who asked for them."""
    item = session.scalar(select(ContentItem).where(ContentItem.key == key))
    if item is None:
        raise KeyError(key)
    original = _reviewed_text(session, item.id, source)
    if original is None:
        raise ValueError(f"{key} has no reviewed text in {source!r} to translate from")
    outcomes = []
    for language in targets or [code for code in LANGUAGES if code != source]:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        if _reviewed_text(session, item.id, language) is not None:
            outcomes.append(DraftOutcome(language, "reviewed-exists"))
            continue
        try:
            result = service.translate(original.text, source=source, target=language)
        except TranslationError as exc:
            outcomes.append(DraftOutcome(language, "no-model", str(exc)))
            continue
        row = set_text(
            session,
            key=key,
            language=language,
            text=result.text,
            origin=f"mt:{result.engine}",
            machine_translated=True,
            edited_by=edited_by,
        )
        outcomes.append(DraftOutcome(language, "written", result.engine, row.version))
    return outcomes
