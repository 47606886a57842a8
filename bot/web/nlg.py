"""Rasa's external NLG endpoint: every response text comes from the content store.

Rasa posts ``{"response", "arguments", "tracker", "channel"}``; we answer with a single ``custom``
message ``{"lotse": {...}}`` carrying the rendered reply, its content key and topic, and the NLU
result of the turn, so that the app can store and analyse the answer without asking Rasa again.
(A plain ``text`` answer would be split at blank lines by Rasa's REST channel.)
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from bot.content.render import render
from bot.conversations.models import Conversation
from bot.web.dependencies import InternalAuth, SessionDep, SettingsDep
from bot.web.errors import INTERNAL_AUTH, errors

RANKING_KEPT = 4
"""Intents of the ranking kept with an answer (the crisis safety net looks at them)."""

router = APIRouter(tags=["rasa"], dependencies=[InternalAuth], responses=INTERNAL_AUTH)


class NLGRequest(BaseModel):
    response: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    tracker: dict[str, Any] = Field(default_factory=dict)
    channel: dict[str, Any] = Field(default_factory=dict)


@router.post("/nlg", responses=errors(400))
def generate(body: NLGRequest, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """Render one response in the conversation's language."""
    sender = str(body.tracker.get("sender_id") or "")
    language = session.scalar(select(Conversation.language).where(Conversation.pseudonym == sender))
    if language is None:  # a conversation that did not come through the app (e.g. `rasa test`)
        metadata = _latest_user_metadata(body.tracker)
        language = str(metadata.get("language") or settings.default_language)
    offered = body.arguments.get("offered")
    reply = render(
        session,
        key=body.response,
        language=language,
        office=settings.office,
        offered=[str(t) for t in offered] if isinstance(offered, list) else (),
    ).as_payload()
    reply["nlu"] = nlu_summary(body.tracker.get("latest_message") or {})
    return {"custom": {"lotse": reply}}


def nlu_summary(latest: dict[str, Any]) -> dict[str, Any]:
    """What the app keeps of the turn's parse: the intent (with the selected answer for factual
    questions), its confidence, and the confidences of the first intents of the ranking."""
    intent = latest.get("intent") or {}
    selector = (latest.get("response_selector") or {}).get("default", {}).get("response", {})
    intent_name = intent.get("name")
    if intent_name and str(intent_name).startswith("faq_") and selector.get("intent_response_key"):
        intent_name = selector["intent_response_key"]
    ranking = [
        [str(r["name"]), round(float(r.get("confidence") or 0.0), 4)]
        for r in (latest.get("intent_ranking") or [])[:RANKING_KEPT]
        if isinstance(r, dict) and r.get("name")
    ]
    return {"intent": intent_name, "confidence": intent.get("confidence"), "ranking": ranking}


def _latest_user_metadata(tracker: dict[str, Any]) -> dict[str, Any]:
    for event in reversed(tracker.get("events") or []):
        if isinstance(event, dict) and event.get("event") == "user":
            metadata = event.get("metadata") or {}
            return metadata if isinstance(metadata, dict) else {}
    return {}
