"""Custom actions. They run in Rasa's Python 3.10 environment (rasa-sdk 3.6) and reach Lotse's
data only through the app's internal HTTP API, so there is one set of database models."""

import logging
import os
from typing import Any, Dict, List, Optional

import aiohttp
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher

log = logging.getLogger(__name__)

LANGUAGES = {"de", "en", "ar", "fa", "uk", "ru", "tr", "fr", "ps", "ti", "so", "ku"}
TOPICS = {"family_reunification", "asylum_appeal", "housing", "education", "naturalization"}
FAQ_TOPICS = {
    "faq_family": "family_reunification",
    "faq_appeal": "asylum_appeal",
    "faq_housing": "housing",
    "faq_education": "education",
    "faq_naturalization": "naturalization",
}
REASON_BY_INTENT = {
    "request_human": "requested",
    "individual_case": "individual",
    "crisis": "crisis",
    "nlu_fallback": "low_confidence",
}


def _app() -> str:
    return os.environ.get("LOTSE_APP_URL", "http://127.0.0.1:8000").rstrip("/")


def _headers() -> Dict[str, str]:
    return {"Authorization": f"Bearer {os.environ.get('LOTSE_INTERNAL_TOKEN', '')}"}


async def _call(method: str, path: str, body: Dict[str, Any]) -> Optional[Dict[str, Any]]:
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


def last_topic(tracker: Tracker) -> Optional[str]:
    """Topic of the most recent factual question in the conversation, if any."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            name = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""
            if name.split("/")[0] in FAQ_TOPICS:
                return FAQ_TOPICS[name.split("/")[0]]
    return None


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many of the latest user messages in a row had too little NLU confidence."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        name = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if name != "nlu_fallback":
            break
        count += 1
    return count


async def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> List[EventType]:
    """Store a handover in the app, tell the person what happens next, pause the conversation."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    await _call(
        "POST",
        "/internal/handovers",
        {"sender_id": tracker.sender_id, "reason": reason, "topic": last_topic(tracker), "intent": intent},
    )
    dispatcher.utter_message(response=f"utter_handover_{reason}")
    return [ConversationPaused()]


class ActionHandover(Action):
    """Hand the conversation to a caseworker (explicit request, own case, crisis)."""

    def name(self) -> str:
        return "action_handover"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        return await hand_over(dispatcher, tracker, REASON_BY_INTENT.get(intent, "requested"))


class ActionHandleFallback(Action):
    """Ask to rephrase once; after the second unclear message in a row, hand over."""

    def name(self) -> str:
        return "action_handle_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        if consecutive_fallbacks(tracker) >= 2:
            return await hand_over(dispatcher, tracker, "low_confidence")
        dispatcher.utter_message(response="utter_default")
        return []


class ActionSetLanguage(Action):
    """Switch the conversation's language when the person asks for one."""

    def name(self) -> str:
        return "action_set_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        values = [v for v in tracker.get_latest_entity_values("language") if v in LANGUAGES]
        if not values:
            dispatcher.utter_message(response="utter_choose_language")
            return []
        changed = await _call(
            "PUT", f"/internal/conversations/{tracker.sender_id}/language", {"language": values[-1]}
        )
        dispatcher.utter_message(response="utter_language_changed" if changed else "utter_choose_language")
        return []


class ActionShowTopic(Action):
    """Show what can be asked about the chosen topic."""

    def name(self) -> str:
        return "action_show_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        topics = [v for v in tracker.get_latest_entity_values("topic") if v in TOPICS]
        dispatcher.utter_message(response=f"utter_topic_{topics[-1]}" if topics else "utter_menu")
        return []
