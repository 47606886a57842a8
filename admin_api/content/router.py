"""Content API: admins read and change texts; the next answer uses the new text (no retraining)."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select

from admin_api.audit.service import audit
from admin_api.content.schemas import (
    ContentItemOut,
    DraftOut,
    DraftsIn,
    DraftsOut,
    NewItemIn,
    NewItemOut,
    PreviewOut,
    RestoreIn,
    SourceOut,
    TextIn,
    TranslationOut,
)
from admin_api.content.service import create_faq_item, missing_languages, needs_retraining, restore
from admin_api.dependencies import AdminOnly, CurrentUser
from bot.content.models import ContentItem
from bot.content.render import ANSWER_TOPICS, render
from bot.content.service import Source, set_text, source_text
from bot.db import utcnow
from bot.language.languages import LANGUAGES
from bot.translation.base import TranslationError
from bot.translation.content import translate_content
from bot.translation.service import get_translation_service
from bot.web.dependencies import SessionDep, SettingsDep
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
            "edited_by": getattr(t, "edited_by"),  # noqa: B009
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
def put_text(key: str, language: str, body: TextIn, session: SessionDep, user: CurrentUser) -> TranslationOut:
    """Store a new reviewed version of one text (audited, with the admin as its editor)."""
    if language not in LANGUAGES:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "unsupported language")
    try:
        row = set_text(
            session,
            key=key,
            language=language,
            text=body.text,
            origin="api",
            minor_edit=body.minor_edit,
            edited_by=user.username,
        )
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown content key") from None
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    audit(
        session,
        user=user,
        action="content_edit",
        detail={"key": key, "language": language, "version": row.version, "minor_edit": body.minor_edit},
    )
    return _translation(row)


def _language(language: str) -> None:
    if language not in LANGUAGES:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "unsupported language")


@router.post(
    "/{key:path}/{language}/preview",
    responses=errors(400, 404, e400="Unsupported language", e404="Unknown content key"),
)
def preview(key: str, language: str, body: TextIn, session: SessionDep, settings: SettingsDep) -> PreviewOut:
    """Render a draft text exactly as the chat would send it (sources, date, disclaimer, buttons);
    nothing is stored."""
    _language(language)
    if session.scalar(select(ContentItem.id).where(ContentItem.key == key)) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown content key")
    try:
        reply = render(session, key=key, language=language, office=settings.office, draft=body.text)
    except LookupError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown content key") from None
    return PreviewOut(key=key, language=language, text=reply.text, buttons=reply.buttons)


@router.post(
    "/{key:path}/{language}/restore",
    responses=errors(400, 404, e400="Unsupported language", e404="Unknown content key or version"),
)
def restore_version(
    key: str, language: str, body: RestoreIn, session: SessionDep, user: CurrentUser
) -> TranslationOut:
    """Make an old version's text the newest version again (a new version; audited)."""
    _language(language)
    try:
        row = restore(session, key=key, language=language, version=body.version, editor=user.username)
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown content key or version") from None
    audit(
        session,
        user=user,
        action="content_restore",
        detail={"key": key, "language": language, "from_version": body.version, "version": row.version},
    )
    return _translation(row)


@router.post(
    "/{key:path}/drafts",
    responses=errors(
        400, 404, e400="Unsupported language, or no reviewed German text", e404="Unknown content key"
    ),
)
def machine_drafts(
    key: str, body: DraftsIn, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> DraftsOut:
    """Machine drafts (marked, served only where no reviewed text exists) of the missing languages."""
    try:
        targets = body.languages if body.languages is not None else missing_languages(session, key)
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown content key") from None
    for language in targets:
        _language(language)
    if "de" in targets:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "German is the source text")
    if not targets:
        return DraftsOut(drafts=[], no_model=False, message="Keine Sprache fehlt / No language is missing")
    service = get_translation_service(settings)
    german = source_text(session, session.scalar(select(ContentItem.id).where(ContentItem.key == key)) or 0)
    session.commit()  # translating takes a while: hold no transaction (on SQLite: the write lock) meanwhile
    for language in targets if german else []:
        with contextlib.suppress(TranslationError):
            service.translate(german or "", source="de", target=language)  # fills the service's cache
    try:
        outcomes = translate_content(session, service, key=key, targets=targets, edited_by=user.username)
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown content key") from None
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    drafts = [
        DraftOut(language=o.language, status=o.status, detail=o.detail, version=o.version) for o in outcomes
    ]
    written = [d.language for d in drafts if d.status == "written"]
    no_model = not written and any(d.status == "no-model" for d in drafts)
    if written:
        audit(session, user=user, action="content_draft", detail={"key": key, "languages": written})
        message = f"Maschinelle Entwürfe / Machine drafts: {', '.join(written)}"
    elif no_model:
        message = (
            "Kein Übersetzungsmodell installiert – kein Entwurf erstellt / No translation model installed – "
            "no draft made (lotse translate install)"
        )
    else:
        message = "Kein Entwurf nötig / No draft needed"
    return DraftsOut(drafts=drafts, no_model=no_model, message=message)


RETRAIN_NOTICE = (
    "Gespeichert. Das Modell muss neu trainiert werden (mit Beispielfragen), bevor Rasa diese Antwort "
    "auswählen kann. / Saved. The model must be retrained (with example questions) before Rasa can select "
    "this answer."
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=errors(400, 409, e400="Unknown topic or a bad source", e409="The key exists"),
)
def new_item(body: NewItemIn, session: SessionDep, user: CurrentUser) -> NewItemOut:
    """A new factual (FAQ) item with its German text; Rasa selects it only after retraining."""
    if body.topic not in ANSWER_TOPICS:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "unknown topic")
    try:
        sources = [Source.from_data(s.model_dump(exclude_none=True)) for s in body.sources]
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    if any(s.url and not s.url.startswith(("https://", "http://")) for s in sources):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "a source URL must start with https://")
    if not body.text.strip():
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "text must not be empty")
    as_of = body.as_of or utcnow().date()
    review_by = body.review_by or as_of + timedelta(days=182)
    if review_by < as_of:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "review_by is before as_of")
    try:
        item = create_faq_item(
            session,
            key=body.key,
            topic=body.topic,
            sources=sources,
            text=body.text,
            as_of=as_of,
            review_by=review_by,
            editor=user.username,
        )
    except ValueError:
        raise HTTPException(status.HTTP_409_CONFLICT, "the key exists") from None
    audit(session, user=user, action="content_create", detail={"key": body.key, "topic": body.topic})
    session.flush()
    session.refresh(item)
    retrain = needs_retraining(item.key)
    return NewItemOut(
        item=_out(item, latest_only=True), retrain_needed=retrain, notice=RETRAIN_NOTICE if retrain else ""
    )
