"""Creating handovers: the record the caseworker inbox (a later feature) will pick up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversations.models import Conversation, ConversationState, Direction, Message
from bot.handover.models import Handover, HandoverReason, HandoverStatus, Urgency

_URGENCY = {
    HandoverReason.CRISIS: Urgency.CRITICAL,
    HandoverReason.INDIVIDUAL: Urgency.NORMAL,
    HandoverReason.REQUESTED: Urgency.NORMAL,
    HandoverReason.LOW_CONFIDENCE: Urgency.NORMAL,
    HandoverReason.UNAVAILABLE: Urgency.HIGH,
    HandoverReason.ATTACHMENT: Urgency.NORMAL,
    HandoverReason.APPEAL_DEADLINE: Urgency.DEADLINE,
    HandoverReason.FAMILY_DEADLINE: Urgency.DEADLINE,
    HandoverReason.HOUSING_HELP: Urgency.NORMAL,
}
TRANSCRIPT_LIMIT = 50


def urgency_for(reason: HandoverReason, topic: str | None) -> Urgency:
    """Crisis first; appeal questions next (their deadlines are one or two weeks)."""
    urgency = _URGENCY[reason]
    if topic == "asylum_appeal" and urgency > Urgency.HIGH:
        return Urgency.HIGH
    return urgency


def transcript(session: Session, conversation: Conversation) -> list[dict[str, Any]]:
    """The last messages of the conversation in their original language."""
    rows = session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation.id)
        .order_by(Message.id.desc())
        .limit(TRANSCRIPT_LIMIT)
    ).all()
    return [
        {
            "direction": m.direction.value,
            "text": m.text,
            "language": m.language,
            "intent": m.intent if m.direction == Direction.IN else None,
            "content_key": m.content_key if m.direction == Direction.OUT else None,
            "at": m.created_at.isoformat(),
        }
        for m in reversed(rows)
    ]


def create_handover(
    session: Session,
    *,
    conversation: Conversation,
    reason: HandoverReason,
    topic: str | None,
    facts: dict[str, Any] | None = None,
) -> Handover:
    """Store a handover and pause the assistant for the conversation (idempotent while one is open)."""
    existing = session.scalar(
        select(Handover).where(
            Handover.conversation_id == conversation.id, Handover.status != HandoverStatus.CLOSED
        )
    )
    conversation.state = ConversationState.HANDOVER
    if existing is not None:
        new_urgency = urgency_for(reason, topic)
        if new_urgency < existing.urgency:
            existing.urgency, existing.reason = new_urgency, reason
        return existing
    handover = Handover(
        conversation_id=conversation.id,
        reason=reason,
        topic=topic,
        urgency=int(urgency_for(reason, topic)),
        language=conversation.language,
        transcript=transcript(session, conversation),
        facts=facts or {},
    )
    session.add(handover)
    session.flush()
    return handover
