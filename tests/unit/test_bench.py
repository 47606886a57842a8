"""``lotse bench``'s open loop against a scripted server: what it counts (not how fast anything is)."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx

from bot import bench
from bot.bench import open_loop


def test_open_loop_resends_busy_messages_and_counts_what_happened() -> None:
    seen: dict[str, int] = {}

    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/chat/sessions":
            return httpx.Response(200, json={"session": uuid.uuid4().hex})
        client_id = json.loads(request.content)["client_id"]
        seen[client_id] = seen.get(client_id, 0) + 1
        if len(seen) % 3 == 0 and seen[client_id] == 1:  # every third message: busy once
            return httpx.Response(503, headers={"Retry-After": "0"}, json={"detail": "busy"})
        if len(seen) % 7 == 0:
            return httpx.Response(500, json={"detail": "boom"})
        return httpx.Response(200, json={"replies": []})

    async def run() -> dict[str, float]:
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(server), base_url="http://lotse.test"
        ) as http:
            return await open_loop(
                http, "http://lotse.test", ["Hallo"], rate=200, seconds=0.3, conversations=3
            )

    result = asyncio.run(run())
    assert result["sent"] == len(seen) > 10
    busy_once = [c for c, n in seen.items() if n == 2]
    assert result["busy_503"] == len(busy_once) > 0, "a 503 is sent again with the same client_id"
    assert result["answered"] + result["errors"] == result["sent"]
    assert result["errors"] > 0 and result["p95_ms"] >= result["p50_ms"] > 0


def test_first_vs_last_compares_the_two_ends_of_the_conversations() -> None:
    by_position = {m: [100.0 + m, 200.0 + m] for m in range(30)}
    edges = bench.first_vs_last(by_position)
    assert edges == {"first_p50_ms": 154.5, "last_p50_ms": 174.5}
    assert bench.first_vs_last({m: [1.0] for m in range(2 * bench.EDGE - 1)}) == {}  # too short to compare
