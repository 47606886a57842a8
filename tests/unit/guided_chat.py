"""A person talking to the guided-flow engine in unit tests (no Rasa): the shared day and a chat helper.

The fixtures ``conf`` (settings with the flows' "today" fixed) and ``seeded`` (content store seeded from
translations/) live in ``tests/unit/conftest.py``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.content.render import Reply
from bot.conversations.models import Conversation
from bot.guided import service as guided
from bot.guided.models import GuidedFlow
from bot.handover.models import Handover

TODAY = date(2026, 12, 20)  # a Sunday; Christmas (25, 26 December) lies ahead
NOW = datetime(2026, 12, 20, 10, 0, tzinfo=UTC)


def new_conversation(session: Session, language: str = "en") -> Conversation:
    conv = Conversation(pseudonym=uuid.uuid4().hex, channel="web", language=language)
    session.add(conv)
    session.flush()
    return conv


class Chat:
    """One person talking to the flow engine in one language."""

    def __init__(self, session: Session, settings: Settings, language: str = "en") -> None:
        self.session, self.settings, self.language = session, settings, language
        self.conv = new_conversation(session, language)

    def ctx(self) -> guided.Context:
        return guided.Context(self.session, self.conv, self.language, self.settings, NOW)

    def say(self, text: str) -> list[Reply] | None:
        """The flow engine's replies, or None when the message is not for a flow (it goes to Rasa)."""
        replies = guided.handle(self.ctx(), text)
        self.session.flush()
        return replies

    def must(self, text: str) -> list[Reply]:
        replies = self.say(text)
        assert replies is not None, f"{text!r} was not handled by the flow"
        return replies

    def state(self, flow: str) -> GuidedFlow:
        return self.session.scalars(
            select(GuidedFlow).where(GuidedFlow.conversation_id == self.conv.id, GuidedFlow.flow == flow)
        ).one()

    def handovers(self) -> list[Handover]:
        return list(self.session.scalars(select(Handover).where(Handover.conversation_id == self.conv.id)))


def values(reply: Reply) -> list[str]:
    """The values (``"v"``) of a reply's flow buttons, in order."""
    return [b["payload"].split('"v":"')[1].split('"')[0] for b in reply.buttons]
