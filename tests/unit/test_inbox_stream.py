"""The inbox event stream ends after ``inbox_stream_s`` and resumes from the browser's Last-Event-ID
(the end-to-end stream in a browser is in tests/integration/test_inbox.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from admin_api.inbox import router as inbox
from admin_api.inbox.router import _resume_marks
from admin_api.staff.models import ApiToken, Role, StaffSession, StaffUser
from admin_api.staff.service import create_user, issue_token
from bot.conversations.models import Conversation, Direction, Message, MessageStatus
from bot.db import session_scope, utcnow
from bot.handover.models import HandoverReason
from bot.handover.service import create_handover
from bot.web.app import create_app
from tests.conftest import make_settings, migrate


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str], int]]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('stream')) / 'lotse.db'}"
    migrate(url)
    with session_scope(url) as session:
        user = create_user(session, username="clara", password="a long enough password", role=Role.CASEWORKER)
        token = issue_token(session, user=user, name="test")[1]
        conv = Conversation(pseudonym="web-stream", channel="web", language="ar")
        session.add(conv)
        session.flush()
        case = create_handover(session, conversation=conv, reason=HandoverReason.REQUESTED, topic=None).id
    app = create_app(make_settings(database_url=url, rasa_url="http://127.0.0.1:9", inbox_stream_s=0))
    with TestClient(app) as tc:
        yield tc, {"Authorization": f"Bearer {token}"}, case


def test_the_stream_ends_after_its_lifetime_and_tells_the_browser_when_to_reconnect(
    client: tuple[TestClient, dict[str, str], int],
) -> None:
    tc, headers, _ = client
    response = tc.get("/api/admin/events", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text == "retry: 2000\n\n: keep-alive\n\n"  # nothing new since the connection
    assert tc.get("/api/admin/events").status_code == 401


def test_a_reconnecting_browser_gets_what_happened_since_its_last_event(
    client: tuple[TestClient, dict[str, str], int],
) -> None:
    tc, headers, case = client
    response = tc.get("/api/admin/events", headers={**headers, "Last-Event-ID": f"{case - 1}:0"})
    assert f'id: {case}:0\nevent: case\ndata: {{"id": {case}}}\n\n' in response.text
    again = tc.get("/api/admin/events", headers={**headers, "Last-Event-ID": f"{case}:0"})
    assert "event:" not in again.text


@pytest.mark.parametrize("value", [None, "", "3", "1:2:3", "-1:0", "a:1", "١:٢"])
def test_a_missing_or_malformed_last_event_id_starts_from_now(value: str | None) -> None:
    assert _resume_marks(value) is None


def test_a_last_event_id_is_two_marks() -> None:
    assert _resume_marks("12:34") == (12, 34)


def test_a_message_event_names_the_case_it_belongs_to(
    client: tuple[TestClient, dict[str, str], int],
) -> None:
    tc, headers, case = client
    url = tc.app.state.settings.database_url  # type: ignore[attr-defined]
    with session_scope(url) as session:
        conv = session.scalars(select(Conversation).where(Conversation.pseudonym == "web-stream")).one()
        other = Conversation(pseudonym="web-stream-other", channel="web", language="fa")
        session.add(other)
        session.flush()
        other_case = create_handover(
            session, conversation=other, reason=HandoverReason.REQUESTED, topic=None
        ).id
        first = Message(conversation_id=conv.id, direction=Direction.IN, text="a", status=MessageStatus.HUMAN)
        session.add(first)
        session.flush()
        session.add(
            Message(conversation_id=other.id, direction=Direction.IN, text="b", status=MessageStatus.HUMAN)
        )
        session.flush()
        before_first = first.id - 1
    response = tc.get(
        "/api/admin/events", headers={**headers, "Last-Event-ID": f"{other_case}:{before_first}"}
    )
    data = next(line for line in response.text.splitlines() if line.startswith("data:") and "cases" in line)
    assert json.loads(data.removeprefix("data: "))["cases"] == [case, other_case]
    only_second = tc.get(
        "/api/admin/events", headers={**headers, "Last-Event-ID": f"{other_case}:{before_first + 1}"}
    )
    assert f'"cases": [{other_case}]' in only_second.text


def _for_this_case(case_id: int, data: str) -> bool:
    """Run the case page's own event filter (from the template) in Node."""
    template = (Path(__file__).parents[2] / "admin_api/inbox/templates/case.html").read_text()
    start = template.index("function forThisCase")
    end = template.index("\n}\n", start) + 3
    run = "process.stdout.write(String(forThisCase(process.argv[1])));"
    script = f"const id = {case_id};\n{template[start:end]}\n{run}"
    out = subprocess.run(["node", "-e", script, data], capture_output=True, text=True, check=True)
    return out.stdout == "true"


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_the_case_page_reloads_only_for_its_own_case() -> None:
    assert _for_this_case(7, '{"id": 40, "cases": [3, 7]}')
    assert not _for_this_case(7, '{"id": 41, "cases": [3, 8]}')
    assert _for_this_case(7, '{"id": 42, "cases": null}')  # too many to name: reload to be safe


@pytest.mark.parametrize("ending", ["revoke", "deactivate", "logout"])
def test_the_stream_ends_when_the_login_ends(
    client: tuple[TestClient, dict[str, str], int], monkeypatch: pytest.MonkeyPatch, ending: str
) -> None:
    """The login is checked with every poll: revoking the token, deactivating the account or logging
    out ends the stream at the next poll (not after ``inbox_stream_s``)."""
    tc, _, _ = client
    url = tc.app.state.settings.database_url  # type: ignore[attr-defined]
    name = f"stream-{ending}"
    with session_scope(url) as session:
        user = create_user(session, username=name, password="a long enough password", role=Role.CASEWORKER)
        user_id = user.id
        token, secret = issue_token(session, user=user, name="stream")
        token_id = token.id
    original = tc.app.state.settings  # type: ignore[attr-defined]
    monkeypatch.setattr(inbox, "POLL_S", 0.01)
    stream_client = TestClient(tc.app)
    if ending == "logout":
        login = stream_client.post(
            "/api/admin/auth/login", json={"username": name, "password": "a long enough password"}
        )
        assert login.status_code == 200
        headers: dict[str, str] = {}
    else:
        headers = {"Authorization": f"Bearer {secret}"}
    polls = 0
    real_marks = inbox._marks

    def marks(request: Any) -> Any:
        nonlocal polls
        polls += 1
        if polls == 3:
            with session_scope(url) as session:
                if ending == "revoke":
                    session.get_one(ApiToken, token_id).revoked_at = utcnow()
                elif ending == "deactivate":
                    session.get_one(StaffUser, user_id).active = False
                else:
                    session.execute(delete(StaffSession).where(StaffSession.user_id == user_id))
        return real_marks(request)

    monkeypatch.setattr(inbox, "_marks", marks)
    tc.app.state.settings = original.model_copy(update={"inbox_stream_s": 5.0})  # type: ignore[attr-defined]
    try:
        response = stream_client.get("/api/admin/events", headers=headers)
    finally:
        tc.app.state.settings = original  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert response.text.endswith("event: logout\ndata: {}\n\n")
    assert response.text.count(": keep-alive") == 2
