"""``lotse eval``: how often the answer's topic matches the question's topic.

Every question goes through the same path as a real message (chat API -> language detection ->
Rasa -> actions -> NLG -> storage), each in a fresh conversation. The topic of the reply is the
topic of the content item that answered, or ``other`` for anything else (fallback, out of scope,
small talk, handover).

``--compare-fallback`` runs the set twice, with and without the NLU fallback through English
(:mod:`bot.nlu_fallback`), which only acts where a translation model to English is installed.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from bot.stack import Stack

TOPICS = ("family_reunification", "asylum_appeal", "housing", "education", "naturalization", "other")


@dataclass(frozen=True, slots=True)
class Case:
    text: str
    lang: str
    topic: str


@dataclass(frozen=True, slots=True)
class Result:
    case: Case
    predicted: str
    key: str | None


def load_cases(path: Path) -> list[Case]:
    cases = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("topic") not in TOPICS:
            raise ValueError(f"{path}:{n}: topic must be one of {TOPICS}")
        cases.append(Case(text=str(row["text"]), lang=str(row["lang"]), topic=str(row["topic"])))
    return cases


async def ask(http: httpx.AsyncClient, case: Case) -> Result:
    """Send one question in a fresh conversation; return the topic of the answer."""
    session = (await http.post("/api/chat/sessions", json={})).raise_for_status().json()["session"]
    body = (
        await http.post("/api/chat/messages", json={"session": session, "text": case.text})
    ).raise_for_status()
    replies: list[dict[str, Any]] = body.json()["replies"]
    answering = next((r for r in replies if r.get("topic") and r["topic"] != "other"), None)
    if answering is None:
        return Result(case, "other", replies[0].get("key") if replies else None)
    return Result(case, str(answering["topic"]), answering.get("key"))


async def run_cases(url: str, cases: list[Case], concurrency: int = 4) -> list[Result]:
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:

        async def one(case: Case) -> Result:
            async with limit:
                return await ask(http, case)

        return list(await asyncio.gather(*(one(c) for c in cases)))


def summarize(results: list[Result]) -> dict[str, Any]:
    """Accuracy overall, per language and per (expected) topic, plus the confusions."""

    def acc(rows: list[Result]) -> dict[str, Any]:
        correct = sum(r.predicted == r.case.topic for r in rows)
        return {"accuracy": round(correct / len(rows), 4) if rows else 0.0, "n": len(rows)}

    by_lang: dict[str, list[Result]] = defaultdict(list)
    by_topic: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_lang[r.case.lang].append(r)
        by_topic[r.case.topic].append(r)
    confusions = Counter((r.case.topic, r.predicted) for r in results if r.predicted != r.case.topic)
    return {
        "overall": acc(results),
        "by_language": {k: acc(v) for k, v in sorted(by_lang.items())},
        "by_topic": {k: acc(v) for k, v in sorted(by_topic.items())},
        "confusions": [{"expected": e, "predicted": p, "count": n} for (e, p), n in confusions.most_common()],
    }


def print_report(summary: dict[str, Any], results: list[Result]) -> None:
    o = summary["overall"]
    print(f"overall: {o['accuracy']:.1%} of {o['n']}")
    print("\nby language:")
    for lang, v in summary["by_language"].items():
        print(f"  {lang:4s} {v['accuracy']:7.1%}  n={v['n']}")
    print("\nby topic:")
    for topic, v in summary["by_topic"].items():
        print(f"  {topic:22s} {v['accuracy']:7.1%}  n={v['n']}")
    print("\nconfusions (expected -> answered):")
    for c in summary["confusions"]:
        print(f"  {c['expected']:22s} -> {c['predicted']:22s} {c['count']}")
    print("\nmisses:")
    for r in results:
        if r.predicted != r.case.topic:
            print(f"  [{r.case.lang}] {r.case.topic} -> {r.predicted} ({r.key}): {r.case.text[:90]}")


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


def main(data: Path, *, as_json: bool, url: str | None, compare_fallback: bool = False) -> int:
    cases = load_cases(data)
    baseline: list[Result] | None = None
    if url:
        if compare_fallback:
            print("--compare-fallback needs its own stack (it restarts the app): drop --url", file=sys.stderr)
            return 2
        results = asyncio.run(run_cases(url, cases))
    else:
        from bot.stack import running_stack

        print("starting Rasa, action server and app ...", file=sys.stderr)
        with running_stack() as stack:
            results = asyncio.run(run_cases(stack.app_url, cases))
            if compare_fallback:
                baseline = without_fallback(stack, cases)
    summary = summarize(results)
    if as_json:
        out = {k: summary[k] for k in ("overall", "by_language", "by_topic")}
        if baseline is not None:
            off = summarize(baseline)
            out["without_fallback"] = {k: off[k] for k in ("overall", "by_language", "by_topic")}
        print(json.dumps(out))
    else:
        print_report(summary, results)
        if baseline is not None:
            print_comparison(summary, summarize(baseline))
    return 0
