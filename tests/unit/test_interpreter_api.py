"""Interpreter requests for caseworkers (list, decide, record on a case) and the queue's filter by
kind of handover, on the real app (SQLite, and PostgreSQL when configured)."""

# ruff: noqa: F811  (the admin API fixtures are imported by name and used as parameters)
from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from admin_api.audit.models import AuditEntry
from admin_api.inbox.router import REASONS
from bot.conversations.models import Conversation, Direction, Message
from bot.db import session_scope
from bot.handover.models import HandoverReason
from bot.handover.service import create_handover
from bot.interpreters.models import InterpreterRequest, InterpreterStatus
from bot.interpreters.service import create_request
from bot.translation.service import Bilingual
from tests.unit.test_admin_api import Env, api_db, env  # noqa: F401 (fixtures)

_counter = itertools.count()


def _request(env: Env, language: str = "ar", *, appointment: str = "doctor") -> tuple[int, int]:
    """A fresh request (and its conversation id)."""
    with session_scope(env.url) as session:
        conv = Conversation(pseudonym=f"web-int{uuid.uuid4().hex[:12]}", channel="web", language=language)
        session.add(conv)
        session.flush()
        row = create_request(
            session,
            conversation_id=conv.id,
            language="ar",
            dialect="iraqi",
            appointment_type=appointment,
            wishes="Dienstag früh",
            mode="in_person",
        )
        return row.id, conv.id


def _outgoing(env: Env, conversation_id: int) -> list[Message]:
    with session_scope(env.url) as session:
        rows = session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.direction == Direction.OUT)
            .order_by(Message.id)
        ).all()
        session.expunge_all()
        return list(rows)


def test_open_requests_are_listed_paged_with_a_german_summary(env: Env) -> None:
    ids = [_request(env)[0] for _ in range(3)]
    headers = env.headers("caseworker")
    page = env.client.get("/api/admin/interpreter-requests?status=open&limit=2", headers=headers).json()
    assert set(page) == {"items", "total", "limit", "offset"}
    assert page["limit"] == 2 and len(page["items"]) == 2 and page["total"] >= 3
    everything = env.client.get(
        "/api/admin/interpreter-requests?status=open&limit=200", headers=headers
    ).json()
    listed = {item["id"]: item for item in everything["items"]}
    assert set(ids) <= set(listed)
    item = listed[ids[0]]
    assert item["status"] == "open" and item["person_language"] == "ar" and item["case"] is None
    assert item["summary"] == [
        "Dolmetscher/in für: Arabisch (irakisch)",
        "Termin: Arzt/Krankenhaus",
        "Wunschtermin: Dienstag früh",
        "Form: vor Ort",
    ]
    assert (
        env.client.get("/api/admin/interpreter-requests?status=nonsense", headers=headers).status_code == 422
    )


def test_arranging_tells_the_person_once_with_the_note_machine_translated(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, str]] = []

    def fake_translate(text: str, language: str, *, service: Any = None) -> Bilingual:
        calls.append((text, language))
        return Bilingual(text, "de", f"[{language}] {text}", language, "fake-mt", True)

    monkeypatch.setattr("admin_api.interpreters.router.translate_for_person", fake_translate)
    request_id, conv_id = _request(env)
    url, headers = f"/api/admin/interpreter-requests/{request_id}", env.headers("caseworker")
    body = {"status": "arranged", "note": "Dienstag 10 Uhr, Zimmer 4"}
    decided = env.client.patch(url, json=body, headers=headers)
    assert decided.status_code == 200, decided.text
    out = decided.json()
    assert out["status"] == "arranged" and out["note_for_person"] == "Dienstag 10 Uhr, Zimmer 4"
    assert out["updated_by"] == env.staff_ids["caseworker"]
    notice, note = _outgoing(env, conv_id)
    assert notice.content_key == "utter_flow_interpreter_arranged" and notice.language == "ar"
    assert notice.text.startswith("خبر جيد")
    assert calls == [("Dienstag 10 Uhr, Zimmer 4", "ar")]
    assert note.text == "[ar] Dienstag 10 Uhr, Zimmer 4" and note.payload is not None
    assert (
        note.payload["machine_translated"] is True and note.payload["original"] == "Dienstag 10 Uhr, Zimmer 4"
    )
    # the same status again (with another note) tells nobody anything more
    again = env.client.patch(url, json={"status": "arranged", "note": "Zimmer 5"}, headers=headers)
    assert again.status_code == 200 and again.json()["note_for_person"] == "Zimmer 5"
    assert len(_outgoing(env, conv_id)) == 2
    with session_scope(env.url) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "interpreter_request")).all()
        mine = [e.detail for e in entries if e.detail.get("request") == request_id]
    assert [d["told_person"] for d in mine] == [True, False]
    assert mine[0]["from"] == "open" and mine[0]["to"] == "arranged"


def test_declining_tells_the_person_in_their_language_without_a_note(env: Env) -> None:
    request_id, conv_id = _request(env, language="uk")
    headers = env.headers("admin")
    response = env.client.patch(
        f"/api/admin/interpreter-requests/{request_id}", json={"status": "declined"}, headers=headers
    )
    assert response.status_code == 200
    (notice,) = _outgoing(env, conv_id)
    assert notice.content_key == "utter_flow_interpreter_declined" and notice.language == "uk"
    assert "На жаль" in notice.text
    closed = env.client.get(
        "/api/admin/interpreter-requests?status=declined&limit=200", headers=headers
    ).json()
    assert request_id in {item["id"] for item in closed["items"]}


def test_a_note_alone_or_back_to_open_tells_nobody(env: Env) -> None:
    request_id, conv_id = _request(env)
    url, headers = f"/api/admin/interpreter-requests/{request_id}", env.headers("caseworker")
    assert env.client.patch(url, json={"note": "rufe Dolmetscherpool an"}, headers=headers).status_code == 200
    assert env.client.patch(url, json={"status": "open"}, headers=headers).status_code == 200
    assert _outgoing(env, conv_id) == []
    assert env.client.patch(url, json={}, headers=headers).status_code == 422
    assert env.client.patch(url, json={"status": "done"}, headers=headers).status_code == 422
    missing = env.client.patch("/api/admin/interpreter-requests/999999", json={"note": "x"}, headers=headers)
    assert missing.status_code == 404


def test_a_caseworker_records_a_request_on_a_case(env: Env) -> None:
    case = env.case()
    headers = env.headers("caseworker")
    body = {
        "language": "fa",
        "dialect": "dari",
        "appointment_type": "authority",
        "wishes": "",
        "mode": "phone",
    }
    created = env.client.post(f"/api/admin/cases/{case}/interpreter-requests", json=body, headers=headers)
    assert created.status_code == 201, created.text
    out = created.json()
    assert out["case"] == case and out["status"] == "open" and out["dialect"] == "dari"
    bad = {**body, "mode": "carrier pigeon"}
    assert (
        env.client.post(
            f"/api/admin/cases/{case}/interpreter-requests", json=bad, headers=headers
        ).status_code
        == 422
    )
    assert (
        env.client.post(
            "/api/admin/cases/999999/interpreter-requests", json=body, headers=headers
        ).status_code
        == 404
    )
    with session_scope(env.url) as session:
        row = session.get_one(InterpreterRequest, out["id"])
        assert row.status == InterpreterStatus.OPEN and row.language == "fa"
        audited = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "interpreter_request_create", AuditEntry.handover_id == case
            )
        ).all()
        assert len(audited) == 1


def test_the_queue_filters_by_kind_of_handover(env: Env) -> None:
    with session_scope(env.url) as session:
        conv = Conversation(
            pseudonym=f"web-q{next(_counter)}{uuid.uuid4().hex[:8]}", channel="web", language="de"
        )
        session.add(conv)
        session.flush()
        housing = create_handover(
            session, conversation=conv, reason=HandoverReason.HOUSING_HELP, topic="housing"
        ).id
    headers = env.headers("caseworker")
    page = env.client.get(
        "/api/admin/cases?view=waiting&reason=housing_help&limit=200", headers=headers
    ).json()
    assert housing in {c["id"] for c in page["items"]}
    assert {c["reason"] for c in page["items"]} == {"housing_help"}
    assert page["total"] == len(page["items"])
    other = env.client.get("/api/admin/cases?view=waiting&reason=requested&limit=200", headers=headers).json()
    assert housing not in {c["id"] for c in other["items"]} and other["items"]
    assert env.client.get("/api/admin/cases?reason=flats", headers=headers).status_code == 422


def test_the_inbox_offers_every_reason_and_has_an_interpreter_page(env: Env) -> None:
    assert sorted(value for value, _ in REASONS) == sorted(r.value for r in HandoverReason)
    queue = env.client.get("/inbox")
    assert queue.status_code == 200 and 'value="housing_help"' in queue.text and 'id="reason"' in queue.text
    page = env.client.get("/inbox/interpreters")
    assert page.status_code == 200
    assert "Dolmetscheranfragen" in page.text and "/interpreter-requests/" in page.text
