"""Interpreter requests for caseworkers: the list, deciding (arranged/declined, told to the person in
their language), and recording a request on a case. Every change is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_api.audit.service import audit
from admin_api.cases import service as cases
from admin_api.dependencies import CurrentUser, StaffOnly
from admin_api.interpreters.schemas import (
    InterpreterDecisionIn,
    InterpreterRequestIn,
    InterpreterRequestOut,
    InterpreterRequestPage,
)
from bot.conversations.models import Conversation
from bot.guided.interpreter import describe
from bot.handover.models import Handover, HandoverStatus
from bot.interpreters import service
from bot.interpreters.models import InterpreterRequest, InterpreterStatus
from bot.translation.service import get_translation_service, translate_for_person
from bot.web.dependencies import MAX_ID, IdPath, SessionDep, SettingsDep
from bot.web.errors import LOGIN_REQUIRED, errors

router = APIRouter(tags=["interpreters"], dependencies=[StaffOnly], responses=LOGIN_REQUIRED)
UNKNOWN = errors(404, e404="Unknown interpreter request")
CHANGE = errors(403)


def _allowed(user: CurrentUser, settings: SettingsDep) -> frozenset[str] | None:
    return cases.allowed_languages(user, by_language=settings.case_access_by_language)


Allowed = Annotated[frozenset[str] | None, Depends(_allowed)]


def current_request(request_id: IdPath, session: SessionDep, allowed: Allowed) -> InterpreterRequest:
    """The request of the path, or 404 (also when its conversation's language is not the caller's)."""
    row = session.get(InterpreterRequest, request_id)
    if row is None or (
        allowed is not None and session.get_one(Conversation, row.conversation_id).language not in allowed
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown interpreter request")
    return row


CurrentInterpreterRequest = Annotated[InterpreterRequest, Depends(current_request)]


def _out(session: Session, row: InterpreterRequest) -> InterpreterRequestOut:
    conv = session.get_one(Conversation, row.conversation_id)
    case = session.scalar(
        select(Handover.id)
        .where(Handover.conversation_id == row.conversation_id)
        .order_by(Handover.id.desc())
        .limit(1)
    )
    return InterpreterRequestOut(
        id=row.id,
        conversation=conv.pseudonym,
        case=case,
        person_language=conv.language,
        language=row.language,
        dialect=row.dialect,
        appointment_type=row.appointment_type,
        wishes=row.wishes,
        mode=row.mode,
        status=row.status,
        note_for_person=row.note_for_person,
        summary=describe(
            language=row.language,
            dialect=row.dialect,
            appointment_type=row.appointment_type,
            wishes=row.wishes,
            mode=row.mode,
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
        updated_by=row.updated_by_id,
    )


@router.get("/interpreter-requests")
def list_requests(
    session: SessionDep,
    allowed: Allowed,
    status_: Annotated[InterpreterStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> InterpreterRequestPage:
    """A page of interpreter requests, the longest waiting first (``status`` filters)."""
    found = service.page(session, status=status_, limit=limit, offset=offset, languages=allowed)
    return InterpreterRequestPage(
        items=[_out(session, row) for row in found.items], total=found.total, limit=limit, offset=offset
    )


@router.patch("/interpreter-requests/{request_id}", responses={**errors(400), **CHANGE, **UNKNOWN})
def decide_request(
    row: CurrentInterpreterRequest,
    body: InterpreterDecisionIn,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
) -> InterpreterRequestOut:
    """Set the status (and a short German note for the person). A change to arranged or declined
    tells the person in their language; the note goes with it, machine-translated and marked."""
    translated = None
    note = row.note_for_person if body.note is None else body.note.strip()
    if service.tells_the_person(row, body.status) and note:
        language = session.get_one(Conversation, row.conversation_id).language
        if language != "de":
            request_id = row.id
            session.commit()  # no transaction (on SQLite: the write lock) is held while translating
            translated = translate_for_person(note, language, service=get_translation_service(settings))
            row = session.get_one(InterpreterRequest, request_id)
    before = row.status
    sent = service.decide(
        session, row, staff_id=user.id, status=body.status, note=body.note, translated_note=translated
    )
    audit(
        session,
        user=user,
        action="interpreter_request",
        detail={
            "request": row.id,
            "from": before.value,
            "to": row.status.value,
            "note": body.note is not None,
            "told_person": bool(sent),
        },
    )
    return _out(session, row)


@router.post(
    "/cases/{case_id}/interpreter-requests",
    status_code=status.HTTP_201_CREATED,
    responses={
        **errors(400, 404, 409, e404="Unknown case", e409="The case is closed"),
        **CHANGE,
    },
)
def create_for_case(
    case_id: IdPath, body: InterpreterRequestIn, session: SessionDep, user: CurrentUser, allowed: Allowed
) -> InterpreterRequestOut:
    """Record an interpreter request for the person of a case (not closed)."""
    handover = session.get(Handover, case_id)
    if handover is None or (allowed is not None and handover.language not in allowed):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown case")
    if handover.status == HandoverStatus.CLOSED:
        raise HTTPException(status.HTTP_409_CONFLICT, "the case is closed")
    row = service.create_request(
        session,
        conversation_id=handover.conversation_id,
        language=body.language,
        dialect=body.dialect,
        appointment_type=body.appointment_type,
        wishes=body.wishes,
        mode=body.mode,
    )
    audit(
        session,
        user=user,
        action="interpreter_request_create",
        handover_id=case_id,
        detail={"request": row.id},
    )
    return _out(session, row)
