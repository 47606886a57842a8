"""Caseworker chat across languages through the real Argos path (tiny copying models)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from admin_api.staff.models import Role
from admin_api.staff.service import create_user, issue_token
from bot.content.service import seed
from bot.conversations.models import Conversation, Direction, Message, MessageStatus
from bot.db import session_scope
from bot.handover.models import HandoverReason
from bot.handover.service import create_handover
from bot.translation.service import TranslationService
from bot.web.app import create_app
from tests.conftest import make_settings, migrate


@pytest.fixture
def app_env(
    tmp_path: Path, packages_dir: Path, installed: Callable[..., TranslationService]
) -> Iterator[tuple[TestClient, str, dict[str, str]]]:
    installed(("ar", "en"), ("en", "ar"), ("en", "de"), ("de", "en"), ("en", "fa"))
    url = f"sqlite:///{tmp_path / 'lotse.db'}"
    migrate(url)
    with session_scope(url) as session:
        seed(session)
        user = create_user(session, username="cw", password="a long enough password", role=Role.CASEWORKER)
        headers = {"Authorization": f"Bearer {issue_token(session, user=user, name='t')[1]}"}
    settings = make_settings(database_url=url, argos_packages_dir=packages_dir, rasa_url="http://127.0.0.1:9")
    with TestClient(create_app(settings)) as client:
        yield client, url, headers


def _case(url: str, language: str, person_says: str | None = None) -> int:
    with session_scope(url) as session:
        conv = Conversation(pseudonym=f"web-{language}", channel="web", language=language)
        session.add(conv)
        session.flush()
        if person_says:
            session.add(
                Message(
                    conversation_id=conv.id,
                    direction=Direction.IN,
                    text=person_says,
                    language=language,
                    status=MessageStatus.HUMAN,
                )
            )
        return create_handover(session, conversation=conv, reason=HandoverReason.REQUESTED, topic=None).id


def test_reply_is_translated_marked_and_keeps_the_german(
    app_env: tuple[TestClient, str, dict[str, str]],
) -> None:
    client, url, headers = app_env
    case = _case(url, "fa")
    assert client.post(f"/api/admin/cases/{case}/claim", headers=headers).status_code == 200
    sent = client.post(f"/api/admin/cases/{case}/reply", json={"text": "Guten Tag"}, headers=headers).json()
    assert sent["machine_translated"] is True
    assert sent["engine"] == "argos via en" and sent["original"] == "Guten Tag" and sent["language"] == "fa"

    plain = client.post(
        f"/api/admin/cases/{case}/reply", json={"text": "Hallo", "translate": False}, headers=headers
    ).json()
    assert plain["machine_translated"] is False and plain["language"] == "de" and plain["text"] == "Hallo"

    edited = client.post(
        f"/api/admin/cases/{case}/reply",
        json={"text": "Guten Tag", "translated_text": "سلام، روز بخیر"},
        headers=headers,
    ).json()
    assert edited["text"] == "سلام، روز بخیر" and edited["engine"] == "edited machine translation"


def test_persons_message_comes_with_german_beside_it(app_env: tuple[TestClient, str, dict[str, str]]) -> None:
    client, url, headers = app_env
    case = _case(url, "ar", person_says="مرحبا")
    detail = client.get(f"/api/admin/cases/{case}", headers=headers).json()
    assert detail["translation_available"] is True
    message = detail["messages"][0]
    assert message["text"] == "مرحبا" and message["german"] and message["engine"] == "argos via en"


def test_language_without_a_model_says_so_and_can_ask_for_an_interpreter(
    app_env: tuple[TestClient, str, dict[str, str]],
) -> None:
    client, url, headers = app_env
    case = _case(url, "ti", person_says="ሰላም")
    detail = client.get(f"/api/admin/cases/{case}", headers=headers).json()
    assert detail["translation_available"] is False and detail["messages"][0]["german"] is None
    preview = client.post(
        f"/api/admin/cases/{case}/translate", json={"text": "Guten Tag"}, headers=headers
    ).json()
    assert preview["translation"] is None and "no machine translation" in preview["unavailable_reason"]
    client.post(f"/api/admin/cases/{case}/claim", headers=headers)
    sent = client.post(f"/api/admin/cases/{case}/reply", json={"text": "Guten Tag"}, headers=headers).json()
    assert sent["machine_translated"] is False and sent["text"] == "Guten Tag"
    assert client.post(f"/api/admin/cases/{case}/interpreter", headers=headers).status_code == 200
    assert client.get(f"/api/admin/cases/{case}", headers=headers).json()["needs_interpreter"] is True


def test_a_canned_reply_is_the_curated_text_even_where_a_model_exists(
    app_env: tuple[TestClient, str, dict[str, str]],
) -> None:
    client, url, headers = app_env
    case = _case(url, "fa")
    assert client.post(f"/api/admin/cases/{case}/claim", headers=headers).status_code == 200
    sent = client.post(
        f"/api/admin/cases/{case}/reply", json={"canned_key": "canned_come_to_office"}, headers=headers
    ).json()
    assert sent["machine_translated"] is False and sent["engine"] is None and sent["language"] == "fa"
    assert "پاسپورت" in sent["text"] and sent["original"].startswith("Bitte kommen Sie")
