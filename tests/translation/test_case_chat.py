"""Caseworker chat across languages through the real Argos path (tiny copying models)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from admin_api.staff.models import Role
from admin_api.staff.service import create_user, issue_token
from bot.content.service import seed
from bot.conversations.models import Conversation, Direction, Message, MessageStatus
from bot.db import session_factory, session_scope
from bot.handover.models import HandoverReason
from bot.handover.service import create_handover
from bot.translation import backlog
from bot.translation.service import TranslationService, get_translation_service
from bot.web import app as web_app
from bot.web.app import create_app
from tests.conftest import make_settings, migrate


async def _no_background_translation(*_: object) -> None:
    """The tests below run the background translation themselves, at a known moment."""


@pytest.fixture
def app_env(
    tmp_path: Path,
    packages_dir: Path,
    installed: Callable[..., TranslationService],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[TestClient, str, dict[str, str]]]:
    monkeypatch.setattr(web_app, "_translation_loop", _no_background_translation)
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


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every text the translation service is asked to translate."""
    calls: list[str] = []
    original = TranslationService.translate

    def translate(self: TranslationService, text: str, **kwargs: Any) -> Any:
        calls.append(text)
        return original(self, text, **kwargs)

    monkeypatch.setattr(TranslationService, "translate", translate)
    return calls


def _settings(url: str, packages_dir: Path) -> Any:
    return make_settings(database_url=url, argos_packages_dir=packages_dir, rasa_url="http://127.0.0.1:9")


def test_persons_message_is_translated_once_in_the_background_and_the_case_page_reads_it(
    app_env: tuple[TestClient, str, dict[str, str]], packages_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, url, headers = app_env
    calls = _counting(monkeypatch)
    case = _case(url, "ar", person_says="مرحبا")
    detail = client.get(f"/api/admin/cases/{case}", headers=headers).json()
    assert detail["translation_available"] is True
    message = detail["messages"][0]
    # opening the case translates nothing: the German is made in the background
    assert calls == [] and message["german"] is None and message["translation_pending"] is True

    service = get_translation_service(_settings(url, packages_dir))
    assert backlog.translate_pending(session_factory(url), service) == 1
    assert backlog.translate_pending(session_factory(url), service) == 0  # done once, not again
    for _ in range(3):
        message = client.get(f"/api/admin/cases/{case}", headers=headers).json()["messages"][0]
        assert message["text"] == "مرحبا" and message["german"] and message["engine"] == "argos via en"
        assert message["translation_pending"] is False
    assert calls == ["مرحبا"]
    with session_scope(url) as session:
        stored = session.get_one(Message, message["id"])
        assert stored.german_text == message["german"] and stored.german_at is not None


def test_messages_without_a_case_or_in_german_are_not_translated(
    app_env: tuple[TestClient, str, dict[str, str]], packages_dir: Path
) -> None:
    _, url, _ = app_env
    with session_scope(url) as session:
        conv = Conversation(pseudonym="web-no-case", channel="web", language="ar")
        session.add(conv)
        session.flush()
        session.add(
            Message(
                conversation_id=conv.id,
                direction=Direction.IN,
                text="مرحبا",
                language="ar",
                status=MessageStatus.ANSWERED,
            )
        )
    _case(url, "de", person_says="Hallo")
    assert backlog.pending(session_factory(url)) == []


def _writer_probe(url: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """While anything is translated, another connection tries to write at once (no waiting)."""
    results: list[str] = []
    original = TranslationService.translate

    def translate(self: TranslationService, text: str, **kwargs: Any) -> Any:
        other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            results.append("could write")
        except sqlite3.OperationalError as exc:
            results.append(str(exc))
        finally:
            other.close()
        return original(self, text, **kwargs)

    monkeypatch.setattr(TranslationService, "translate", translate)
    return results


def test_no_database_write_lock_is_held_while_translating(
    app_env: tuple[TestClient, str, dict[str, str]], packages_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, url, headers = app_env
    case = _case(url, "fa", person_says="سلام")
    results = _writer_probe(url, monkeypatch)
    preview = client.post(f"/api/admin/cases/{case}/translate", json={"text": "Guten Tag"}, headers=headers)
    assert preview.status_code == 200 and preview.json()["translation"]
    assert client.post(f"/api/admin/cases/{case}/claim", headers=headers).status_code == 200
    sent = client.post(f"/api/admin/cases/{case}/reply", json={"text": "Guten Tag"}, headers=headers)
    assert sent.status_code == 201 and sent.json()["machine_translated"] is True
    client.get(f"/api/admin/cases/{case}", headers=headers)
    service = get_translation_service(_settings(url, packages_dir))
    assert backlog.translate_pending(session_factory(url), service) == 1
    assert results and set(results) == {"could write"}, results


def test_the_apps_background_loop_translates_new_case_messages(
    tmp_path: Path, packages_dir: Path, installed: Callable[..., TranslationService]
) -> None:
    installed(("ar", "en"), ("en", "de"))
    url = f"sqlite:///{tmp_path / 'loop.db'}"
    migrate(url)
    with session_scope(url) as session:
        user = create_user(session, username="cw", password="a long enough password", role=Role.CASEWORKER)
        headers = {"Authorization": f"Bearer {issue_token(session, user=user, name='t')[1]}"}
    settings = make_settings(
        database_url=url, argos_packages_dir=packages_dir, rasa_url="http://127.0.0.1:9", retry_interval_s=0.1
    )
    with TestClient(create_app(settings)) as client:
        case = _case(url, "ar", person_says="مرحبا")
        deadline = time.monotonic() + 60  # generous on a loaded machine; normally well under a second
        while True:
            message = client.get(f"/api/admin/cases/{case}", headers=headers).json()["messages"][0]
            if not message["translation_pending"] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert message["german"] and message["engine"] == "argos via en"


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
