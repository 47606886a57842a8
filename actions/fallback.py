"""Asking back instead of guessing.

The fallback classifier (Rasa's, with a threshold per intent: assistant/components/lotse_fallback.py)
turns a message into ``nlu_fallback`` when the best intent is not sure enough (its confidence below
its threshold — lower for the out-of-scope reply, which states no fact — or too close to the second;
tuned with ``lotse tune`` on development data, see assistant/config.yml). Instead of guessing, the
assistant offers the most likely topics as buttons ("Do you mean: appeal · housing · something
else"); a pressed topic answers the original question within that topic (:mod:`actions.topics`).
The second unclear message in a row goes to a caseworker.

The threshold is set for the factual topics, where a wrong answer does harm; a plain "hallo" or a
call for help should not be asked back about. When the best intent is one of
:data:`FOLLOWED_WITHOUT_ASKING` with at least :data:`MIN_TO_FOLLOW`, the message is put back with
that intent (as Rasa's own TwoStageFallback does after an affirmation) and the rules answer it.
"""

from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.common import FALLBACK_INTENT, TOPIC_OF_INTENT, consecutive_fallbacks, hand_over

FOLLOWED_WITHOUT_ASKING = frozenset(
    {
        "greet",
        "goodbye",
        "thanks",
        "help_menu",
        "bot_challenge",
        "choose_language",
        "choose_topic",
        "something_else",
        "request_human",
        "crisis",
    }
)
"""Intents that are no factual answer: following them on a fair guess costs little (crisis: saves)."""
MIN_TO_FOLLOW = 0.5
MAX_OPTIONS = 3
MIN_OPTION_CONFIDENCE = 0.05
"""Topics the model gives less than this are not worth a button."""


def _real_ranking(parse_data: Dict[str, Any]) -> List[Dict[str, Any]]:
    ranking = [r for r in parse_data.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]
    return sorted(ranking, key=lambda r: -float(r.get("confidence") or 0.0))


def intent_to_follow(parse_data: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The best intent, when it is one to follow without asking back."""
    ranking = _real_ranking(parse_data)
    best = ranking[0] if ranking else {}
    follow = best.get("name") in FOLLOWED_WITHOUT_ASKING
    return best if follow and float(best.get("confidence") or 0.0) >= MIN_TO_FOLLOW else None


def ask_back_topics(parse_data: Dict[str, Any]) -> List[str]:
    """The most likely topics of an unclear message, best first (at most :data:`MAX_OPTIONS`)."""
    topics: List[str] = []
    for entry in _real_ranking(parse_data):
        topic = TOPIC_OF_INTENT.get(str(entry.get("name") or "").split("/")[0])
        if topic and topic not in topics and float(entry.get("confidence") or 0.0) >= MIN_OPTION_CONFIDENCE:
            topics.append(topic)
        if len(topics) == MAX_OPTIONS:
            break
    return topics


class ActionHandleFallback(Action):
    """Offer the likely topics (or ask to rephrase); hand over after the second unclear message."""

    def name(self) -> str:
        return "action_handle_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        follow = intent_to_follow(tracker.latest_message)
        if follow is not None:
            return _with_intent(tracker, follow)
        if consecutive_fallbacks(tracker) >= 2:
            return await hand_over(dispatcher, tracker, "low_confidence")
        topics = ask_back_topics(tracker.latest_message)
        if topics:
            dispatcher.utter_message(response="utter_ask_back", offered=topics)
        else:
            dispatcher.utter_message(response="utter_default")
        return []


def _with_intent(tracker: Tracker, intent: Dict[str, Any]) -> List[EventType]:
    """Take the unclear message back and put it in again with ``intent``; the rules answer it."""
    user = next(e for e in reversed(tracker.events) if e.get("event") == "user")
    parse_data = {**(user.get("parse_data") or {}), "intent": dict(intent)}
    again = {**user, "parse_data": parse_data}
    return [UserUtteranceReverted(), ActionExecuted("action_listen"), again]
