"""Which texts starting with ``/`` a public channel may pass to Rasa as an intent.

Rasa reads ``/intent{"entity": "value"}`` as that intent with no NLU, so a person could type
``/crisis`` or script ``/request_human`` by the thousand. Only the payloads Lotse itself offers (its
buttons, the web page's greeting, Telegram's /human command) are commands; any other text starting
with ``/`` is read as ordinary words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping

from bot.content.render import ANSWER_TOPICS
from bot.guided.payloads import valid_entities as valid_flow_entities
from bot.language.languages import LANGUAGES

_COMMAND = re.compile(r"/(?P<intent>[a-z_]{1,40})(?P<entities>\{.{0,200}\})?", re.DOTALL)

EntityCheck = Mapping[str, Callable[[object], bool]]
_NONE: EntityCheck = {}

# intent -> the entities (and their allowed values) its button payload carries
_BUTTONS: dict[str, EntityCheck] = {
    "request_human": _NONE,
    "help_menu": _NONE,
    "something_else": _NONE,
    "choose_topic": {"topic": lambda v: isinstance(v, str) and v in ANSWER_TOPICS},
    "choose_language": {"language": lambda v: isinstance(v, str) and v in LANGUAGES},
    "flow": {},  # checked as a whole by bot.guided.payloads.valid_entities
}

ALLOWED: dict[str, dict[str, EntityCheck]] = {
    # the web page greets with /greet when it opens
    "web": {**_BUTTONS, "greet": _NONE},
    # Telegram's own commands (/start, /delete …) are handled by the channel; /human sends /request_human
    "telegram": dict(_BUTTONS),
}


def is_allowed_command(channel: str, text: str) -> bool:
    """Whether ``text`` is a payload Lotse offers on ``channel`` (an intent with known entities)."""
    match = _COMMAND.fullmatch(text.strip())
    if match is None:
        return False
    entity_checks = ALLOWED.get(channel, {}).get(match["intent"])
    if entity_checks is None:
        return False
    raw = match["entities"]
    if match["intent"] == "flow":  # guided flows: handled by the app itself (bot.guided)
        try:
            return raw is not None and valid_flow_entities(json.loads(raw))
        except ValueError:
            return False
    if raw is None:
        return not entity_checks
    try:
        entities = json.loads(raw)
    except ValueError:
        return False
    return (
        isinstance(entities, dict)
        and set(entities) == set(entity_checks)
        and all(check(entities[name]) for name, check in entity_checks.items())
    )


def neutralise(channel: str, text: str) -> str:
    """``text`` for the NLU: an allowed command unchanged, anything else without its leading slashes."""
    if not text.startswith("/") or is_allowed_command(channel, text):
        return text
    return text.lstrip("/").lstrip()
