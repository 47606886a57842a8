"""What every action shares: the app's internal API, topics of intents, reading the tracker.

Actions run in Rasa's Python 3.10 environment (rasa-sdk 3.6) and reach Lotse's data only through
the app's internal HTTP API, so there is one set of database models.
"""

import logging
import os
from typing import Any, Dict, List, Optional

import aiohttp
from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher

log = logging.getLogger(__name__)

LANGUAGES = {"de", "en", "ar", "fa", "uk", "ru", "tr", "fr", "ps", "ti", "so", "ku"}
TOPIC_OF_INTENT = {
    "faq_family": "family_reunification",
    "faq_appeal": "asylum_appeal",
    "faq_housing": "housing",
    "faq_education": "education",
    "faq_naturalization": "naturalization",
    "faq_procedure": "asylum_procedure",
    "faq_residence": "residence",
    "faq_benefits": "benefits",
    "faq_work": "work",
}
"""Retrieval intent -> topic of its answers (the same topics as in translations/_catalog.yml)."""
INTENT_OF_TOPIC = {topic: intent for intent, topic in TOPIC_OF_INTENT.items()}
MENU_TOPICS = {"family_reunification", "asylum_appeal", "housing", "education", "naturalization"}
"""Topics with an overview of example questions (``utter_topic_<topic>``)."""
FALLBACK_INTENT = "nlu_fallback"
REASON_BY_INTENT = {
    "request_human": "requested",
    "individual_case": "individual",
    "crisis": "crisis",
    FALLBACK_INTENT: "low_confidence",
}


def _app() -> str:
    return os.environ.get("LOTSE_APP_URL", "http://127.0.0.1:8000").rstrip("/")


def _headers() -> Dict[str, str]:
    return {"Authorization": f"Bearer {os.environ.get('LOTSE_INTERNAL_TOKEN', '')}"}


async def call_app(method: str, path: str, body: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """One call to the app's internal API; None (and a log line) when it fails."""
    timeout = aiohttp.ClientTimeout(total=10)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.request(method, _app() + path, json=body, headers=_headers()) as resp,
        ):
            if resp.status >= 300:
                log.error("app answered %s for %s %s", resp.status, method, path)
                return None
            return await resp.json()
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.error("app unreachable for %s %s: %s", method, path, exc)
        return None


def intent_of(event: Dict[str, Any]) -> str:
    """The intent name of a user event ('' if it has none)."""
    return str(((event.get("parse_data") or {}).get("intent") or {}).get("name") or "")


def user_events(tracker: Tracker) -> List[Dict[str, Any]]:
    """User messages of the conversation, newest first."""
    return [e for e in reversed(tracker.events) if e.get("event") == "user"]


def last_topic(tracker: Tracker) -> Optional[str]:
    """Topic of the most recent factual question in the conversation, if any."""
    for event in user_events(tracker):
        topic = TOPIC_OF_INTENT.get(intent_of(event).split("/")[0])
        if topic:
            return topic
    return None


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many of the latest user messages in a row had too little NLU confidence."""
    count = 0
    for event in user_events(tracker):
        if intent_of(event) != FALLBACK_INTENT:
            break
        count += 1
    return count


async def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> List[EventType]:
    """Store a handover in the app, tell the person what happens next, pause the conversation."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    await call_app(
        "POST",
        "/internal/handovers",
        {"sender_id": tracker.sender_id, "reason": reason, "topic": last_topic(tracker), "intent": intent},
    )
    dispatcher.utter_message(response=f"utter_handover_{reason}")
    return [ConversationPaused()]
