"""Switching the conversation's language."""

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import LANGUAGES, call_app


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
        changed = await call_app(
            "PUT", f"/internal/conversations/{tracker.sender_id}/language", {"language": values[-1]}
        )
        dispatcher.utter_message(response="utter_language_changed" if changed else "utter_choose_language")
        return []
