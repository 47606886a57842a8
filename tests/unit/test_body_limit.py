"""Request bodies are limited per route at the ASGI level, also without Content-Length."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient

from bot.web.app import create_app
from bot.web.body_limit import BodyLimitMiddleware, Rule
from tests.conftest import make_settings

INTERNAL = "test-internal-token-0123456789"


def _client(**overrides: object) -> TestClient:
    settings = make_settings(rasa_url="http://127.0.0.1:9", **overrides)
    app = create_app(settings)
    app.state.settings = settings
    app.state.assistant = object()  # never reached by these requests
    return TestClient(
        app, raise_server_exceptions=False
    )  # no lifespan: the limit answers before any route needs the assistant


def test_a_huge_chat_body_is_refused_before_it_is_read() -> None:
    client = _client()
    huge = b'{"session": "x", "text": "' + b"a" * 200_000 + b'"}'
    for path in ("/api/chat/messages", "/api/chat/sessions", "/telegram/webhook", "/api/admin/auth/login"):
        response = client.post(path, content=huge, headers={"Content-Type": "application/json"})
        assert response.status_code == 413, (path, response.status_code)
        assert "at most 65536 bytes" in response.json()["detail"]


def test_a_chunked_body_without_length_is_refused() -> None:
    client = _client()

    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(100):
            yield b"a" * 10_000
        yield b'"}'

    response = client.post(
        "/api/chat/messages", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_no_more_than_the_limit_is_read_from_a_stream() -> None:
    pulled = 0
    answered: list[dict[str, Any]] = []

    async def endless() -> dict[str, Any]:
        nonlocal pulled
        pulled += 4096
        return {"type": "http.request", "body": b"x" * 4096, "more_body": True}

    async def reader(scope: Any, receive: Any, send: Any) -> None:
        while (await receive())["more_body"]:
            pass

    async def send(message: dict[str, Any]) -> None:
        answered.append(message)

    middleware = BodyLimitMiddleware(
        reader, rules=[Rule("/api/chat/", 50_000)], default=1_000, internal_token="t"
    )
    scope = {"type": "http", "path": "/api/chat/messages", "headers": [], "query_string": b""}
    asyncio.run(middleware(scope, endless, send))
    assert answered[0]["status"] == 413
    assert 50_000 < pulled <= 50_000 + 4096


def test_large_bodies_only_where_needed_and_only_with_the_internal_token() -> None:
    client = _client(max_body_bytes_internal=512 * 1024)
    body = b'{"response": "utter_greet", "tracker": {"events": ["' + b"e" * 300_000 + b'"]}}'
    headers = {"Content-Type": "application/json"}
    assert client.post("/nlg", content=body, headers=headers).status_code == 413
    assert client.post("/nlg?token=wrong", content=body, headers=headers).status_code == 413
    allowed = client.post(f"/nlg?token={INTERNAL}", content=body, headers=headers)
    assert allowed.status_code != 413  # past the limit (the route itself then needs the database)


def test_normal_requests_pass() -> None:
    client = _client()
    response = client.post(
        "/api/chat/messages", json={"text": "Hallo"}, headers={"X-Lotse-Session": "x" * 20}
    )
    assert response.status_code == 401  # on to the route: an unknown session
