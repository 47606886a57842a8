"""``lotse bench``'s open loop against a scripted server: what it counts (not how fast anything is)."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import httpx
import pytest

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


def test_placement_splits_the_cores_between_stack_and_load_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2, 3})
    placed = bench.Placement.parse("0,1", None)
    assert placed.server == {0, 1} and placed.client == {2, 3}
    assert bench.Placement.parse("0", "3").client == {3}
    for server, client in (("7", None), ("", None), ("0,1,2,3", None), ("0", "9")):
        with pytest.raises(ValueError):
            bench.Placement.parse(server, client)


def test_a_pinned_stack_process_runs_only_on_its_cores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stack's children inherit the placement (checked on a real child process)."""
    import os
    import sys

    from bot.stack import Stack

    core = min(os.sched_getaffinity(0))
    stack = Stack.create(workdir=tmp_path, cpus=frozenset({core}))
    script = tmp_path / "lotse"
    script.write_text(f"#!{sys.executable}\nimport os\nprint(sorted(os.sched_getaffinity(0)))\n")
    script.chmod(0o755)
    monkeypatch.setattr("bot.stack.lotse_executable", lambda: str(script))
    stack.start("app")
    stack.procs["app"].wait(timeout=30)
    assert (tmp_path / "app.log").read_text().strip() == str([core])


def test_the_cpu_meter_counts_a_busy_process_group_and_the_generator() -> None:
    import os
    import subprocess
    import sys
    import time

    spinner = subprocess.Popen(
        [sys.executable, "-c", "import time\nend = time.time() + 30\nwhile time.time() < end: pass"],
        start_new_session=True,
    )
    try:
        meter = bench.CpuMeter({"spinner": spinner.pid, "nobody": os.getpid() + 10_000_000})
        time.sleep(1.0)
        used = meter.cores()
    finally:
        spinner.kill()
        spinner.wait()
    # about one core (less when the test machine is busy), none for a group without processes,
    # and the sleeping test process itself (the "load generator") next to nothing
    assert 0.2 <= used["spinner"] <= 1.2, used
    assert used["nobody"] == 0.0
    assert used["load generator"] < 0.5, used
