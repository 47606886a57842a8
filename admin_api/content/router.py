"""Content API: admins read and change texts; the next answer uses the new text (no retraining)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select

from admin_api.content.schemas import ContentItemOut, SourceOut, TextIn, TranslationOut
from admin_api.dependencies import AdminOnly
from bot.content.models import ContentItem
from bot.content.service import Source, set_text
from bot.language.languages import LANGUAGES
from bot.web.dependencies import SessionDep
from bot.web.errors import ADMIN_ONLY, errors

router = APIRouter(prefix="/content", tags=["content"], dependencies=[AdminOnly], responses=ADMIN_ONLY)


def _out(item: ContentItem, *, latest_only: bool) -> ContentItemOut:
    rows = sorted(item.translations, key=lambda t: (t.language, -t.version))
    if latest_only:
        newest: dict[str, TranslationOut] = {}
        for t in rows:
            newest.setdefault(t.language, _translation(t))
        translations = list(newest.values())
    else:
        translations = [_translation(t) for t in rows]
    return ContentItemOut(
        key=item.key,
        kind=item.kind.value,
        topic=item.topic,
        sources=[SourceOut.model_validate(Source.from_data(src).as_data()) for src in item.sources],
        as_of=item.as_of,
        review_by=item.review_by,
        translations=translations,
    )


def _translation(t: object) -> TranslationOut:
    return TranslationOut.model_validate(
        {
            "language": getattr(t, "language"),  # noqa: B009
            "version": getattr(t, "version"),  # noqa: B009
            "text": getattr(t, "text"),  # noqa: B009
            "status": getattr(t, "status").value,  # noqa: B009
            "machine_translated": getattr(t, "machine_translated"),  # noqa: B009
            "minor_edit": getattr(t, "minor_edit"),  # noqa: B009
            "source_hash": getattr(t, "source_hash"),  # noqa: B009
        }
    )


@router.get("")
def list_items(session: SessionDep) -> list[ContentItemOut]:
    """Every item with the newest version per language."""
    return [_out(i, latest_only=True) for i in session.scalars(select(ContentItem).order_by(ContentItem.key))]


@router.get("/{key:path}/history", responses=errors(404, e404="Unknown content key"))
def item_history(key: str, session: SessionDep) -> ContentItemOut:
    """One item with every version."""
    item = session.scalar(select(ContentItem).where(ContentItem.key == key))
    if item is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown content key")
    return _out(item, latest_only=False)


@router.put(
    "/{key:path}/{language}",
    responses=errors(
        400,
        404,
        e400="Unsupported language or text, or a body that could not be decoded",
        e404="Unknown content key",
    ),
)
def put_text(key: str, language: str, body: TextIn, session: SessionDep) -> TranslationOut:
    """Store a new reviewed version of one text."""
    if language not in LANGUAGES:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "unsupported language")
    try:
        row = set_text(
            session, key=key, language=language, text=body.text, origin="api", minor_edit=body.minor_edit
        )
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown content key") from None
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    return _translation(row)
