"""The crisis safety net around the model: what the pipeline does with the detector's signal.

Three sources are combined, strongest first:

1. the lexicon detector (:mod:`bot.safety.detector`) on the person's text — and on its English
   translation when the NLU fallback made one. ``crisis`` answers with the crisis numbers and an
   urgent handover without asking the model at all (so it works while Rasa is down);
2. the NLU's ``crisis`` intent: as the top intent, Rasa's own rule answers with the numbers and
   hands over;
3. doubt: a ``hint`` from the lexicons, or the ``crisis`` intent ranked with at least
   ``LOTSE_CRISIS_NLU_HINT`` confidence without being the top intent — the answer goes out as usual,
   with the crisis numbers in front of it. A false alarm costs less than a missed crisis.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.language.languages import LANGUAGES
from bot.safety.detector import Signal

CRISIS_KEY = "utter_crisis"
CRISIS_INTENT = "crisis"


def nlu_crisis_confidence(payloads: Iterable[dict[str, Any]]) -> float:
    """The highest confidence the NLU gave the crisis intent in this turn (0 when not ranked)."""
    best = 0.0
    for payload in payloads:
        for name, confidence in (payload.get("nlu") or {}).get("ranking") or []:
            if name == CRISIS_INTENT:
                best = max(best, float(confidence))
    return best


def reply_language(signal: Signal, *, detected_reliably: bool, current: str, hint: str | None) -> str:
    """The language of the crisis answer.

    The conversation's language, unless the message's language could not be detected reliably
    (a short message, Arabic in Latin letters ...) and the crisis words came from one language's
    lexicon only: then that language; failing that the channel's hint.
    """
    if detected_reliably:
        return current
    found = [code for code in signal.languages if code in LANGUAGES]
    if len(found) == 1:
        return found[0]
    if hint in LANGUAGES and (not found or hint in found):
        return str(hint)
    return current
