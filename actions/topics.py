"""Topics: the overview of a chosen topic, or the answer within the topic the person picked."""

from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import FALLBACK_INTENT, INTENT_OF_TOPIC, MENU_TOPICS, intent_of


def asked_back_question(tracker: Tracker) -> Optional[Dict[str, Any]]:
    """The unclear question the assistant asked back about, if the person is answering that now.

    That is the user message before the latest one, when it fell back and the assistant's reply to
    it was the ask-back.
    """
    asked = False
    seen_latest = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "bot" and seen_latest:
            asked = asked or (event.get("metadata") or {}).get("utter_action") == "utter_ask_back"
        elif kind == "user":
            if seen_latest:
                return event if asked and intent_of(event) == FALLBACK_INTENT else None
            seen_latest = True
    return None


def best_answer_in_topic(parse_data: Dict[str, Any], topic: str) -> Optional[str]:
    """The response the selector ranked highest for the question among the answers of ``topic``."""
    intent = INTENT_OF_TOPIC.get(topic)
    if intent is None:
        return None
    selector = (parse_data.get("response_selector") or {}).get("default") or {}
    for entry in selector.get("ranking") or []:
        key = str(entry.get("intent_response_key") or "")
        if key.split("/")[0] == intent:
            return f"utter_{key}"
    return None


class ActionShowTopic(Action):
    """After an ask-back: answer the question within the picked topic. Otherwise: the topic's overview."""

    def name(self) -> str:
        return "action_show_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        topics = [v for v in tracker.get_latest_entity_values("topic") if v in INTENT_OF_TOPIC]
        topic = topics[-1] if topics else None
        question = asked_back_question(tracker)
        answer = best_answer_in_topic(question.get("parse_data") or {}, topic) if question and topic else None
        if answer:
            dispatcher.utter_message(response=answer)
        elif topic in MENU_TOPICS:
            dispatcher.utter_message(response=f"utter_topic_{topic}")
        else:
            dispatcher.utter_message(response="utter_menu")
        return []
