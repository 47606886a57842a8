"""One Rasa server per core without Redis: conversations stay on their server, a crash stays local.

The stack runs ``lotse run rasa`` with ``LOTSE_RASA_WORKERS=2`` and no Redis, as ``make run`` does on
a two-core laptop: a supervisor process with two real Rasa servers on consecutive ports, sharing
the SQLite tracker store. One server is killed with SIGKILL. The people whose conversations belong
to the other server are answered at once; those of the killed one get the "unavailable" notice,
and their answers arrive, once each, when the supervisor has started it again.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.conversations.models import Message, MessageStatus
from bot.db import make_engine
from bot.rasa_client import shard_of
from bot.stack import Stack
from tests.integration.conftest import Person, rasa_tracker

QUESTION = "Wie lange habe ich Zeit für eine Klage gegen den BAMF-Bescheid?"


@pytest.fixture(scope="module")
def two_servers() -> Iterator[Stack]:
    with Stack.create(extra_env={"LOTSE_RASA_WORKERS": "2"}) as stack:
        yield stack


def _servers(supervisor: int) -> dict[int, int]:
    """The supervisor's Rasa servers: port -> pid (from /proc: parent and command line)."""
    found: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == supervisor and "--port" in argv:
            found[int(argv[argv.index("--port") + 1])] = int(entry.name)
    return found


def _people_on_each_server(stack: Stack, each: int) -> dict[int, list[Person]]:
    people: dict[int, list[Person]] = {0: [], 1: []}
    while min(len(p) for p in people.values()) < each:
        person = Person(stack)
        group = people[shard_of(person.conversation, 2)]
        if len(group) < each:
            group.append(person)
        else:
            person.http.close()
    return people


def test_each_conversation_stays_on_its_server_and_a_crash_of_one_stays_local(
    two_servers: Stack,
) -> None:
    stack = two_servers
    ports = [int(url.rsplit(":", 1)[1]) for url in stack.rasa_urls]
    servers = _servers(stack.procs["rasa"].pid)
    assert sorted(servers) == ports and len(ports) == 2, servers
    people = _people_on_each_server(stack, 3)
    try:
        for group in people.values():  # both servers answer
            for person in group:
                assert person.say("Hallo")["status"] == "answered"

        os.kill(servers[ports[1]], signal.SIGKILL)
        answered = {shard: [person.say(QUESTION) for person in group] for shard, group in people.items()}
        assert [body["status"] for body in answered[0]] == ["answered"] * 3
        assert [body["replies"][0]["topic"] for body in answered[0]] == ["asylum_appeal"] * 3
        assert [body["status"] for body in answered[1]] == ["deferred"] * 3
        assert {r["key"] for body in answered[1] for r in body["replies"]} == {"utter_unavailable"}

        # the supervisor starts the killed server again (a new process on the same port)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            restarted = _servers(stack.procs["rasa"].pid)
            if restarted.get(ports[1]) not in (None, servers[ports[1]]):
                break
            time.sleep(0.5)
        assert restarted[ports[0]] == servers[ports[0]]
        assert restarted.get(ports[1]) not in (None, servers[ports[1]])
        stack.wait_ready(("rasa",))

        engine: Engine = make_engine(stack.env["LOTSE_DATABASE_URL"])
        waiting = [body["message_id"] for body in answered[1]]
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with Session(engine) as db:
                    statuses = [db.get_one(Message, m).status for m in waiting]
                if statuses == [MessageStatus.ANSWERED] * 3:
                    break
                time.sleep(0.5)
            assert statuses == [MessageStatus.ANSWERED] * 3
            with Session(engine) as db:
                for message_id in waiting:  # the notice, then the real answer, nothing twice
                    keys = [
                        r.content_key
                        for r in db.scalars(
                            select(Message).where(Message.reply_to_id == message_id).order_by(Message.id)
                        )
                    ]
                    assert keys[0] == "utter_unavailable" and keys.count("utter_unavailable") == 1, keys
                    assert len(keys) >= 2, keys
        finally:
            engine.dispose()
        for shard, group in people.items():  # Rasa saw every question once, on whichever server
            for person, body in zip(group, answered[shard], strict=True):
                events = rasa_tracker(stack, person.conversation)["events"]
                seen = [
                    e
                    for e in events
                    if e.get("event") == "user"
                    and (e.get("metadata") or {}).get("lotse_message_id") == body["message_id"]
                ]
                assert len(seen) == 1, (shard, person.conversation)
    finally:
        for group in people.values():
            for person in group:
                person.http.close()
