"""Staff accounts on a real database: hashing, lockout, tokens, sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from admin_api.staff.models import Role
from admin_api.staff.service import (
    MAX_FAILED_LOGINS,
    AuthError,
    authenticate,
    close_session,
    create_user,
    issue_token,
    open_session,
    revoke_token,
    session_user,
    user_for_token,
)
from bot.db import utcnow

PASSWORD = "a long enough password"


def test_passwords_are_hashed_with_argon2(session: Session) -> None:
    user = create_user(session, username="anna", password=PASSWORD, role=Role.CASEWORKER, languages=["ar"])
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert authenticate(session, username="anna", password=PASSWORD).id == user.id


@pytest.mark.parametrize(
    ("password", "languages", "message"),
    [("short", [], "at least 12"), (PASSWORD, ["xx"], "unknown languages")],
)
def test_bad_accounts_are_refused(
    session: Session, password: str, languages: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        create_user(session, username="b", password=password, role=Role.ADMIN, languages=languages)


def test_five_wrong_passwords_lock_the_account(session: Session) -> None:
    create_user(session, username="carl", password=PASSWORD, role=Role.CASEWORKER)
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(AuthError):
            authenticate(session, username="carl", password="wrong password!")
    with pytest.raises(AuthError):
        authenticate(session, username="carl", password=PASSWORD)  # locked, even with the right one
    later = utcnow() + timedelta(minutes=16)
    assert authenticate(session, username="carl", password=PASSWORD, now=later).username == "carl"


def test_unknown_user_and_inactive_user_fail_alike(session: Session) -> None:
    user = create_user(session, username="dora", password=PASSWORD, role=Role.CASEWORKER)
    user.active = False
    for name in ("dora", "nobody"):
        with pytest.raises(AuthError):
            authenticate(session, username=name, password=PASSWORD)


def test_tokens_can_be_revoked_by_their_owner_or_an_admin(session: Session) -> None:
    anna = create_user(session, username="anna2", password=PASSWORD, role=Role.CASEWORKER)
    bert = create_user(session, username="bert", password=PASSWORD, role=Role.CASEWORKER)
    boss = create_user(session, username="boss", password=PASSWORD, role=Role.ADMIN)
    token, secret = issue_token(session, user=anna, name="laptop")
    assert secret.startswith("lotse_") and token.token_hash != secret
    user = user_for_token(session, secret)
    assert user is not None and user.id == anna.id
    assert not revoke_token(session, token_id=token.id, by=bert)
    assert revoke_token(session, token_id=token.id, by=boss)
    session.expire_all()
    assert user_for_token(session, secret) is None


def test_browser_sessions_expire_and_close(session: Session) -> None:
    user = create_user(session, username="eva", password=PASSWORD, role=Role.ADMIN)
    opened = open_session(session, user=user)
    found = session_user(session, opened.cookie)
    assert found is not None and found[1].csrf_token == opened.csrf_token
    close_session(session, opened.cookie)
    session.flush()
    assert session_user(session, opened.cookie) is None
