"""Cases API: the handover queue, claiming, replying, notes, closing. Every action is audited."""

from __future__ import annotations

import functools
from typing import Annotated

import anyio.from_thread
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_api.audit.service import audit
from admin_api.cases import service
from admin_api.cases.canned import canned_replies, canned_reply
from admin_api.cases.models import CaseNote
from admin_api.cases.schemas import (
    AssignIn,
    CannedOut,
    CaseDetail,
    CaseFacts,
    CaseMessage,
    CaseOut,
    CasePage,
    CloseIn,
    NoteOut,
    OfficeOut,
    ReplyIn,
    TextIn,
    TranslationPreview,
)
from admin_api.cases.summary import summarise
from admin_api.dependencies import CurrentUser, StaffOnly
from admin_api.profiles.service import profile_for_case
from admin_api.staff.models import StaffUser
from bot.config import Settings
from bot.content.render import render
from bot.conversations.models import Conversation, Direction, Message
from bot.db import utcnow
from bot.handover.models import Handover, HandoverReason
from bot.office_hours import office_status
from bot.pipeline import outgoing_message
from bot.rasa_client import RasaUnavailable
from bot.translation.service import (
    get_translation_service,
    translate_for_person,
)
from bot.web.dependencies import MAX_ID, IdPath, SessionDep, SettingsDep
from bot.web.errors import LOGIN_REQUIRED, errors

RESUME_EVENTS = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
"""Lift Rasa's pause and put the dialogue back into listening, so the next message starts a fresh turn
(without ``action_listen`` the policies see no turn boundary and fall back)."""


def _language_access(request: Request, session: SessionDep, user: CurrentUser, settings: SettingsDep) -> None:
    """With ``LOTSE_CASE_ACCESS_BY_LANGUAGE``, a case in another language is unknown to a caseworker."""
    case_id = str(request.path_params.get("case_id", ""))
    allowed = service.allowed_languages(user, by_language=settings.case_access_by_language)
    if allowed is None or not (case_id.isascii() and case_id.isdigit()) or int(case_id) > MAX_ID:
        return  # no restriction, or no valid case id (the route's own validation answers)
    h = session.get(Handover, int(case_id))
    if h is not None and h.language not in allowed:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown case")


router = APIRouter(
    prefix="/cases",
    tags=["cases"],
    dependencies=[StaffOnly, Depends(_language_access)],
    responses=LOGIN_REQUIRED,
)
UNKNOWN_CASE = errors(404, e404="Unknown case")
CHANGE = errors(403)
"""Every route that changes something: cookie logins must send the CSRF token."""
CONFLICT = errors(
    409, e409="Not possible in the case's state: claimed by someone else, not claimed yet, or closed"
)


def _case_out(h: Handover, pseudonym: str, overdue_after_s: float) -> CaseOut:
    waiting = max(0.0, ((h.closed_at or utcnow()) - h.created_at).total_seconds())
    return CaseOut(
        id=h.id,
        conversation=pseudonym,
        reason=h.reason.value,
        topic=h.topic,
        urgency=h.urgency,
        language=h.language,
        status=h.status.value,
        claimed_by=h.claimed_by_id,
        created_at=h.created_at,
        waiting_s=waiting,
        overdue=h.closed_at is None and h.claimed_at is None and waiting > overdue_after_s,
        outcome=h.outcome,
    )


def _get(session: SessionDep, case_id: IdPath) -> Handover:
    handover = session.get(Handover, case_id)
    if handover is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown case")
    return handover


def _pseudonym(session: SessionDep, h: Handover) -> str:
    return session.get_one(Conversation, h.conversation_id).pseudonym


@router.get("")
def list_cases(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    view: service.QueueView = service.QueueView.WAITING,
    language: Annotated[str | None, Query(max_length=8)] = None,
    topic: Annotated[str | None, Query(max_length=32)] = None,
    reason: HandoverReason | None = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> CasePage:
    """A page of a queue view (waiting, mine, open, closed), most urgent and longest waiting first,
    with the count of the whole view and of all waiting cases; ``language``, ``topic`` and ``reason``
    (the kind of handover, e.g. ``housing_help``) filter."""
    allowed = service.allowed_languages(user, by_language=settings.case_access_by_language)
    page = service.queue(
        session,
        view=view,
        user=user,
        language=language,
        topic=topic,
        reason=reason,
        limit=limit,
        offset=offset,
        languages=allowed,
    )
    return CasePage(
        items=[_case_out(h, _pseudonym(session, h), settings.case_overdue_s) for h in page.items],
        total=page.total,
        waiting=page.waiting,
        limit=limit,
        offset=offset,
    )


@router.get("/{case_id}", responses=UNKNOWN_CASE)
def read_case(case_id: IdPath, session: SessionDep, user: CurrentUser, settings: SettingsDep) -> CaseDetail:
    """One case with the handover summary, the conversation (with German translations) and the notes."""
    h = _get(session, case_id)
    audit(session, user=user, action="read", handover_id=h.id)
    return _detail(session, h, settings)


@router.get("/{case_id}/export", responses=UNKNOWN_CASE)
def export_case(
    case_id: IdPath, session: SessionDep, user: CurrentUser, settings: SettingsDep, response: Response
) -> CaseDetail:
    """The whole case as a JSON file for the authority's records (audited as an export)."""
    h = _get(session, case_id)
    audit(session, user=user, action="export", handover_id=h.id)
    response.headers["Content-Disposition"] = f'attachment; filename="lotse-case-{h.id}.json"'
    return _detail(session, h, settings)


def _detail(session: Session, h: Handover, settings: Settings) -> CaseDetail:
    translator = get_translation_service(settings)
    messages = session.scalars(
        select(Message).where(Message.conversation_id == h.conversation_id).order_by(Message.id)
    ).all()
    notes = session.scalars(select(CaseNote).where(CaseNote.handover_id == h.id).order_by(CaseNote.id)).all()
    base = _case_out(h, _pseudonym(session, h), settings.case_overdue_s)
    return CaseDetail(
        **base.model_dump(),
        transcript=h.transcript,
        facts=h.facts,
        summary=CaseFacts.model_validate(summarise(session, handover=h, overdue=base.overdue)),
        office=_office(settings),
        translation_available=translator.available(h.language, "de")
        and translator.available("de", h.language)
        if h.language != "de"
        else True,
        needs_interpreter=bool(h.facts.get("needs_interpreter")),
        messages=[_case_message(m) for m in messages],
        notes=[NoteOut(id=n.id, staff_user_id=n.staff_user_id, text=n.text, at=n.at) for n in notes],
        education_profile=profile_for_case(session, h.conversation_id),
    )


def _office(settings: Settings) -> OfficeOut:
    office = settings.office
    now = office_status(office, utcnow())
    return OfficeOut(
        hours=office.spec,
        timezone=settings.office_timezone,
        open=now.is_open,
        closes_at=now.closes_at,
        next_opening=now.next_opening,
    )


def _case_message(m: Message) -> CaseMessage:
    """A message as the case page shows it; a person's words with their stored German translation
    (made once in the background by bot.translation.backlog, never while the page is opened)."""
    payload = m.payload or {}
    german = engine = None
    pending = False
    if m.direction == Direction.IN and m.language and m.language != "de" and m.text.strip():
        german, engine = m.german_text, m.german_engine
        pending = m.german_at is None and not m.text.startswith("/")
    return CaseMessage(
        id=m.id,
        direction=m.direction.value,
        text=m.text,
        language=m.language,
        at=m.created_at,
        from_caseworker=bool(payload.get("from_caseworker")),
        german=german,
        machine_translated=bool(payload.get("machine_translated")) or german is not None,
        engine=engine or payload.get("engine"),
        original=payload.get("original"),
        canned_key=payload.get("canned_key"),
        non_text=payload.get("non_text"),
        translation_pending=pending,
    )


@router.get("/{case_id}/canned", responses=UNKNOWN_CASE)
def list_canned(case_id: IdPath, session: SessionDep) -> list[CannedOut]:
    """The canned replies with their German text and the curated text in the case's language."""
    h = _get(session, case_id)
    return [
        CannedOut(key=c.key, german=c.german, language=c.language, text=c.text, state=c.state.value)
        for c in canned_replies(session, language=h.language)
    ]


@router.post("/{case_id}/claim", responses={**CHANGE, **UNKNOWN_CASE, **CONFLICT})
def claim_case(case_id: IdPath, session: SessionDep, user: CurrentUser, settings: SettingsDep) -> CaseOut:
    """Take the case; the assistant stays silent for the conversation while a caseworker has it."""
    _get(session, case_id)
    try:
        h = service.claim(session, handover_id=case_id, user=user)
    except service.CaseConflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    audit(session, user=user, action="claim", handover_id=h.id)
    return _case_out(h, _pseudonym(session, h), settings.case_overdue_s)


@router.post("/{case_id}/translate", responses={**errors(400), **CHANGE, **UNKNOWN_CASE})
def preview_translation(
    case_id: IdPath, body: TextIn, session: SessionDep, settings: SettingsDep
) -> TranslationPreview:
    """The machine translation a reply would get, so that the caseworker can edit it first."""
    language = _get(session, case_id).language
    session.commit()  # no transaction (on SQLite: the write lock) is held while translating
    both = translate_for_person(body.text, language, service=get_translation_service(settings))
    return TranslationPreview(
        text=body.text,
        language=language,
        translation=both.translation,
        engine=both.engine,
        unavailable_reason=both.unavailable_reason,
    )


@router.post(
    "/{case_id}/reply",
    status_code=status.HTTP_201_CREATED,
    responses={**errors(400), **CHANGE, **UNKNOWN_CASE, **CONFLICT},
)
def reply_case(
    case_id: IdPath, body: ReplyIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> CaseMessage:
    """Send a message to the person in their language (machine-translated and marked), or as written.

    With ``canned_key`` the person gets the canned reply's curated text in their language (not
    machine-translated); only when their language has none is the German machine-translated.
    """
    h = _get(session, case_id)
    canned = None
    if body.canned_key is not None:
        canned = canned_reply(session, key=body.canned_key, language=h.language)
        if canned is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown canned reply")
        if body.text is not None and body.text.strip() != canned.german.strip():
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST,
                "the text differs from the canned reply; send an edited text without canned_key",
            )
        if not body.translate:  # "as written": the German text of the canned reply
            canned = canned.as_german()
    text = canned.german if canned is not None else body.text or ""
    translated = None
    curated = canned is not None and canned.text is not None
    if body.translate and not curated and not body.translated_text and h.language != "de":
        language = h.language
        session.commit()  # read, commit, translate (no transaction held), then write
        translated = translate_for_person(text, language, service=get_translation_service(settings))
    try:
        msg = service.reply(
            session,
            handover_id=case_id,
            user=user,
            text=text,
            translated=translated,
            edited_translation=body.translated_text if body.translate else None,
            canned=canned,
        )
    except service.CaseConflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    detail: dict[str, object] = {"message_id": msg.id}
    if canned is not None:
        detail["canned_key"] = canned.key
    audit(session, user=user, action="reply", handover_id=case_id, detail=detail)
    return _case_message(msg)


@router.post(
    "/{case_id}/assign",
    responses={
        **errors(
            400, 404, 409, e404="Unknown case or staff member", e409="Closed case or deactivated account"
        ),
        **CHANGE,
    },
)
def reassign_case(
    case_id: IdPath, body: AssignIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> CaseOut:
    """Give the case to another caseworker."""
    h = _get(session, case_id)
    target = session.get(StaffUser, body.staff_id)
    if target is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown staff member")
    try:
        service.assign(session, handover_id=case_id, user=user, to=target)
    except service.CaseConflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    audit(session, user=user, action="assign", handover_id=case_id, detail={"to": target.id})
    return _case_out(h, _pseudonym(session, h), settings.case_overdue_s)


@router.post("/{case_id}/interpreter", responses={**CHANGE, **UNKNOWN_CASE, **CONFLICT})
def needs_interpreter(
    case_id: IdPath, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> CaseOut:
    """Mark an open case as needing a human interpreter (409 when closed)."""
    h = _get(session, case_id)
    try:
        service.mark_interpreter(session, handover_id=case_id)
    except service.CaseConflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    audit(session, user=user, action="interpreter", handover_id=case_id)
    return _case_out(h, _pseudonym(session, h), settings.case_overdue_s)


@router.post(
    "/{case_id}/notes",
    status_code=status.HTTP_201_CREATED,
    responses={**errors(400), **CHANGE, **UNKNOWN_CASE, **CONFLICT},
)
def note_case(case_id: IdPath, body: TextIn, session: SessionDep, user: CurrentUser) -> NoteOut:
    """Add an internal note to an open case (409 when closed)."""
    _get(session, case_id)
    try:
        note = service.add_note(session, handover_id=case_id, user=user, text=body.text)
    except service.CaseConflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    audit(session, user=user, action="note", handover_id=case_id)
    return NoteOut(id=note.id, staff_user_id=note.staff_user_id, text=note.text, at=note.at)


@router.post(
    "/{case_id}/close",
    responses={
        **errors(400, 503, e503="Rasa is unreachable: nothing was changed, try again"),
        **CHANGE,
        **UNKNOWN_CASE,
        **CONFLICT,
    },
)
def close_case(
    case_id: IdPath,
    body: CloseIn,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
) -> CaseOut:
    """Close the case and hand the conversation back to the assistant; the person is told.

    Rasa's pause is lifted first: if Rasa is unreachable nothing changes and the caseworker is
    asked to try again (503), so a conversation is never left paused in Rasa but open in Lotse.
    """
    h = _get(session, case_id)
    rasa = request.app.state.assistant.rasa
    try:
        anyio.from_thread.run(
            functools.partial(rasa.append_events, sender=_pseudonym(session, h), events=RESUME_EVENTS)
        )
    except RasaUnavailable:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "assistant unavailable, try again") from None
    try:
        closed = service.close(session, handover_id=case_id, user=user, outcome=body.outcome)
    except service.CaseConflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    notice = render(session, key="utter_case_closed", language=closed.language)
    session.add(outgoing_message(h.conversation_id, notice))
    audit(session, user=user, action="close", handover_id=case_id, detail={"outcome": body.outcome})
    return _case_out(h, closed.pseudonym, settings.case_overdue_s)
