"""Cases (handovers) for caseworkers: queues, claiming, replies, notes, closing."""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from admin_api.cases.canned import CannedReply, CannedState
from admin_api.cases.models import CaseNote
from admin_api.staff.models import Role, StaffUser
from bot.conversations.models import Conversation, ConversationState, Direction, Message, MessageStatus
from bot.db import utcnow
from bot.handover.models import Handover, HandoverReason, HandoverStatus
from bot.translation.service import Bilingual


class QueueView(enum.StrEnum):
    WAITING = "waiting"
    MINE = "mine"
    OPEN = "open"
    CLOSED = "closed"


class CaseConflict(Exception):
    """The case is not in a state that allows this (claimed by someone else, closed)."""


MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class QueuePage:
    items: list[Handover]
    total: int
    waiting: int


def _filtered(
    query: Select[Any],
    *,
    view: QueueView,
    user: StaffUser,
    language: str | None,
    topic: str | None,
    languages: Collection[str] | None,
    reason: HandoverReason | None = None,
) -> Select[Any]:
    if view == QueueView.WAITING:
        query = query.where(Handover.status == HandoverStatus.OPEN)
    elif view == QueueView.MINE:
        query = query.where(Handover.status == HandoverStatus.CLAIMED, Handover.claimed_by_id == user.id)
    elif view == QueueView.OPEN:
        query = query.where(Handover.status != HandoverStatus.CLOSED)
    else:
        query = query.where(Handover.status == HandoverStatus.CLOSED)
    if language:
        query = query.where(Handover.language == language)
    if topic:
        query = query.where(Handover.topic == topic)
    if reason is not None:
        query = query.where(Handover.reason == reason)
    if languages is not None:
        query = query.where(Handover.language.in_(list(languages)))
    return query


def queue(
    session: Session,
    *,
    view: QueueView,
    user: StaffUser,
    language: str | None = None,
    topic: str | None = None,
    reason: HandoverReason | None = None,
    limit: int = 50,
    offset: int = 0,
    languages: Collection[str] | None = None,
) -> QueuePage:
    """One page of a queue view, most urgent (crisis) first, then longest waiting (only cases in
    ``languages`` if given).

    ``total`` counts the whole view with its filters and ``waiting`` every open case, so a page
    never hides how many cases there are.
    """
    query = _filtered(
        select(Handover),
        view=view,
        user=user,
        language=language,
        topic=topic,
        languages=languages,
        reason=reason,
    )
    items = session.scalars(
        query.order_by(Handover.urgency, Handover.created_at, Handover.id)
        .limit(min(limit, MAX_PAGE))
        .offset(offset)
    )
    count = _filtered(
        select(func.count(Handover.id)),
        view=view,
        user=user,
        language=language,
        topic=topic,
        languages=languages,
        reason=reason,
    )
    waiting = select(func.count(Handover.id)).where(Handover.status == HandoverStatus.OPEN)
    if languages is not None:
        waiting = waiting.where(Handover.language.in_(list(languages)))
    return QueuePage(
        items=list(items), total=int(session.scalar(count) or 0), waiting=int(session.scalar(waiting) or 0)
    )


def allowed_languages(user: StaffUser, *, by_language: bool) -> frozenset[str] | None:
    """The case languages a staff member may see (None: all). With ``LOTSE_CASE_ACCESS_BY_LANGUAGE``
    a caseworker sees German cases and cases in the languages of their account; admins see all."""
    if not by_language or user.role == Role.ADMIN:
        return None
    return frozenset({"de", *user.languages})


def claim(session: Session, *, handover_id: int, user: StaffUser) -> Handover:
    """Take a waiting case. Atomic: of two caseworkers claiming at once, exactly one wins."""
    result = session.execute(
        update(Handover)
        .where(Handover.id == handover_id, Handover.status == HandoverStatus.OPEN)
        .values(status=HandoverStatus.CLAIMED, claimed_by_id=user.id, claimed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        raise CaseConflict("the case is already claimed or closed")
    handover = session.get_one(Handover, handover_id)
    session.refresh(handover)
    return handover


def _own_open_case(session: Session, handover_id: int, user: StaffUser) -> Handover:
    handover = session.get_one(Handover, handover_id)
    if handover.status != HandoverStatus.CLAIMED or handover.claimed_by_id != user.id:
        raise CaseConflict("claim the case first")
    return handover


def reply(
    session: Session,
    *,
    handover_id: int,
    user: StaffUser,
    text: str,
    translated: Bilingual | None = None,
    edited_translation: str | None = None,
    canned: CannedReply | None = None,
) -> Message:
    """Queue a caseworker's message to the person; the channel delivers it.

    A canned reply with a curated text in the person's language is sent as that text (marked as
    machine-translated only if the curated text is a machine draft). Otherwise, with a translation
    the person receives it in their language, marked as machine-translated. The German original
    stays with the message whenever the person gets another language.
    """
    handover = _own_open_case(session, handover_id, user)
    conv = session.get_one(Conversation, handover.conversation_id)
    sent, language, engine, machine = text, "de", None, False
    if canned is not None and canned.text is not None:
        sent, language = canned.text, canned.language
        machine = canned.state == CannedState.MACHINE_DRAFT
    elif edited_translation:
        sent, language, engine = edited_translation, conv.language, "edited machine translation"
    elif translated is not None and translated.available and translated.translation is not None:
        sent, language, engine = translated.translation, translated.translation_language, translated.engine
    machine = machine or engine is not None
    msg = Message(
        conversation_id=conv.id,
        direction=Direction.OUT,
        text=sent,
        language=language,
        status=MessageStatus.PENDING,
        payload={
            "key": "caseworker",
            "text": sent,
            "language": language,
            "topic": handover.topic or "other",
            "buttons": [],
            "machine_translated": machine,
            "engine": engine,
            "original": text if engine is not None or language != "de" else None,
            "from_caseworker": True,
            "canned_key": canned.key if canned is not None else None,
        },
    )
    session.add(msg)
    session.flush()
    return msg


def _open_case_for(session: Session, handover_id: int, user: StaffUser) -> Handover:
    """A case that is not closed and not claimed by someone else (admins may act on any)."""
    handover = session.get_one(Handover, handover_id)
    if handover.status == HandoverStatus.CLOSED:
        raise CaseConflict("the case is closed")
    if (
        handover.status == HandoverStatus.CLAIMED
        and handover.claimed_by_id != user.id
        and user.role != Role.ADMIN
    ):
        raise CaseConflict("claimed by another caseworker")
    return handover


def assign(session: Session, *, handover_id: int, user: StaffUser, to: StaffUser) -> Handover:
    """Hand a case to another caseworker (its owner or an admin may do this)."""
    handover = _open_case_for(session, handover_id, user)
    if not to.active:
        raise CaseConflict("that account is deactivated")
    handover.status, handover.claimed_by_id, handover.claimed_at = HandoverStatus.CLAIMED, to.id, utcnow()
    return handover


def _not_closed(session: Session, handover_id: int) -> Handover:
    handover = session.get_one(Handover, handover_id)
    if handover.status == HandoverStatus.CLOSED:
        raise CaseConflict("the case is closed")
    return handover


def mark_interpreter(session: Session, *, handover_id: int) -> Handover:
    """Record that an open case needs a human interpreter (no machine translation for the language)."""
    handover = _not_closed(session, handover_id)
    handover.facts = {**handover.facts, "needs_interpreter": True}
    return handover


def add_note(session: Session, *, handover_id: int, user: StaffUser, text: str) -> CaseNote:
    """An internal note on an open case (never sent to the person)."""
    _not_closed(session, handover_id)
    note = CaseNote(handover_id=handover_id, staff_user_id=user.id, text=text)
    session.add(note)
    session.flush()
    return note


@dataclass(frozen=True, slots=True)
class Closed:
    handover: Handover
    pseudonym: str
    language: str


def close(session: Session, *, handover_id: int, user: StaffUser, outcome: str) -> Closed:
    """Close the case and hand the conversation back to the assistant."""
    handover = _open_case_for(session, handover_id, user)
    handover.status, handover.closed_at, handover.outcome = HandoverStatus.CLOSED, utcnow(), outcome
    conv = session.get_one(Conversation, handover.conversation_id)
    conv.state = ConversationState.BOT
    return Closed(handover=handover, pseudonym=conv.pseudonym, language=conv.language)
