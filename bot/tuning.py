"""``lotse tune``: choose the ask-back thresholds and the crisis doubt threshold on a development split.

The evaluation sets (``eval/questions.jsonl``, ``eval/blind``, ``eval/crisis``) are never used
here. The development split is ``eval/dev`` (questions written beside the training data, and the
crisis corpus the lexicons were built from) plus any ``--data`` file with the same format.

Each development message is parsed once with the trained model (``/model/parse``); what the
assistant would do is then simulated for every candidate setting, exactly as Rasa's
FallbackClassifier decides (``assistant/components/lotse_fallback.py``): ask back when the best
intent's confidence is below its threshold — ``threshold`` for an answer, ``out_of_scope`` for the
out-of-scope reply, which states no fact — or less than ``ambiguity`` ahead of the second. A wrong
answer costs more than asking back, so the recommendation maximises ``accuracy - WRONG_COST * wrong``
(ask-backs score 0), averaged over the development sets (``eval/dev`` and each ``--data`` file):
pooled, the development split's hundreds of written questions would outvote the few real ones, on
which wrong answers are far more frequent. Only settings that keep every development set's wrong
answers at or below ``MAX_WRONG`` (the goal for real questions) are recommended, as long as one does:
the objective alone would buy a few more right answers with twice as many wrong ones.
The crisis doubt threshold (``LOTSE_CRISIS_NLU_HINT``) is chosen on the NLU alone: the lexicons
were written against the development crisis corpus, so only the model's share can be measured
there. It is the lowest NLU crisis confidence that raises the model's false alarms on development
questions by no more than ``MAX_EXTRA_FALSE_ALARMS`` over the model's own crisis answers.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import PROJECT_ROOT, get_settings
from bot.evaluation import CRISIS, Case, eval_topic, load_cases
from bot.rasa_client import RasaClient
from bot.safety.detector import check as crisis_check

DEV_DIR = PROJECT_ROOT / "eval" / "dev"
WRONG_COST = 2.0
MAX_WRONG = 0.05
"""Goal: at most 5 % confidently wrong answers on real questions, on each development set."""
MAX_EXTRA_FALSE_ALARMS = 0.01
THRESHOLDS = tuple(round(0.30 + 0.05 * i, 2) for i in range(14))  # 0.30 .. 0.95
AMBIGUITIES = tuple(round(0.05 * i, 2) for i in range(9))  # 0.00 .. 0.40
OUT_OF_SCOPE = "out_of_scope"
OUT_OF_SCOPE_THRESHOLDS = (None, *(round(0.30 + 0.05 * i, 2) for i in range(7)))  # as threshold, .3-.6
CRISIS_HINTS = (0.05, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 1.01)
INTENT_TOPICS = {
    "faq_family": "family_reunification",
    "faq_appeal": "asylum_appeal",
    "faq_housing": "housing",
    "faq_education": "education",
    "faq_naturalization": "naturalization",
}
MIN_OPTION_CONFIDENCE = 0.05
MAX_OPTIONS = 3
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
MIN_TO_FOLLOW = 0.5
"""As in actions/fallback.py (Rasa's environment; a unit test keeps the two equal)."""


@dataclass(frozen=True, slots=True)
class Parsed:
    case: Case
    ranking: tuple[tuple[str, float], ...]
    """Intents best first, without ``nlu_fallback``."""
    detector: str | None
    """The lexicon detector's level (``crisis``, ``hint`` or None)."""
    source: str = ""
    """The development set the message comes from (objectives are averaged over sets)."""

    @property
    def crisis_confidence(self) -> float:
        return next((c for name, c in self.ranking if name == CRISIS), 0.0)


def intent_topic(intent: str) -> str:
    return INTENT_TOPICS.get(intent.split("/")[0], "other")


def threshold_for(intent: str, threshold: float, per_intent: Mapping[str, float] | None) -> float:
    """As ``threshold_for`` in assistant/components/lotse_fallback.py (a unit test keeps them equal)."""
    return float((per_intent or {}).get(intent.split("/")[0], threshold))


def decide(
    p: Parsed, threshold: float, ambiguity: float, per_intent: Mapping[str, float] | None = None
) -> tuple[str, tuple[str, ...] | None]:
    """(answered topic, offered topics or None): what the assistant would do."""
    if p.detector == "crisis":
        return CRISIS, None
    top, conf = p.ranking[0] if p.ranking else ("", 0.0)
    second = p.ranking[1][1] if len(p.ranking) > 1 else 0.0
    if top in FOLLOWED_WITHOUT_ASKING and conf >= MIN_TO_FOLLOW:
        return (CRISIS if top == CRISIS else "other"), None
    if conf < threshold_for(top, threshold, per_intent) or conf - second < ambiguity:
        offered: list[str] = []
        for name, c in p.ranking:
            topic = INTENT_TOPICS.get(name.split("/")[0])
            if topic and topic not in offered and c >= MIN_OPTION_CONFIDENCE:
                offered.append(topic)
        return "other", tuple(offered[:MAX_OPTIONS])
    if top == CRISIS:
        return CRISIS, None
    return intent_topic(top), None


NEGATIVE = "negative"
"""Kind of the hard negatives in the development crisis rounds: ordinary messages labelled only "not a
crisis" (topic ``other``), not with the topic they ask about — they count for false alarms only."""


def score(
    parsed: list[Parsed], threshold: float, ambiguity: float, out_of_scope: float | None = None
) -> dict[str, Any]:
    """Right, wrong and asked back over all questions; ``objective`` is the mean of each development
    set's ``right - WRONG_COST * wrong``. ``out_of_scope``: that intent's own threshold (None: as
    ``threshold``)."""
    per_intent = {} if out_of_scope is None else {OUT_OF_SCOPE: out_of_scope}
    questions = [p for p in parsed if p.case.topic != CRISIS and p.case.kind != NEGATIVE]
    right = wrong = asked = offered_right = 0
    by_set: dict[str, list[int]] = {}
    for p in questions:
        topic, offered = decide(p, threshold, ambiguity, per_intent)
        counts = by_set.setdefault(p.source, [0, 0, 0])  # right, wrong, n
        counts[2] += 1
        if offered is not None:
            asked += 1
            offered_right += eval_topic(p.case.topic) in offered
        elif topic == eval_topic(p.case.topic):
            right += 1
            counts[0] += 1
        else:
            wrong += 1
            counts[1] += 1
    n = max(len(questions), 1)
    objectives = [(r - WRONG_COST * w) / total for r, w, total in by_set.values()]
    return {
        "wrong_max": max((w / total for _, w, total in by_set.values()), default=0.0),
        "threshold": threshold,
        "out_of_scope": out_of_scope,
        "ambiguity": ambiguity,
        "accuracy": right / n,
        "wrong": wrong / n,
        "asked_back": asked / n,
        "right_offered": offered_right / n,
        "objective": sum(objectives) / len(objectives) if objectives else 0.0,
    }


def crisis_table(parsed: list[Parsed]) -> list[dict[str, float]]:
    """For each doubt threshold: the model's crisis recall (top intent or doubt) and false alarms."""
    crises = [p for p in parsed if p.case.topic == CRISIS]
    questions = [p for p in parsed if p.case.topic != CRISIS]
    rows = []
    for hint in CRISIS_HINTS:

        def alarms(p: Parsed, hint: float = hint) -> bool:
            top = p.ranking[0][0] if p.ranking else ""
            return top == CRISIS or p.crisis_confidence >= hint

        rows.append(
            {
                "crisis_nlu_hint": hint,
                "recall": sum(map(alarms, crises)) / max(len(crises), 1),
                "false_alarm": sum(map(alarms, questions)) / max(len(questions), 1),
            }
        )
    return rows


async def parse_all(
    rasa: RasaClient, cases: list[Case], concurrency: int = 4, sources: list[str] | None = None
) -> list[Parsed]:
    """Each case parsed by the model; ``sources[i]`` names the development set of ``cases[i]``."""
    limit = asyncio.Semaphore(concurrency)

    async def one(case: Case, source: str) -> Parsed:
        async with limit:
            data = await rasa.parse(case.text)
        ranking = tuple(
            (str(r["name"]), float(r.get("confidence") or 0.0))
            for r in data.get("intent_ranking") or []
            if r.get("name") and r.get("name") != "nlu_fallback"
        )
        level = crisis_check(case.text).level
        ranked = tuple(sorted(ranking, key=lambda r: -r[1]))
        return Parsed(case, ranked, level.value if level else None, source)

    try:
        return list(
            await asyncio.gather(
                *(one(c, s) for c, s in zip(cases, sources or [""] * len(cases), strict=True))
            )
        )
    finally:
        await rasa.aclose()


def load_dev(extra: list[Path]) -> tuple[list[Case], list[str]]:
    """The development cases and, for each, its set: ``eval/dev``, or the ``--data`` file's path."""
    cases: list[Case] = []
    sources: list[str] = []
    for path in sorted(DEV_DIR.glob("*.jsonl")):
        cases += (loaded := load_cases(path))
        sources += ["eval/dev"] * len(loaded)
    for path in extra:
        cases += (loaded := load_cases(path))
        sources += [str(path)] * len(loaded)
    return cases, sources


def recommend(parsed: list[Parsed]) -> dict[str, Any]:
    grid = [
        score(parsed, t, a, o)
        for t in THRESHOLDS
        for a in AMBIGUITIES
        for o in OUT_OF_SCOPE_THRESHOLDS
        if o is None or o < t
    ]
    allowed = [r for r in grid if r["wrong_max"] <= MAX_WRONG] or grid
    best = max(allowed, key=lambda r: (round(r["objective"], 4), -r["asked_back"]))
    crisis = crisis_table(parsed)
    floor = crisis[-1]["false_alarm"]  # the last threshold is above 1: no doubt at all
    ok = [r for r in crisis if r["false_alarm"] <= floor + MAX_EXTRA_FALSE_ALARMS]
    hint = min(ok, key=lambda r: r["crisis_nlu_hint"])
    return {"ask_back": best, "grid": allowed, "crisis": hint, "crisis_table": crisis}


def main(extra: list[Path], *, as_json: bool, rasa_url: str | None) -> int:
    cases, sources = load_dev(extra)
    if not cases:
        print(f"no development data in {DEV_DIR}", file=sys.stderr)
        return 2
    settings = get_settings()
    if rasa_url:
        client = RasaClient(base_url=rasa_url, token=settings.secret("rasa_token"), timeout_s=60)
        parsed = asyncio.run(parse_all(client, cases, sources=sources))
    else:
        from bot.stack import running_stack

        print("starting Rasa, action server and app ...", file=sys.stderr)
        with running_stack() as stack:
            token = stack.env.get("LOTSE_RASA_TOKEN") or settings.secret("rasa_token")
            client = RasaClient(base_url=stack.rasa_url, token=token, timeout_s=60)
            parsed = asyncio.run(parse_all(client, cases, sources=sources))
    result = recommend(parsed)
    if as_json:
        print(json.dumps(result | {"n": len(parsed)}))
        return 0
    print(f"development messages: {len(parsed)}")
    print(f"best margin per threshold (settings with at most {MAX_WRONG:.0%} wrong in every set):")
    print(
        "threshold out_of_scope ambiguity  accuracy  wrong  asked back (right offered)  objective"
        "  wrong in the worst set"
    )
    per_threshold: dict[float, dict[str, float]] = {}
    for r in result["grid"]:
        if r["objective"] > per_threshold.get(r["threshold"], {"objective": -9.0})["objective"]:
            per_threshold[r["threshold"]] = r
    for r in per_threshold.values():
        print(
            f"  {r['threshold']:.2f}      {_oos(r)}         {r['ambiguity']:.2f}     {r['accuracy']:6.1%}  "
            f"{r['wrong']:6.1%}  "
            f"{r['asked_back']:6.1%} ({r['right_offered']:6.1%})   {r['objective']:.3f}"
            f"   {r['wrong_max']:6.1%}"
        )
    b = result["ask_back"]
    print(
        f"recommended TieredFallbackClassifier: threshold {b['threshold']}, "
        f"intent_thresholds out_of_scope {_oos(b)}, ambiguity_threshold {b['ambiguity']}"
    )
    print("crisis doubt threshold  recall  false alarms")
    for r in result["crisis_table"]:
        print(f"  {r['crisis_nlu_hint']:.2f}  {r['recall']:6.1%}  {r['false_alarm']:6.1%}")
    print(f"recommended LOTSE_CRISIS_NLU_HINT: {result['crisis']['crisis_nlu_hint']}")
    return 0


def _oos(row: dict[str, Any]) -> str:
    """The out-of-scope threshold of a grid row as printed (the answer threshold when it has none)."""
    return f"{row['out_of_scope'] if row['out_of_scope'] is not None else row['threshold']:.2f}"
