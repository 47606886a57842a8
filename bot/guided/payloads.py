"""Button payloads of the guided flows: ``/flow{"f": flow, "s": step, "v": value}``.

They are Lotse's own payloads (allowed by :mod:`bot.commands`) and the app handles them itself;
Rasa never sees them. The step travels with the value, so a button pressed on an old message
(an earlier step) is recognised as stale instead of being taken as the answer to the current step.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

FLOWS = ("appeal", "family", "education", "flat_search", "flat_help", "interpreter", "counselling")
REMINDERS = "reminders"
MENU = "menu"
"""Not a flow: the list of all guided flows ("step-by-step help")."""
PROFILE = "profile"
"""Pseudo-flow of the profile buttons: step ``show`` or ``delete``."""
START = "start"
STOP = "stop"

_PAYLOAD = re.compile(r"/flow(\{.{0,200}\})", re.DOTALL)
_VALUE = re.compile(r"[a-z0-9_-]{1,20}")
_NAME = re.compile(r"[a-z_]{1,20}")


@dataclass(frozen=True, slots=True)
class FlowPayload:
    flow: str
    step: str
    value: str


def flow_payload(flow: str, step: str, value: str) -> str:
    """The payload of a button that answers ``step`` of ``flow`` with ``value``."""
    return "/flow" + json.dumps({"f": flow, "s": step, "v": value}, separators=(",", ":"))


def start_payload(flow: str) -> str:
    return flow_payload(flow, START, START)


def menu_payload() -> str:
    return flow_payload(MENU, START, START)


def stop_reminders_payload() -> str:
    return flow_payload(REMINDERS, STOP, STOP)


def profile_payload(action: str) -> str:
    """The payload of "show my profile" (``show``) or "delete my profile" (``delete``)."""
    return flow_payload(PROFILE, action, action)


def valid_entities(entities: object) -> bool:
    """Whether a payload's JSON object is one of ours (for the command allow-list)."""
    if not isinstance(entities, dict) or set(entities) != {"f", "s", "v"}:
        return False
    flow, step, value = entities["f"], entities["s"], entities["v"]
    return (
        flow in (*FLOWS, REMINDERS, MENU, PROFILE)
        and isinstance(step, str)
        and _NAME.fullmatch(step) is not None
        and isinstance(value, str)
        and _VALUE.fullmatch(value) is not None
    )


def parse_payload(text: str) -> FlowPayload | None:
    """The flow payload in ``text``, or None if it is not one (or not well-formed)."""
    match = _PAYLOAD.fullmatch(text.strip())
    if match is None:
        return None
    try:
        entities = json.loads(match.group(1))
    except ValueError:
        return None
    if not valid_entities(entities):
        return None
    return FlowPayload(entities["f"], entities["s"], entities["v"])
