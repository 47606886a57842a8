"""Staff management and the audit log: the staff API (generated passwords, password reset, no
lock-out, audited changes), the audit API's filters and paging, that no secret reaches the audit
log, and the admin-only pages ``/inbox/staff`` and ``/inbox/audit`` — on the real app with its own
SQLite database."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from admin_api.audit.models import AuditEntry
from admin_api.audit.service import REDACTED, audit
from admin_api.staff.models import StaffUser
from admin_api.staff.service import issue_token
from bot.db import session_scope, utcnow
from tests.unit.admin_env import PASSWORD, AdminEnv, admin_env

_n = itertools.count()


class Env(AdminEnv):
    def log(self, **params: Any) -> list[dict[str, Any]]:
        response = self.client.get("/api/admin/audit", params=params, headers=self.headers("admin"))
        assert response.status_code == 200, response.text
        entries: list[dict[str, Any]] = response.json()
        return entries


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    with admin_env("staffconsole", tmp_path_factory, prefix="s") as base:
        yield Env(**vars(base))


def _login(env: Env, username: str, password: str) -> int:
    client = TestClient(env.client.app)
    return client.post("/api/admin/auth/login", json={"username": username, "password": password}).status_code


def test_an_account_with_a_generated_password_is_created_once_and_audited(env: Env) -> None:
    name = f"gen{next(_n)}"
    made = env.client.post(
        "/api/admin/staff",
        json={"username": name, "role": "caseworker", "languages": ["ar", "fa"]},
        headers=env.headers("admin"),
    )
    assert made.status_code == 201
    body = made.json()
    assert body["languages"] == ["ar", "fa"] and body["active"] and len(body["password"]) >= 12
    assert _login(env, name, body["password"]) == 200
    me = env.client.get("/api/admin/auth/me", headers=env.headers("admin")).json()
    assert me["last_login_at"] is None  # the token's owner never logged in through the login
    given = env.client.post(
        "/api/admin/staff",
        json={"username": f"given{next(_n)}", "role": "caseworker", "password": PASSWORD},
        headers=env.headers("admin"),
    )
    assert given.status_code == 201 and given.json()["password"] is None
    short = env.client.post(
        "/api/admin/staff",
        json={"username": f"x{next(_n)}", "role": "caseworker", "password": "short"},
        headers=env.headers("admin"),
    )
    assert short.status_code == 422
    listed = {
        u["username"]: u for u in env.client.get("/api/admin/staff", headers=env.headers("admin")).json()
    }
    assert (
        listed[name]["last_login_at"] is not None
        and listed[given.json()["username"]]["last_login_at"] is None
    )
    [created] = env.log(action="staff_create", user=name)
    assert created["username"] == "s-admin" and created["detail"]["generated_password"] is True
    assert body["password"] not in json.dumps(created)


def test_changes_are_audited_with_old_and_new_values_and_deactivation_locks_out(env: Env) -> None:
    name = f"anna{next(_n)}"
    made = env.client.post(
        "/api/admin/staff",
        json={"username": name, "role": "caseworker", "password": PASSWORD},
        headers=env.headers("admin"),
    ).json()
    with session_scope(env.url) as session:
        token = issue_token(session, user=session.get_one(StaffUser, made["id"]), name="t")[1]
    bearer = {"Authorization": f"Bearer {token}"}
    assert env.client.get("/api/admin/auth/me", headers=bearer).status_code == 200
    changed = env.client.patch(
        f"/api/admin/staff/{made['id']}",
        json={"languages": ["uk"], "active": False},
        headers=env.headers("admin"),
    )
    assert changed.status_code == 200 and changed.json()["active"] is False
    assert env.client.get("/api/admin/auth/me", headers=bearer).status_code == 401
    assert _login(env, name, PASSWORD) == 401
    again = env.client.patch(
        f"/api/admin/staff/{made['id']}", json={"active": True}, headers=env.headers("admin")
    )
    assert again.status_code == 200
    assert env.client.get("/api/admin/auth/me", headers=bearer).status_code == 401  # revoked for good
    assert _login(env, name, PASSWORD) == 200
    log = env.log(user=name, action="staff_change")
    assert [e["detail"]["changes"] for e in log] == [
        {"active": [False, True]},
        {"languages": [[], ["uk"]], "active": [True, False]},
    ]
    assert [e["action"] for e in env.log(user=name)][:2] == ["login", "staff_change"]  # by and about
    unknown = env.client.patch(
        f"/api/admin/staff/{made['id']}", json={"languages": ["xx"]}, headers=env.headers("admin")
    )
    assert unknown.status_code == 400


def test_an_admin_cannot_deactivate_or_demote_themselves(env: Env) -> None:
    me = env.ids["admin"]
    for body in ({"active": False}, {"role": "caseworker"}):
        refused = env.client.patch(f"/api/admin/staff/{me}", json=body, headers=env.headers("admin"))
        assert refused.status_code == 409 and "own account" in refused.json()["detail"]
    assert env.client.get("/api/admin/auth/me", headers=env.headers("admin")).json()["role"] == "admin"


def test_password_reset_generated_or_given_never_audited_in_clear(env: Env) -> None:
    name = f"reset{next(_n)}"
    made = env.client.post(
        "/api/admin/staff",
        json={"username": name, "role": "caseworker", "password": PASSWORD},
        headers=env.headers("admin"),
    ).json()
    generated = env.client.post(
        f"/api/admin/staff/{made['id']}/password", json={}, headers=env.headers("admin")
    )
    assert generated.status_code == 200
    new = generated.json()["password"]
    assert _login(env, name, PASSWORD) == 401 and _login(env, name, new) == 200
    chosen = "another long password"
    given = env.client.post(
        f"/api/admin/staff/{made['id']}/password", json={"password": chosen}, headers=env.headers("admin")
    )
    assert given.status_code == 200 and given.json() == {"password": None}
    assert _login(env, name, chosen) == 200
    short = env.client.post(
        f"/api/admin/staff/{made['id']}/password", json={"password": "short"}, headers=env.headers("admin")
    )
    assert short.status_code == 422
    missing = env.client.post("/api/admin/staff/999999/password", json={}, headers=env.headers("admin"))
    assert missing.status_code == 404
    resets = env.log(action="staff_password", user=name)
    assert [e["detail"]["generated_password"] for e in resets] == [False, True]
    with session_scope(env.url) as session:
        stored = json.dumps([e.detail for e in session.scalars(select(AuditEntry))])
        hashes = list(session.scalars(select(StaffUser.password_hash)))
    for secret in (new, chosen, PASSWORD, *env.tokens.values(), *hashes):
        assert secret not in stored


def test_secret_keys_are_never_stored_or_shown(env: Env) -> None:
    with session_scope(env.url) as session:
        audit(
            session,
            user=None,
            action="probe",
            detail={"password": "hunter2", "nested": [{"token": "t0k"}], "ok": 1},
        )
        # a row written before redaction existed is still shown redacted
        session.add(
            AuditEntry(action="probe_old", detail={"password_hash": "$argon2id$x", "token_hash": "ab"})
        )
    [new] = env.log(action="probe")
    assert new["detail"] == {"password": REDACTED, "nested": [{"token": REDACTED}], "ok": 1}
    [old] = env.log(action="probe_old")
    assert old["detail"] == {"password_hash": REDACTED, "token_hash": REDACTED}
    page = _admin_page(env, "/inbox/audit?action=probe_old")
    assert "$argon2id$x" not in page.text and "redacted" in page.text


def test_the_audit_log_filters_by_action_days_and_text_and_pages(env: Env) -> None:
    tag = f"tag{next(_n)}"
    with session_scope(env.url) as session:
        for i in range(5):
            audit(session, user=None, action="probe_page", detail={"note": f"{tag} Rückruf {i}"})
        old = audit(session, user=None, action="probe_page", detail={"note": f"{tag} old"})
        session.flush()
        session.execute(
            update(AuditEntry).where(AuditEntry.id == old.id).values(at=utcnow() - timedelta(days=10))
        )
    today = utcnow().date()
    assert len(env.log(q=tag)) == 6
    # newest (last written) first: the back-dated entry was written last
    assert [e["detail"]["note"] for e in env.log(q=tag, limit=2, offset=1)] == [
        f"{tag} Rückruf 4",
        f"{tag} Rückruf 3",
    ]
    assert len(env.log(q=tag, start=str(today))) == 5
    assert [e["detail"]["note"] for e in env.log(q=tag, end=str(today - timedelta(days=1)))] == [f"{tag} old"]
    assert len(env.log(q="rückruf", action="probe_page")) >= 5  # case-insensitive, non-ASCII
    assert env.log(q="100%_") == []  # LIKE wildcards are literal
    assert env.log(action="no_such_action") == []
    bad = env.client.get(
        "/api/admin/audit",
        params={"start": str(today), "end": str(today - timedelta(days=1))},
        headers=env.headers("admin"),
    )
    assert bad.status_code == 400


def _admin_page(env: Env, path: str) -> Any:
    client, _, _ = env.browser("admin")
    page = client.get(path)
    assert page.status_code == 200, page.text
    return page


@pytest.mark.parametrize("path", ["/inbox/staff", "/inbox/audit"])
def test_pages_are_for_admins_only(env: Env, path: str) -> None:
    anonymous = TestClient(env.client.app).get(path, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/inbox/login"
    caseworker, _, _ = env.browser("caseworker")
    assert caseworker.get(path).status_code == 403
    assert 'href="/inbox/staff"' not in caseworker.get("/inbox").text  # no admin links for caseworkers
    page = _admin_page(env, path)
    assert 'href="/inbox/staff"' in page.text and 'href="/inbox/audit"' in page.text


def test_the_staff_page_lists_accounts_and_hides_self_lockout_controls(env: Env) -> None:
    client, _, me = env.browser("admin")
    assert client.get("/api/admin/auth/me").json()["last_login_at"] is not None
    text = client.get("/inbox/staff").text
    assert "s-caseworker" in text and f'data-username="{me}"' in text
    own_row = text.split(f'data-username="{me}"')[1].split("</tr>")[0]
    assert "Deaktivieren / Deactivate" not in own_row and "disabled" in own_row
    other_row = text.split('data-username="s-caseworker"')[1].split("</tr>")[0]
    assert "Deaktivieren / Deactivate" in other_row
    assert "$argon2" not in text


def test_the_audit_page_filters_on_the_server_and_pages(env: Env) -> None:
    tag = f"pg{next(_n)}"
    with session_scope(env.url) as session:
        for i in range(53):
            audit(session, user=None, action="probe_many", detail={"n": i, "tag": tag})
    client, _, _ = env.browser("admin")
    first = client.get("/inbox/audit", params={"action": "probe_many", "q": tag})
    assert first.status_code == 200 and first.text.count('data-action="probe_many"') == 50
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    second = client.get("/inbox/audit", params={"action": "probe_many", "q": tag, "page": 2})
    assert second.text.count('data-action="probe_many"') == 3 and 'rel="prev"' in second.text
    blank = client.get("/inbox/audit", params={"user": "", "action": "", "start": "", "end": "", "q": ""})
    assert blank.status_code == 200
    assert client.get("/inbox/audit", params={"start": "2026-13-01"}).status_code == 400
    escaped = client.get("/inbox/audit", params={"q": "<script>"})
    assert "<script>alert" not in escaped.text and 'value="&lt;script&gt;"' in escaped.text
