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
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from bot.config import PROJECT_ROOT

FALLBACK_MESSAGES = [
    "hallo",
    "wie lange habe ich zeit für den familiennachzug nach der anerkennung",
    "my asylum was rejected what is the deadline for klage",
    "كيف بدي لاقي بيت بعد الاعتراف",
    "мені потрібен інтеграційний курс",
    "vatandaşlık için kaç yıl lazım",
]


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
    conversations: int, per_conversation: int, send: Callable[[int, int], Awaitable[None]]
) -> tuple[list[float], float]:
    latencies: list[float] = []

    async def conversation(c: int) -> None:
        for m in range(per_conversation):
            start = time.perf_counter()
            await send(c, m)
            latencies.append((time.perf_counter() - start) * 1000)

    start = time.perf_counter()
    await asyncio.gather(*(conversation(c) for c in range(conversations)))
    return latencies, time.perf_counter() - start


async def measure(app_url: str, rasa_url: str, conversations: int, per_conversation: int) -> dict[str, float]:
    texts = messages()
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
        rasa_lat, _ = await _drive(conversations, per_conversation, bare)
        full_lat, full_s = await _drive(conversations, per_conversation, full)
    p50, rasa_p50 = statistics.median(full_lat), statistics.median(rasa_lat)
    return {
        "p50_ms": round(p50, 1),
        "p95_ms": round(percentile(full_lat, 0.95), 1),
        "msgs_per_s": round(len(full_lat) / full_s, 1),
        "rasa_p50_ms": round(rasa_p50, 1),
        "rasa_p95_ms": round(percentile(rasa_lat, 0.95), 1),
        "overhead_ratio": round(p50 / rasa_p50, 3),
    }


def main(*, conversations: int, messages: int, as_json: bool, url: Path | None = None) -> int:
    from bot.stack import running_stack

    print("starting Rasa, action server and app ...", file=sys.stderr)
    with running_stack() as stack:
        result = asyncio.run(measure(stack.app_url, stack.rasa_url, conversations, messages))
    if as_json:
        print(json.dumps(result))
    else:
        print(f"{conversations} concurrent conversations x {messages} messages")
        print(
            f"full path : p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, {result['msgs_per_s']} msg/s"
        )
        print(f"bare Rasa : p50 {result['rasa_p50_ms']} ms, p95 {result['rasa_p95_ms']} ms")
        print(f"overhead ratio (p50 full / p50 Rasa): {result['overhead_ratio']}")
    return 0
