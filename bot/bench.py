"""``lotse bench``: latency and throughput of the full path, with bare Rasa REST as the floor.

Full path: chat API -> storage -> language detection -> Rasa (NLU, policies, actions, NLG callback
into the app) -> storage of answers and analytics. Floor: the same messages posted straight to
Rasa's REST channel (which still calls the NLG endpoint and the action server, as Rasa is
configured). Both run in the same stack, one after the other, with ``N`` concurrent conversations
of ``M`` messages each. This is a measurement, not a test: nothing here passes or fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from bot.config import PROJECT_ROOT

if TYPE_CHECKING:
    from bot.stack import Stack

FALLBACK_MESSAGES = [
    "hallo",
    "wie lange habe ich zeit für den familiennachzug nach der anerkennung",
    "my asylum was rejected what is the deadline for klage",
    "كيف بدي لاقي بيت بعد الاعتراف",
    "мені потрібен інтеграційний курс",
    "vatandaşlık için kaç yıl lazım",
]


@dataclass(frozen=True)
class Placement:
    """Which cores the stack and the load generator run on (``--server-cpus``/``--client-cpus``).

    On a small machine the generator competes with the stack for the same cores and cannot offer
    twice the stack's capacity; with the stack on some cores and the generator on others the
    overload measured is the stack's, and its capacity is that of the cores it was given."""

    server: frozenset[int]
    client: frozenset[int]

    @classmethod
    def parse(cls, server: str, client: str | None) -> Placement:
        chosen = frozenset(int(c) for c in server.split(",") if c.strip())
        usable = frozenset(os.sched_getaffinity(0))
        if not chosen or not chosen <= usable:
            raise ValueError(f"--server-cpus {server!r}: choose among the usable cores {sorted(usable)}")
        rest = frozenset(int(c) for c in client.split(",") if c.strip()) if client else usable - chosen
        if not rest or not rest <= usable:
            raise ValueError("--client-cpus: no core left for the load generator")
        return cls(chosen, rest)

    def pin_client(self) -> None:
        os.sched_setaffinity(0, self.client)


def _group_cpu_seconds(pgid: int) -> float:
    """User + system CPU time of every live process in process group ``pgid`` (Linux ``/proc``)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[2]) == pgid:  # fields after the name: state ppid pgrp ... utime(11) stime(12)
            total += int(fields[11]) + int(fields[12])
    return total / tick


class CpuMeter:
    """Where the CPU went during a measurement: cores used by each stack process (with its children,
    e.g. Rasa's workers) and by the load generator — the profile that shows what limits throughput
    on a small machine. Processes that ended during the run are not counted."""

    def __init__(self, groups: Mapping[str, int]) -> None:
        self.groups = dict(groups)
        self._start = self._sample()

    def _sample(self) -> dict[str, float]:
        sample = {name: _group_cpu_seconds(pgid) for name, pgid in self.groups.items()}
        times = os.times()
        sample["load generator"] = times.user + times.system
        sample["wall"] = time.monotonic()
        return sample

    def cores(self) -> dict[str, float]:
        """Cores used on average since the meter started."""
        end = self._sample()
        wall = max(1e-9, end["wall"] - self._start["wall"])
        return {k: round((end[k] - self._start[k]) / wall, 2) for k in end if k != "wall"}

    def lap(self) -> dict[str, float]:
        """Cores used on average since the last lap (or the start); starts the next lap."""
        used = self.cores()
        self._start = self._sample()
        return used


def messages() -> list[str]:
    path = PROJECT_ROOT / "eval" / "questions.jsonl"
    if path.exists():
        return [
            json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
    return FALLBACK_MESSAGES


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def _drive(
    conversations: int,
    per_conversation: int,
    send: Callable[[int, int], Awaitable[None]],
    by_position: dict[int, list[float]] | None = None,
) -> tuple[list[float], float]:
    """Closed loop; ``by_position`` (when given) collects the latencies by message number."""
    latencies: list[float] = []

    async def conversation(c: int) -> None:
        for m in range(per_conversation):
            start = time.perf_counter()
            await send(c, m)
            latency = (time.perf_counter() - start) * 1000
            latencies.append(latency)
            if by_position is not None:
                by_position.setdefault(m, []).append(latency)

    start = time.perf_counter()
    await asyncio.gather(*(conversation(c) for c in range(conversations)))
    return latencies, time.perf_counter() - start


EDGE = 10
"""Messages at each end of a conversation compared by ``first_vs_last`` (cost per message growing)."""


def first_vs_last(by_position: dict[int, list[float]]) -> dict[str, float]:
    """Median latency of the first and the last ``EDGE`` messages of every conversation."""
    positions = sorted(by_position)
    if len(positions) < 2 * EDGE:
        return {}
    first = [v for m in positions[:EDGE] for v in by_position[m]]
    last = [v for m in positions[-EDGE:] for v in by_position[m]]
    return {
        "first_p50_ms": round(statistics.median(first), 1),
        "last_p50_ms": round(statistics.median(last), 1),
    }


PLAIN_ANSWERS = (
    "faq_housing/deposit",
    "faq_housing/wbs",
    "faq_housing/registration",
    "faq_appeal/which_court",
    "faq_naturalization/test",
    "faq_naturalization/dual_citizenship",
    "faq_education/school",
    "faq_education/integration_course",
    "faq_family/language_requirement",
)
"""Answers that are plain facts: no guided flow, no handover offer."""


def plain_questions() -> list[str]:
    """German and English training examples of :data:`PLAIN_ANSWERS`: questions the assistant
    answers itself, so that a long conversation stays with it (a handover pauses it, and a paused
    conversation's turns skip the model) and message 200 costs what a real turn costs."""
    import yaml

    texts: list[str] = []
    for path in sorted(p for lang in ("de", "en") for p in (PROJECT_ROOT / "nlu_data").glob(f"*/{lang}.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if block.get("intent") in PLAIN_ANSWERS:
                texts += [
                    line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")
                ]
    return texts or FALLBACK_MESSAGES


async def measure(app_url: str, rasa_url: str, conversations: int, per_conversation: int) -> dict[str, float]:
    texts = plain_questions()
    limits = httpx.Limits(max_connections=conversations * 2)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        sessions = [
            (await http.post(f"{app_url}/api/chat/sessions", json={})).raise_for_status().json()["session"]
            for _ in range(conversations)
        ]
        run_id = uuid.uuid4().hex[:8]

        async def full(c: int, m: int) -> None:
            text = texts[(c * per_conversation + m) % len(texts)]
            headers = {"X-Lotse-Session": sessions[c]}
            (
                await http.post(f"{app_url}/api/chat/messages", json={"text": text}, headers=headers)
            ).raise_for_status()

        async def bare(c: int, m: int) -> None:
            text = texts[(c * per_conversation + m) % len(texts)]
            body = {"sender": f"bench-{run_id}-{c}", "message": text}
            (await http.post(f"{rasa_url}/webhooks/rest/webhook", json=body)).raise_for_status()

        warm = min(2, conversations)
        await _drive(warm, 2, bare)  # warm-up: first requests load lazy parts of the model
        await _drive(warm, 2, full)
        rasa_pos: dict[int, list[float]] = {}
        full_pos: dict[int, list[float]] = {}
        rasa_lat, _ = await _drive(conversations, per_conversation, bare, rasa_pos)
        full_lat, full_s = await _drive(conversations, per_conversation, full, full_pos)
    p50, rasa_p50 = statistics.median(full_lat), statistics.median(rasa_lat)
    edges = {
        **first_vs_last(full_pos),
        **{f"rasa_{k}": v for k, v in first_vs_last(rasa_pos).items()},
    }
    return {
        **edges,
        "p50_ms": round(p50, 1),
        "p95_ms": round(percentile(full_lat, 0.95), 1),
        "msgs_per_s": round(len(full_lat) / full_s, 1),
        "rasa_p50_ms": round(rasa_p50, 1),
        "rasa_p95_ms": round(percentile(rasa_lat, 0.95), 1),
        "overhead_ratio": round(p50 / rasa_p50, 3),
    }


async def _floor(http: httpx.AsyncClient, rasa_url: str, texts: list[str]) -> dict[str, float]:
    """Bare Rasa, closed loop, 4 conversations x 5 messages: the floor printed beside every mode."""
    run_id = uuid.uuid4().hex[:8]

    async def bare(c: int, m: int) -> None:
        body = {"sender": f"floor-{run_id}-{c}", "message": texts[(c * 5 + m) % len(texts)]}
        (await http.post(f"{rasa_url}/webhooks/rest/webhook", json=body)).raise_for_status()

    latencies, _ = await _drive(4, 5, bare)
    return {
        "rasa_p50_ms": round(statistics.median(latencies), 1),
        "rasa_p95_ms": round(percentile(latencies, 0.95), 1),
    }


async def open_loop(
    http: httpx.AsyncClient,
    app_url: str,
    texts: list[str],
    *,
    rate: float,
    seconds: float,
    conversations: int,
) -> dict[str, float]:
    """Poisson arrivals at ``rate`` per second for ``seconds`` over ``conversations`` web-chat sessions,
    the way people write: nobody waits for anybody else. A 503 (busy) is sent again after its
    Retry-After with the same client_id, as the web chat does; latency counts from the first attempt.
    """
    rng = random.Random(7)
    sessions = [
        (await http.post(f"{app_url}/api/chat/sessions", json={})).raise_for_status().json()["session"]
        for _ in range(conversations)
    ]
    latencies: list[float] = []
    finished: list[float] = []
    counts = {"answered": 0, "busy_503": 0, "errors": 0, "retries_given_up": 0}

    async def one(n: int) -> None:
        body = {"text": texts[n % len(texts)], "client_id": str(uuid.uuid4())}
        headers = {"X-Lotse-Session": sessions[rng.randrange(conversations)]}
        start = time.perf_counter()
        for _ in range(20):
            try:
                response = await http.post(f"{app_url}/api/chat/messages", json=body, headers=headers)
            except httpx.HTTPError:
                counts["errors"] += 1
                return
            if response.status_code == 503:
                counts["busy_503"] += 1
                await asyncio.sleep(float(response.headers.get("Retry-After", "3")))
                continue
            if response.status_code == 200:
                counts["answered"] += 1
                finished.append(time.perf_counter())
                latencies.append((finished[-1] - start) * 1000)
            else:
                counts["errors"] += 1
            return
        counts["retries_given_up"] += 1

    tasks: list[asyncio.Task[None]] = []
    begin = time.perf_counter()
    n = 0
    while (elapsed := time.perf_counter() - begin) < seconds:
        tasks.append(asyncio.create_task(one(n)))
        n += 1
        await asyncio.sleep(max(0.0, begin + elapsed + rng.expovariate(rate) - time.perf_counter()))
    await asyncio.gather(*tasks)
    return {
        "offered_per_s": round(n / seconds, 2),
        "served_per_s": round(sum(1 for t in finished if t <= begin + seconds) / seconds, 2),
        "drain_s": round(max(finished, default=begin + seconds) - begin - seconds, 1),
        "p50_ms": round(percentile(latencies, 0.5), 1) if latencies else 0.0,
        "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else 0.0,
        "p99_ms": round(percentile(latencies, 0.99), 1) if latencies else 0.0,
        "sent": n,
        **counts,
    }


async def measure_open(
    app_url: str,
    rasa_url: str,
    *,
    rate: float,
    seconds: float,
    conversations: int,
    find_capacity: bool,
    meter: CpuMeter | None = None,
) -> dict[str, object]:
    texts = messages()
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=2000)) as http:
        floor = await _floor(http, rasa_url, texts)
        if meter:
            meter.lap()  # from here on, per run
        runs: list[dict[str, float]] = []
        current = rate
        capacity = 0.0
        while current <= 200:
            run = await open_loop(
                http, app_url, texts, rate=current, seconds=seconds, conversations=conversations
            )
            if meter:
                run["cpu_cores"] = meter.lap()  # type: ignore[assignment]
            runs.append(run)
            if not find_capacity:
                return {"floor": floor, "runs": runs}
            if run["p95_ms"] > 1000 or run["errors"]:
                break
            capacity = current
            current = round(current * 1.5, 1)
        return {"floor": floor, "runs": runs, "capacity_per_s": capacity}


@contextmanager
def _bench_stack(
    stack_env: Mapping[str, str] | None, cpus: Placement | None
) -> Iterator[tuple[Stack, CpuMeter]]:
    """The stack under test (pinned to the server cores, the load generator to the others) and a
    meter of the CPU its processes use."""
    from bot.stack import running_stack

    print("starting Rasa, action server and app ...", file=sys.stderr)
    with running_stack(stack_env, cpus.server if cpus else None) as stack:
        if cpus:
            cpus.pin_client()
        yield stack, CpuMeter({name: proc.pid for name, proc in stack.procs.items()})


def main(
    *,
    conversations: int,
    messages: int,
    as_json: bool,
    url: Path | None = None,
    stack_env: Mapping[str, str] | None = None,
    cpus: Placement | None = None,
) -> int:
    with _bench_stack(stack_env, cpus) as (stack, meter):
        result: dict[str, object] = {
            **asyncio.run(measure(stack.app_url, stack.rasa_url, conversations, messages))
        }
        result["cpu_cores_used"] = meter.cores()
        result["database"] = stored_messages(stack.env["LOTSE_DATABASE_URL"])
    if as_json:
        print(json.dumps(result))
    else:
        print(f"{conversations} concurrent conversations x {messages} messages")
        print(
            f"full path : p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, {result['msgs_per_s']} msg/s"
        )
        print(f"bare Rasa : p50 {result['rasa_p50_ms']} ms, p95 {result['rasa_p95_ms']} ms")
        print(f"overhead ratio (p50 full / p50 Rasa): {result['overhead_ratio']}")
        print(
            f"database afterwards (incoming by status: 'human' = kept for a caseworker): {result['database']}"
        )
        print(f"CPU cores used on average (the whole run): {result['cpu_cores_used']}")
        if "first_p50_ms" in result:
            print(
                f"first {EDGE} vs last {EDGE} messages of a conversation (p50): full path "
                f"{result['first_p50_ms']} -> {result['last_p50_ms']} ms, bare Rasa "
                f"{result['rasa_first_p50_ms']} -> {result['rasa_last_p50_ms']} ms"
            )
    return 0


def stored_messages(url: str) -> dict[str, object]:
    """What the database says after a run: incoming web-chat messages by status, duplicates (two rows
    for one client_id), and incoming messages without any stored reply."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import aliased

    from bot.conversations.models import Direction, Message
    from bot.db import session_scope

    reply = aliased(Message)
    with session_scope(url) as session:
        incoming = select(Message).where(Message.direction == Direction.IN).subquery()
        rows = session.execute(select(incoming.c.status, func.count()).group_by(incoming.c.status)).all()
        by_status: dict[str, int] = {str(status): int(count) for status, count in rows}
        duplicates = session.scalar(
            select(func.count()).select_from(
                select(incoming.c.external_id)
                .where(incoming.c.external_id.is_not(None))
                .group_by(incoming.c.conversation_id, incoming.c.external_id)
                .having(func.count() > 1)
                .subquery()
            )
        )
        unanswered = session.scalar(
            select(func.count())
            .select_from(incoming)
            .where(~select(reply.id).where(reply.reply_to_id == incoming.c.id).exists())
        )
    return {
        "incoming_by_status": by_status,
        "duplicates": duplicates,
        "without_reply": unanswered,
    }


def main_open(
    *,
    rate: float,
    seconds: float,
    conversations: int,
    find_capacity: bool,
    as_json: bool,
    stack_env: Mapping[str, str] | None = None,
    cpus: Placement | None = None,
) -> int:
    with _bench_stack(stack_env, cpus) as (stack, meter):
        result: dict[str, object] = asyncio.run(
            measure_open(
                stack.app_url,
                stack.rasa_url,
                rate=rate,
                seconds=seconds,
                conversations=conversations,
                find_capacity=find_capacity,
                meter=meter,
            )
        )
        result["database"] = stored_messages(stack.env["LOTSE_DATABASE_URL"])
    if as_json:
        print(json.dumps(result))
        return 0
    floor = result["floor"]
    print(f"bare Rasa floor: {floor}")
    for run in result["runs"]:  # type: ignore[attr-defined]
        print(
            f"offered {run['offered_per_s']}/s: served {run['served_per_s']}/s, p50 {run['p50_ms']} ms, "
            f"p95 {run['p95_ms']} ms, p99 {run['p99_ms']} ms; answered {run['answered']}, "
            f"503 {run['busy_503']}, errors {run['errors']}"
        )
        print(f"    CPU cores used on average during the run: {run['cpu_cores']}")
    print(f"database afterwards: {result['database']}")
    if "capacity_per_s" in result:
        print(f"capacity (highest rate with p95 <= 1 s and no errors): {result['capacity_per_s']}/s")
    return 0
