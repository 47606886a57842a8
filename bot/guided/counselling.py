"""Counselling near me: where does the person live -> their district -> the services there (those
for the topic of the conversation's last factual answer first), then the state-wide ones.

The district comes, in this order, from a place named in the message that started the flow ("Beratung
in Gotha?"), from what the person said earlier (``conversations.district``), or from the answer to
"In which town or village do you live?" (a name, or a Telegram location: ``ags<Kreisschlüssel>``).
A place that is not found (or lies in two districts) gets the state-wide list. The entries are the
content store's texts ``dir_<id>`` (German; admins correct them like any text).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversations.models import Conversation, Direction, Message
from bot.directory.models import SERVICE_TOPICS, District
from bot.directory.service import directory, match_town, services_for
from bot.guided.steps import Finished, Step, Text

NAME = "counselling"
STARTER = "utter_faq_procedure/counselling_near_me"
LOCATION_VALUE = re.compile(r"ags(\d{5})")
"""The answer a shared location becomes: ``ags`` and the district's Kreisschlüssel."""
EMPTY = "meta_flow_counselling_empty"
TOWN_STEP = "town"


NOWHERE = "ags00000"
"""A location far from every district (the state-wide answer)."""


def location_answer(district: District | None) -> str:
    """The answer a shared location becomes (no coordinates are kept)."""
    return f"ags{district.ags}" if district is not None else NOWHERE


def _district(answer: str) -> District | None:
    found = LOCATION_VALUE.fullmatch(answer)
    if found is not None:
        return directory().by_ags.get(found.group(1))
    return match_town(answer, answer=True)


def last_topic(session: Session, conversation_id: int) -> str | None:
    """Topic of the conversation's last factual answer, if it is one the directory knows."""
    topic = session.scalar(
        select(Message.topic)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == Direction.OUT,
            Message.content_key.like("utter\\_faq\\_%", escape="\\"),
            Message.content_key != STARTER,
        )
        .order_by(Message.id.desc())
        .limit(1)
    )
    return topic if topic in SERVICE_TOPICS else None


class CounsellingFlow:
    name = NAME
    topic = "other"
    starter = STARTER
    steps: Mapping[str, Step] = {
        TOWN_STEP: Step(TOWN_STEP, "utter_flow_counselling_ask_town", free_text=True),
    }

    def prefill(self, session: Session, conversation: Conversation, text: str | None) -> dict[str, str]:
        """What is known before asking: the topic, and the district (named now, or remembered)."""
        answers: dict[str, str] = {}
        topic = last_topic(session, conversation.id)
        if topic:
            answers["topic"] = topic
        named = match_town(text) if text else None
        if named is not None:
            answers["district"] = named.key
        elif directory().district(conversation.district) is not None:
            answers["district"] = str(conversation.district)
            answers["remembered"] = "yes"
        return answers

    def next_step(self, answers: Mapping[str, str]) -> str | None:
        return None if "district" in answers or TOWN_STEP in answers else TOWN_STEP

    def finish(self, answers: Mapping[str, str], today: date) -> Finished:
        known = directory()
        district = known.district(answers.get("district"))
        if district is None and answers.get("town"):
            district = _district(answers["town"])
        topic = answers.get("topic")
        keys = tuple(s.content_key for s in services_for(district.key if district else None, topic))
        parts = {"services": keys or (EMPTY,)}
        if district is None:
            return Finished([Text("utter_flow_counselling_not_found", parts=parts)], {"district": None})
        remembered = bool(answers.get("remembered"))
        key = "utter_flow_counselling_remembered" if remembered else "utter_flow_counselling_result"
        chosen = district.key

        def remember(session: Session, conversation: Conversation) -> None:
            conversation.district = chosen

        return Finished(
            [Text(key, values={"district": district.name}, parts=parts)],
            {"district": chosen, "entries": len(keys)},
            apply=remember,
        )

    def case_lines(self, answers: Mapping[str, str], result: Mapping[str, Any]) -> list[str]:
        district = directory().district(str(result.get("district") or ""))
        return [f"Wohnort (Landkreis/kreisfreie Stadt): {district.name if district else 'nicht gefunden'}"]
