"""Handing the conversation to a caseworker."""

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import REASON_BY_INTENT, hand_over


class ActionHandover(Action):
    """Hand the conversation to a caseworker (explicit request, own case, crisis)."""

    def name(self) -> str:
        return "action_handover"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        return await hand_over(dispatcher, tracker, REASON_BY_INTENT.get(intent, "requested"))
