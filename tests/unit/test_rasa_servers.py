"""Several Rasa servers without Redis: how many, on which ports, which conversation goes where, and
the supervisor that keeps them running (real processes and real HTTP servers, no Rasa)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT, Settings
from bot.rasa_client import RasaClient, shard_of
from bot.rasa_config import rasa_env, rasa_ports, rasa_servers, rasa_urls


def settings(**values: object) -> Settings:
    return Settings(env="development", **values)  # type: ignore[arg-type]


def test_without_redis_every_core_gets_a_rasa_server_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2})
    alone = settings(rasa_url="http://127.0.0.1:6000", rasa_port=6000)
    assert (rasa_servers(alone), rasa_env(alone)["SANIC_WORKERS"]) == (3, "1")
    assert rasa_ports(alone) == [6000, 6001, 6002]
    assert rasa_urls(alone) == ["http://127.0.0.1:6000", "http://127.0.0.1:6001", "http://127.0.0.1:6002"]
    # with Redis: one server, its workers share the port (Rasa's Redis lock store)
    shared = alone.model_copy(update={"redis_url": "redis://127.0.0.1:6379/0"})
    assert (rasa_servers(shared), rasa_env(shared)["SANIC_WORKERS"]) == (1, "3")
    assert rasa_urls(shared) == ["http://127.0.0.1:6000"] and rasa_ports(shared) == [6000]
    # an explicit number wins; one means one
    assert rasa_urls(alone.model_copy(update={"rasa_workers": 1})) == ["http://127.0.0.1:6000"]
    two = settings(rasa_url="http://[::1]:7000/", rasa_port=7000, rasa_workers=2)
    assert rasa_urls(two) == ["http://[::1]:7000", "http://[::1]:7001"]


def test_a_conversation_goes_to_the_same_server_in_every_process() -> None:
    """The app's instances must agree: no per-process hash (Python salts ``hash`` of a string)."""
    senders = [f"pseudonym-{i}" for i in range(400)]
    here = [shard_of(s, 2) for s in senders]
    code = (
        "import json, sys; from bot.rasa_client import shard_of; "
        "print(json.dumps([shard_of(s, 2) for s in json.load(sys.stdin)]))"
    )
    for seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            input=json.dumps(senders),
            capture_output=True,
            text=True,
            check=True,
            cwd=PROJECT_ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert json.loads(out.stdout) == here
    assert 160 <= sum(here) <= 240  # both servers get about half
    assert len({shard_of(s, 3) for s in senders}) == 3


class _Recorder(BaseHTTPRequestHandler):
    """A stand-in Rasa server that notes which conversation asked it what."""

    seen: list[tuple[str, str]]

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"null")
        sender = body.get("sender") if isinstance(body, dict) else None
        path = self.path.split("?", 1)[0]
        self.server.seen.append((path, sender or path))  # type: ignore[attr-defined]
        payload: object = {"model_file": "m.tar.gz", "events": []} if self.command == "GET" else []
        if path == "/model/parse":
            payload = {"intent": {"name": "greet", "confidence": 1.0}}
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def two_servers() -> Iterator[list[ThreadingHTTPServer]]:
    servers = []
    for _ in range(2):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
        server.seen = []  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    yield servers
    for server in servers:
        server.shutdown()
        server.server_close()


def test_every_call_about_a_conversation_reaches_its_server(two_servers: list[ThreadingHTTPServer]) -> None:
    urls = [f"http://127.0.0.1:{s.server_address[1]}" for s in two_servers]
    senders = [f"person-{i}" for i in range(12)]

    async def talk() -> bool:
        rasa = RasaClient(base_url=urls, token="t", timeout_s=5)
        try:
            for sender in senders:
                await rasa.send(sender=sender, text="hi", metadata={})
                await rasa.events(sender=sender)
                await rasa.append_events(sender=sender, events=[{"event": "resume"}])
                await rasa.wait_for_turn(sender=sender)
                await rasa.start_new_session(sender=sender)
            for _ in range(4):
                await rasa.parse("hallo")
            return await rasa.healthy()
        finally:
            await rasa.aclose()

    assert asyncio.run(talk())
    for index, server in enumerate(two_servers):
        seen = server.seen  # type: ignore[attr-defined]
        mine = {s for s in senders if shard_of(s, 2) == index}
        assert mine, "both servers should have conversations"
        by_path = [(p, s) for p, s in seen if p != "/model/parse"]
        assert {s for p, s in by_path if p == "/webhooks/rest/webhook"} == mine
        others = {p for p, _ in by_path if p.startswith("/conversations/")}
        assert {p.split("/")[2] for p in others} == mine  # tracker and session calls follow
        assert sum(1 for p, _ in seen if p == "/model/parse") == 2  # parsing alone takes turns

    two_servers[1].shutdown()
    two_servers[1].server_close()

    async def health() -> bool:
        rasa = RasaClient(base_url=urls, token="t", timeout_s=5)
        try:
            return await rasa.healthy()
        finally:
            await rasa.aclose()

    assert not asyncio.run(health())  # ready only when every server is


SUPERVISED = """
import sys
from pathlib import Path
from bot.ops import rasa_servers
rasa_servers.RESTART_DELAY_S = (0.2, 1.0)
sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
sys.exit(rasa_servers.Supervisor([sleeper, sleeper], env={}, cwd=Path(".")).run(poll_s=0.05))
"""


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _wait_for(check: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached")


def test_the_supervisor_starts_a_dead_server_again_and_stops_them_all() -> None:
    proc = subprocess.Popen([sys.executable, "-c", SUPERVISED], cwd=PROJECT_ROOT)
    try:
        _wait_for(lambda: len(_children(proc.pid)) == 2)
        first = _children(proc.pid)
        killed = min(first)
        os.kill(killed, signal.SIGKILL)
        _wait_for(lambda: len(_children(proc.pid)) == 2 and killed not in _children(proc.pid))
        second = _children(proc.pid)
        assert len(first & second) == 1  # the other one was left alone
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        for pid in second:  # reaped by the supervisor: nothing left running
            assert (
                not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
            )
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
