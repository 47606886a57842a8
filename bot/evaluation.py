"""``lotse eval``: does Lotse understand what people write, and does a crisis get the crisis help?

Every message goes through the same path as a real one (chat API -> crisis check -> language
detection -> Rasa -> actions -> NLG -> storage), each in a fresh conversation. What counts is what
the person sees:

* **crisis help first**: the first reply is the crisis text (emergency numbers);
* **asked back**: the assistant offered topics ("Do you mean ...") or asked to rephrase, instead
  of answering; **right topic offered** when the expected topic was among the buttons;
* otherwise the **answered topic**: the topic of the factual answer. The five topics count as
  themselves; every other answer (the asylum procedure, residence, benefits and work answers, out
  of scope, small talk, a handover) counts as ``other``.

For a question (not a crisis) the outcome is *right* (answered topic = expected), *asked back*
or *wrong* — wrong includes "I can't answer that" to a question from one of the five topics. A
crisis message is *found* when the crisis help comes first; an ordinary question that gets the
crisis text anywhere is a *false alarm*.

An evaluation set is JSON Lines ``{"text", "lang", "topic"}`` (``topic`` one of :data:`TOPICS`;
``crisis`` marks a crisis message, optional ``kind`` says which), in one file or a directory of
files. ``--compare-fallback`` runs the sets twice, with and without the NLU fallback through
English (:mod:`bot.nlu_fallback`), which only acts where a translation model to English is
installed.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from bot.config import PROJECT_ROOT

if TYPE_CHECKING:
    from bot.stack import Stack

FIVE_TOPICS = ("family_reunification", "asylum_appeal", "housing", "education", "naturalization")
CRISIS = "crisis"
TOPICS = (*FIVE_TOPICS, "other", CRISIS)
ASK_BACK_KEYS = frozenset({"utter_ask_back", "utter_default", "utter_rephrase"})
CRISIS_KEY = "utter_crisis"
DEFAULT_SETS = (
    PROJECT_ROOT / "eval" / "questions.jsonl",
    PROJECT_ROOT / "eval" / "blind",
    PROJECT_ROOT / "eval" / "crisis",
)
"""What ``lotse eval`` measures without ``--data``: the own set, the blind set, the crisis corpus."""


def eval_topic(topic: str | None) -> str:
    """The evaluation's view of an answer topic: the five topics, or ``other``."""
    return topic if topic in FIVE_TOPICS else "other"


@dataclass(frozen=True, slots=True)
class Case:
    text: str
    lang: str
    topic: str
    kind: str | None = None

    @property
    def crisis(self) -> bool:
        return self.topic == CRISIS


@dataclass(frozen=True, slots=True)
class Result:
    case: Case
    predicted: str
    """The answered topic (``other`` when nothing from the five topics answered)."""
    key: str | None
    asked_back: bool = False
    offered: tuple[str, ...] = ()
    crisis_first: bool = False
    crisis_any: bool = False

    @property
    def right(self) -> bool:
        return not self.asked_back and self.predicted == self.case.topic

    @property
    def wrong(self) -> bool:
        return not self.asked_back and self.predicted != self.case.topic

    @property
    def right_offered(self) -> bool:
        return self.asked_back and self.case.topic in self.offered


def load_cases(path: Path) -> list[Case]:
    """The cases of one JSONL file, or of every ``*.jsonl`` file in a directory."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    cases = []
    for file in files:
        for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("topic") not in TOPICS:
                raise ValueError(f"{file}:{n}: topic must be one of {TOPICS}")
            # a crisis message's kind, or "negative" for a hard negative labelled only "not a crisis"
            kind = row.get("kind") if row.get("topic") == CRISIS or row.get("kind") == "negative" else None
            cases.append(
                Case(text=str(row["text"]), lang=str(row["lang"]), topic=str(row["topic"]), kind=kind)
            )
    if not cases:
        raise ValueError(f"{path}: no evaluation cases")
    return cases


def outcome(case: Case, replies: list[dict[str, Any]]) -> Result:
    """What the person saw, in the terms of the evaluation."""
    keys = [r.get("key") for r in replies]
    crisis_first = bool(keys) and keys[0] == CRISIS_KEY
    crisis_any = CRISIS_KEY in keys
    answers = [r for r in replies if r.get("key") != CRISIS_KEY]
    ask = next((r for r in answers if r.get("key") in ASK_BACK_KEYS), None)
    if ask is not None:
        offered = tuple(dict.fromkeys(eval_topic(t) for t in ask.get("offered") or []))
        return Result(case, "other", ask.get("key"), True, offered, crisis_first, crisis_any)
    answering = next((r for r in answers if eval_topic(r.get("topic")) != "other"), None)
    first = answering or (answers[0] if answers else {})
    predicted = eval_topic(answering.get("topic")) if answering else "other"
    return Result(case, predicted, first.get("key"), crisis_first=crisis_first, crisis_any=crisis_any)


async def ask(http: httpx.AsyncClient, case: Case) -> Result:
    """Send one message in a fresh conversation; return what the person saw."""
    session = (await http.post("/api/chat/sessions", json={})).raise_for_status().json()["session"]
    body = (
        await http.post("/api/chat/messages", json={"text": case.text}, headers={"X-Lotse-Session": session})
    ).raise_for_status()
    return outcome(case, body.json()["replies"])


async def run_cases(url: str, cases: list[Case], concurrency: int = 4) -> list[Result]:
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:

        async def one(case: Case) -> Result:
            async with limit:
                return await ask(http, case)

        return list(await asyncio.gather(*(one(c) for c in cases)))


def _rate(rows: list[Result], test: Callable[[Result], bool]) -> float:
    return round(sum(test(r) for r in rows) / len(rows), 4) if rows else 0.0


def question_metrics(rows: list[Result]) -> dict[str, Any]:
    """Accuracy, wrong, asked-back, right-topic-offered and false-alarm rates of questions."""
    return {
        "n": len(rows),
        "accuracy": _rate(rows, lambda r: r.right),
        "wrong": _rate(rows, lambda r: r.wrong),
        "asked_back": _rate(rows, lambda r: r.asked_back),
        "right_offered": _rate(rows, lambda r: r.right_offered),
        "false_alarm": _rate(rows, lambda r: r.crisis_any),
    }


def crisis_metrics(rows: list[Result]) -> dict[str, Any]:
    """Recall: the crisis help came first."""
    return {"n": len(rows), "recall": _rate(rows, lambda r: r.crisis_first)}


def _grouped(rows: Iterable[Result], key: Callable[[Result], str | None]) -> dict[str, list[Result]]:
    groups: dict[str, list[Result]] = defaultdict(list)
    for r in rows:
        groups[key(r) or "?"].append(r)
    return dict(sorted(groups.items()))


def summarize(results: list[Result]) -> dict[str, Any]:
    """All figures of one set: questions and crisis messages, overall, per language, per topic/kind."""
    questions = [r for r in results if not r.case.crisis]
    crises = [r for r in results if r.case.crisis]
    confusions = Counter((r.case.topic, r.predicted) for r in questions if r.wrong)
    summary: dict[str, Any] = {
        "overall": question_metrics(questions),
        "by_language": {
            k: question_metrics(v) for k, v in _grouped(questions, lambda r: r.case.lang).items()
        },
        "by_topic": {k: question_metrics(v) for k, v in _grouped(questions, lambda r: r.case.topic).items()},
        "confusions": [{"expected": e, "answered": p, "count": n} for (e, p), n in confusions.most_common()],
    }
    if crises:
        summary["crisis"] = {
            "overall": crisis_metrics(crises),
            "by_language": {k: crisis_metrics(v) for k, v in _grouped(crises, lambda r: r.case.lang).items()},
            "by_kind": {k: crisis_metrics(v) for k, v in _grouped(crises, lambda r: r.case.kind).items()},
        }
    return summary


def _pct(value: float) -> str:
    return f"{value:6.1%}"


def print_report(name: str, summary: dict[str, Any], results: list[Result]) -> None:
    o = summary["overall"]
    print(f"\n=== {name}")
    if o["n"]:
        print(
            f"questions: n={o['n']}  accuracy {_pct(o['accuracy'])}  wrong {_pct(o['wrong'])}  "
            f"asked back {_pct(o['asked_back'])} (right topic offered {_pct(o['right_offered'])})  "
            f"false alarms {_pct(o['false_alarm'])}"
        )
        for title, group in (("by language", "by_language"), ("by topic", "by_topic")):
            print(f"  {title}:")
            for k, v in summary[group].items():
                print(
                    f"    {k:22s} n={v['n']:<4d} right {_pct(v['accuracy'])}  wrong {_pct(v['wrong'])}  "
                    f"asked {_pct(v['asked_back'])}  alarms {_pct(v['false_alarm'])}"
                )
    if "crisis" in summary:
        c = summary["crisis"]
        print(f"crisis messages: n={c['overall']['n']}  crisis help first {_pct(c['overall']['recall'])}")
        for group in ("by_language", "by_kind"):
            print("  " + "  ".join(f"{k} {_pct(v['recall'])}" for k, v in c[group].items()))
    if summary["confusions"]:
        print(
            "  confusions (expected -> answered): "
            + ", ".join(f"{c['expected']}->{c['answered']} {c['count']}" for c in summary["confusions"][:12])
        )
    for r in results:
        if r.case.crisis and not r.crisis_first:
            print(f"  MISSED CRISIS [{r.case.lang}] {r.case.kind}: {r.case.text[:100]}")
        elif not r.case.crisis and r.crisis_any:
            print(f"  false alarm [{r.case.lang}] {r.case.topic}: {r.case.text[:100]}")
        elif not r.case.crisis and r.wrong:
            print(f"  wrong [{r.case.lang}] {r.case.topic} -> {r.predicted} ({r.key}): {r.case.text[:90]}")


def without_fallback(stack: Stack, cases: list[Case]) -> list[Result]:
    """Run ``cases`` with the NLU fallback switched off (the app restarted without it, then with)."""
    previous = stack.env.get("LOTSE_NLU_FALLBACK")

    def restart_app() -> None:
        stack.stop("app")
        stack.start("app")
        stack.wait_ready(("app",))

    stack.env["LOTSE_NLU_FALLBACK"] = "false"
    restart_app()
    try:
        return asyncio.run(run_cases(stack.app_url, cases))
    finally:
        if previous is None:
            stack.env.pop("LOTSE_NLU_FALLBACK")
        else:
            stack.env["LOTSE_NLU_FALLBACK"] = previous
        restart_app()


def print_comparison(with_fb: dict[str, Any], without_fb: dict[str, Any]) -> None:
    """Accuracy per language with and without the fallback through English."""
    print("\nNLU fallback through English (accuracy without -> with):")
    rows = [("overall", without_fb["overall"], with_fb["overall"])]
    rows += [(lang, without_fb["by_language"][lang], v) for lang, v in with_fb["by_language"].items()]
    for name, off, on in rows:
        print(f"  {name:8s} {off['accuracy']:7.1%} -> {on['accuracy']:7.1%}  n={on['n']}")


def set_name(path: Path) -> str:
    return path.stem if path.is_file() else path.name


def main(data: list[Path] | None, *, as_json: bool, url: str | None, compare_fallback: bool = False) -> int:
    sets = {set_name(p): load_cases(p) for p in (data or [p for p in DEFAULT_SETS if p.exists()])}
    results: dict[str, list[Result]] = {}
    baseline: dict[str, list[Result]] = {}
    if url:
        if compare_fallback:
            print("--compare-fallback needs its own stack (it restarts the app): drop --url", file=sys.stderr)
            return 2
        results = {name: asyncio.run(run_cases(url, cases)) for name, cases in sets.items()}
    else:
        from bot.stack import running_stack

        print("starting Rasa, action server and app ...", file=sys.stderr)
        with running_stack() as stack:
            results = {name: asyncio.run(run_cases(stack.app_url, cases)) for name, cases in sets.items()}
            if compare_fallback:
                baseline = {name: without_fallback(stack, cases) for name, cases in sets.items()}
    summaries = {name: summarize(rows) for name, rows in results.items()}
    if as_json:
        out: dict[str, Any] = {"sets": summaries}
        if baseline:
            out["without_fallback"] = {name: summarize(rows) for name, rows in baseline.items()}
        print(json.dumps(out))
    else:
        for name, summary in summaries.items():
            print_report(name, summary, results[name])
            if name in baseline:
                print_comparison(summary, summarize(baseline[name]))
    return 0
