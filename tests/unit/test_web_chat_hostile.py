"""Hostile traffic against the public web chat, in process (no network), bounded and reproducible:
thousands of requests with invented sessions, typed intents, huge and malformed bodies, floods and
deletions racing messages. Afterwards every real case is in the queue, nothing is half-stored, and
normal traffic is still answered. The run stops by itself (request count and a time budget)."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from admin_api.staff.models import Role
from admin_api.staff.service import create_user, issue_token
from bot.conversations.models import Conversation, Direction, Message, MessageStatus
from bot.db import make_engine, session_scope
from bot.handover.models import Handover, HandoverStatus
from bot.pipeline import Assistant
from bot.web.app import create_app
from tests.conftest import make_settings
from tests.unit.test_web_chat_abuse import FakeRasa, chat_db  # noqa: F401 - the module's database

CRISIS_TEXT = "I want to kill myself"
BUDGET_S = 40.0
ROUNDS = 12
PER_ROUND = 250  # hostile requests per round (3,000 in all unless the budget ends the run earlier)
IN_FLIGHT = 12  # concurrent requests (a few clients at once; the database pool has 15 connections)


@pytest.fixture
async def http(chat_db: str) -> AsyncIterator[tuple[httpx.AsyncClient, sessionmaker[Session], str]]:  # noqa: F811
    settings = make_settings(
        database_url=chat_db,
        rasa_url="http://127.0.0.1:9",
        pseudonym_key=f"hostile-{uuid.uuid4()}",
        # generous per address (everything comes from one test address), strict per session
        rate_limit_sessions_per_address="100000/hour",
        rate_limit_messages_per_address="100000/hour",
        rate_limit_messages_per_session="5/minute",
    )
    app = create_app(settings)
    sessions = sessionmaker(bind=make_engine(chat_db), expire_on_commit=False)
    app.state.settings = settings
    app.state.assistant = Assistant(settings=settings, sessions=sessions, rasa=FakeRasa())  # type: ignore[arg-type]
    with session_scope(chat_db) as db:
        user = create_user(
            db, username=f"hostile-{uuid.uuid4().hex[:8]}", password="a long password", role=Role.CASEWORKER
        )
        token = issue_token(db, user=user, name="hostile")[1]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=60) as client:
        yield client, sessions, token
    sessions.kw["bind"].dispose()


async def _start(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/chat/sessions", json={})
    assert response.status_code == 200
    token: str = response.json()["session"]
    return token


def _hostile(rng: random.Random, real: list[str]) -> tuple[str, str, dict[str, Any]]:
    """One hostile request as (method, path, httpx keyword arguments)."""
    kind = rng.randrange(9)
    forged = rng.choice(["x" * 40, str(uuid.uuid4()), "a.b", real[0][:-2] + "AA", ""])
    session = {"X-Lotse-Session": rng.choice([*real, forged])}
    if kind == 0:
        return (
            "POST",
            "/api/chat/messages",
            {"json": {"text": "Hallo"}, "headers": {"X-Lotse-Session": forged}},
        )
    if kind == 1:
        command = rng.choice(
            ["/crisis", "/request_human", '/choose_topic{"topic":"crisis"}', "/greet", "//x"]
        )
        return "POST", "/api/chat/messages", {"json": {"text": command}, "headers": session}
    if kind == 2:
        return (
            "POST",
            "/api/chat/messages",
            {"content": b'{"text": "' + b"A" * 300_000 + b'"}', "headers": session},
        )
    if kind == 3:
        junk = rng.choice(
            [b"{", b"null", b"[]", b"\xff\xfe", b'{"text": 5}', b'{"text": "' + b"\x00" * 10 + b'"}']
        )
        return (
            "POST",
            "/api/chat/messages",
            {"content": junk, "headers": {**session, "Content-Type": "application/json"}},
        )
    if kind == 4:
        return "DELETE", "/api/chat/session", {"headers": session}
    if kind == 5:
        return (
            "GET",
            "/api/chat/messages",
            {"params": {"after": rng.choice([0, -1, 2**40])}, "headers": session},
        )
    if kind == 6:
        return "POST", "/api/chat/sessions", {"json": {"language_hint": "x" * rng.choice([2, 40])}}
    if kind == 7:
        return (
            "POST",
            "/api/chat/messages",
            {"json": {"text": "spam " * rng.randrange(1, 50)}, "headers": session},
        )
    return "POST", "/nlg", {"content": b"{" * 100_000, "headers": {"Content-Type": "application/json"}}


async def test_hostile_traffic_hides_no_case_and_leaves_nothing_half_stored(
    http: tuple[httpx.AsyncClient, sessionmaker[Session], str],
) -> None:
    client, sessions, staff = http
    rng = random.Random(11)
    deadline = time.monotonic() + BUDGET_S
    real: dict[str, str] = {}  # session -> conversation pseudonym of people in crisis
    victims = [await _start(client) for _ in range(5)]  # sessions the flood also deletes at random
    statuses: dict[int, int] = {}
    sent = 0
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def limited(request: Coroutine[Any, Any, httpx.Response]) -> httpx.Response:
        async with gate:
            return await request

    for _ in range(ROUNDS):
        if time.monotonic() > deadline:
            break
        person = await _start(client)
        batch = [_hostile(rng, victims) for _ in range(PER_ROUND)]  # the flood cannot know her token
        hostile = [limited(client.request(method, path, **kwargs)) for method, path, kwargs in batch]
        # a real person in crisis writes while the flood (and deletions of other sessions) goes on
        crisis = client.post(
            "/api/chat/messages", json={"text": CRISIS_TEXT}, headers={"X-Lotse-Session": person}
        )
        answers = await asyncio.gather(crisis, *hostile)
        sent += len(hostile)
        for answer in answers[1:]:
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
        first = answers[0]
        if first.status_code == 200:
            real[person] = first.json()["conversation"]
        else:  # only the per-session rate limit may refuse it (the flood may have used its budget)
            assert first.status_code == 429, first.text
    assert sent >= 1000 and real
    assert not [code for code in statuses if code >= 500], statuses
    assert {401, 413, 429} <= set(statuses), statuses

    # every real case is visible in the queue (paging through it), crises first
    listed: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = (
            await client.get(
                "/api/admin/cases",
                params={"view": "waiting", "limit": 100, "offset": offset},
                headers={"Authorization": f"Bearer {staff}"},
            )
        ).json()
        listed += page["items"]
        offset += 100
        if offset >= page["total"]:
            break
    assert len(listed) == page["total"] == page["waiting"]
    conversations = {c["conversation"] for c in listed}
    assert set(real.values()) <= conversations
    crises = [c for c in listed if c["conversation"] in set(real.values())]
    assert all(c["reason"] == "crisis" for c in crises)
    assert [c["urgency"] for c in listed] == sorted(c["urgency"] for c in listed)

    with sessions() as db:
        # nothing half-stored: no message is left between receiving and answering, every answered one
        # has its replies, no case points at a deleted conversation, and no typed intent opened a case
        stuck = db.scalars(
            select(Message).where(
                Message.direction == Direction.IN,
                Message.status.in_([MessageStatus.RECEIVED, MessageStatus.PROCESSING]),
            )
        ).all()
        assert stuck == []
        answered = db.scalars(
            select(Message.id).where(
                Message.direction == Direction.IN, Message.status == MessageStatus.ANSWERED
            )
        ).all()
        with_replies = set(
            db.scalars(select(Message.reply_to_id).where(Message.reply_to_id.in_(answered))).all()
        )
        assert set(answered) == with_replies
        open_cases = db.scalars(select(Handover).where(Handover.status != HandoverStatus.CLOSED)).all()
        for case in open_cases:
            assert db.get(Conversation, case.conversation_id) is not None
        per_conversation = [c.conversation_id for c in open_cases]
        assert len(per_conversation) == len(set(per_conversation))

    # normal traffic is still answered
    person = await _start(client)
    normal = await client.post(
        "/api/chat/messages", json={"text": "Hallo"}, headers={"X-Lotse-Session": person}
    )
    assert normal.status_code == 200 and normal.json()["replies"]
