"""A message longer than LOTSE_MAX_MESSAGE_CHARS (4,096 like Telegram) is refused with a clear answer
and nothing is stored; the web chat page keeps people from typing more."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.content.service import seed
from bot.conversations.models import Message
from bot.db import session_scope
from bot.web.app import create_app
from tests.conftest import make_settings, migrate


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('length')) / 'lotse.db'}"
    migrate(url)
    with session_scope(url) as session:
        seed(session)
    settings = make_settings(database_url=url, rasa_url="http://127.0.0.1:9", translation_backend="none")
    with TestClient(create_app(settings)) as client:
        yield client, url


def _stored(url: str) -> int:
    with session_scope(url) as session:
        return int(session.scalar(select(func.count(Message.id))) or 0)


def test_the_default_limit_is_telegrams() -> None:
    assert make_settings().max_message_chars == 4096


def test_a_too_long_message_is_refused_with_a_clear_answer_and_not_stored(
    chat: tuple[TestClient, str],
) -> None:
    client, url = chat
    session = client.post("/api/chat/sessions", json={}).json()["session"]
    before = _stored(url)
    headers = {"X-Lotse-Session": session}
    response = client.post("/api/chat/messages", json={"text": "x" * 4097}, headers=headers)
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert "höchstens 4096 Zeichen" in detail and "at most 4096 characters" in detail
    assert _stored(url) == before
    # up to the limit the message goes its usual way (here: stored, the assistant is not reachable)
    ok = client.post("/api/chat/messages", json={"text": "Frage " + "x" * 4090}, headers=headers)
    assert ok.status_code == 200 and ok.json()["status"] == "deferred"
    assert _stored(url) > before


def test_the_chat_page_limits_the_input_and_shows_the_answer(chat: tuple[TestClient, str]) -> None:
    client, _ = chat
    page = client.get("/").text
    assert 'maxlength="4096"' in page
    assert "err.detail" in page  # the refusal's text is shown, not only the status code
