"""Staff accounts on a real database: hashing, login throttling, tokens, sessions."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from admin_api.audit.models import AuditEntry
from admin_api.staff import service
from admin_api.staff.models import ApiToken, LoginThrottle, Role, StaffUser
from admin_api.staff.service import (
    AuthError,
    LoginPolicy,
    Throttled,
    account_key,
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
    assert _login(session, "anna", PASSWORD).id == user.id


@pytest.mark.parametrize(
    ("password", "languages", "message"),
    [("short", [], "at least 12"), (PASSWORD, ["xx"], "unknown languages")],
)
def test_bad_accounts_are_refused(
    session: Session, password: str, languages: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        create_user(session, username="b", password=password, role=Role.ADMIN, languages=languages)


def _login(session: Session, username: str, password: str, **kwargs: Any) -> Any:
    kwargs.setdefault("address", "192.0.2.1")
    return authenticate(
        lambda: contextlib.nullcontext(session), username=username, password=password, **kwargs
    )


POLICY = LoginPolicy(account_free=3, address_free=10, base_s=2.0, account_max_s=60.0, address_max_s=3600.0)


def test_wrong_passwords_slow_down_further_tries_with_backoff_not_a_fixed_lock(session: Session) -> None:
    create_user(session, username="carl", password=PASSWORD, role=Role.CASEWORKER)
    now = utcnow()
    for _ in range(POLICY.account_free):
        with pytest.raises(AuthError) as failed:
            _login(session, "carl", "wrong password!", policy=POLICY, now=now)
        assert not isinstance(failed.value, Throttled)
    with pytest.raises(Throttled) as waiting:  # even the right password waits
        _login(session, "carl", PASSWORD, policy=POLICY, now=now)
    assert waiting.value.retry_after == pytest.approx(2.0)
    # a try during the wait does not make it longer
    with pytest.raises(Throttled) as still:
        _login(session, "carl", "wrong password!", policy=POLICY, now=now + timedelta(seconds=1))
    assert still.value.retry_after == pytest.approx(1.0)
    # the next failure doubles the wait, up to the short cap for a username
    later = now + timedelta(seconds=3)
    with pytest.raises(AuthError):
        _login(session, "carl", "wrong password!", policy=POLICY, now=later)
    with pytest.raises(Throttled) as doubled:
        _login(session, "carl", PASSWORD, policy=POLICY, now=later)
    assert doubled.value.retry_after == pytest.approx(4.0)
    for step in range(10):
        t = later + timedelta(seconds=100 * (step + 1))
        with pytest.raises(AuthError):
            _login(session, "carl", "wrong password!", policy=POLICY, now=t, address=f"198.51.100.{step}")
    with pytest.raises(Throttled) as capped:
        _login(session, "carl", PASSWORD, policy=POLICY, now=t, address="203.0.113.9")
    assert capped.value.retry_after == pytest.approx(POLICY.account_max_s)
    after = t + timedelta(seconds=POLICY.account_max_s + 1)
    assert (
        _login(session, "carl", PASSWORD, policy=POLICY, now=after, address="203.0.113.9").username == "carl"
    )
    assert session.get(LoginThrottle, account_key("carl")) is None  # success forgets the username's failures


def test_a_guessing_address_is_throttled_across_usernames_and_its_waits_do_not_count(
    session: Session,
) -> None:
    create_user(session, username="dana", password=PASSWORD, role=Role.CASEWORKER)
    now = utcnow()
    for i in range(POLICY.address_free):
        with pytest.raises(AuthError):
            _login(session, f"nobody{i}", "guess guess guess", policy=POLICY, now=now, address="192.0.2.66")
    with pytest.raises(Throttled):
        _login(session, "dana", "guess guess guess", policy=POLICY, now=now, address="192.0.2.66")
    assert session.get(LoginThrottle, account_key("dana")) is None  # the refused try did not count
    assert _login(session, "dana", PASSWORD, policy=POLICY, now=now, address="192.0.2.7").username == "dana"


def test_unknown_usernames_are_throttled_like_real_ones(session: Session) -> None:
    create_user(session, username="emil", password=PASSWORD, role=Role.CASEWORKER)
    now = utcnow()
    answers = {}
    for name in ("emil", "no-such-user"):
        for i in range(POLICY.account_free):
            with pytest.raises(AuthError):
                _login(session, name, "wrong password!", policy=POLICY, now=now, address=f"192.0.2.{i}")
        with pytest.raises(Throttled) as waiting:
            _login(session, name, "wrong password!", policy=POLICY, now=now, address="192.0.2.99")
        answers[name] = waiting.value.retry_after
    assert answers["emil"] == answers["no-such-user"]


class _CountingHasher:
    def __init__(self) -> None:
        self.verified = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(_REAL_HASHER, name)

    def verify(self, hash_: str, password: str) -> bool:
        self.verified += 1
        return _REAL_HASHER.verify(hash_, password)


_REAL_HASHER = service._hasher


@pytest.mark.parametrize("case", ["right", "wrong", "unknown", "inactive", "throttled"])
def test_every_login_path_does_the_same_argon2_work(
    session: Session, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    user = create_user(session, username="fritz", password=PASSWORD, role=Role.CASEWORKER)
    if case == "inactive":
        user.active = False
    if case == "throttled":
        for i in range(POLICY.account_free):
            with pytest.raises(AuthError):
                _login(session, "fritz", "wrong password!", policy=POLICY, address=f"192.0.2.{i}")
    counting = _CountingHasher()
    monkeypatch.setattr(service, "_hasher", counting)
    name = "nobody-here" if case == "unknown" else "fritz"
    password = "wrong password!" if case == "wrong" else PASSWORD
    if case == "right":
        _login(session, name, password, policy=POLICY)
    else:
        with pytest.raises(AuthError):
            _login(session, name, password, policy=POLICY)
    assert counting.verified == 1


def test_logins_failures_and_refusals_are_audited(session: Session) -> None:
    user = create_user(session, username="gerd", password=PASSWORD, role=Role.CASEWORKER)
    session.execute(delete(AuditEntry))
    with pytest.raises(AuthError):
        _login(session, "gerd", "wrong password!", policy=POLICY)
    with pytest.raises(AuthError):
        _login(session, "nobody-at-all", "wrong password!", policy=POLICY)
    _login(session, "gerd", PASSWORD, policy=POLICY)
    rows = session.execute(
        select(AuditEntry.action, AuditEntry.staff_user_id, AuditEntry.detail).order_by(AuditEntry.id)
    ).all()
    assert [(a, u, d["username"], d["address"]) for a, u, d in rows] == [
        ("login_failed", user.id, "gerd", "192.0.2.1"),
        ("login_failed", None, "nobody-at-all", "192.0.2.1"),
        ("login", user.id, "gerd", "192.0.2.1"),
    ]


def test_parallel_wrong_guesses_all_count(engine: Engine) -> None:
    """Separate connections guess at once (on PostgreSQL too): the atomic upsert counts every one."""
    from sqlalchemy.orm import sessionmaker

    factory = sessionmaker(bind=engine, expire_on_commit=False)
    name = f"parallel-{threading.get_ident()}-{utcnow().timestamp()}"
    with factory.begin() as setup:
        user_id = create_user(setup, username=name, password=PASSWORD, role=Role.CASEWORKER).id
    guesses = 6
    barrier = threading.Barrier(guesses)
    policy = LoginPolicy(account_free=100, address_free=100)
    errors: list[BaseException] = []

    def transaction() -> contextlib.AbstractContextManager[Session]:
        return factory.begin()

    def guess(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            authenticate(
                transaction, username=name, password="wrong password!", address=f"10.9.9.{i}", policy=policy
            )
        except AuthError:
            pass
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(guesses)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    try:
        assert errors == []
        with factory() as check:
            assert check.get_one(LoginThrottle, account_key(name)).failures == guesses
    finally:
        with factory.begin() as cleanup:
            cleanup.execute(delete(LoginThrottle).where(LoginThrottle.key.like("addr:10.9.9.%")))
            cleanup.execute(delete(LoginThrottle).where(LoginThrottle.key == account_key(name)))
            cleanup.execute(delete(AuditEntry).where(AuditEntry.staff_user_id == user_id))
            cleanup.execute(delete(StaffUser).where(StaffUser.username == name))


def test_unknown_user_and_inactive_user_fail_alike(session: Session) -> None:
    user = create_user(session, username="dora", password=PASSWORD, role=Role.CASEWORKER)
    user.active = False
    for name in ("dora", "nobody"):
        with pytest.raises(AuthError) as failed:
            _login(session, name, PASSWORD)
        assert type(failed.value) is AuthError


def test_expired_tokens_are_refused_and_use_is_noted(session: Session) -> None:
    user = create_user(session, username="hans", password=PASSWORD, role=Role.CASEWORKER)
    token, secret = issue_token(session, user=user, name="laptop")
    assert token.expires_at - utcnow() > timedelta(days=89)
    assert token.last_used_at is None
    assert user_for_token(session, secret) is not None
    session.expire_all()
    assert session.get_one(ApiToken, token.id).last_used_at is not None
    _, short_secret = issue_token(session, user=user, name="short", lifetime=timedelta(seconds=-1))
    assert user_for_token(session, short_secret) is None


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


def test_an_admin_cannot_lock_themselves_or_everyone_out(session: Session) -> None:
    from admin_api.staff.service import StaffError, change_user

    session.execute(delete(StaffUser))
    first = create_user(session, username="first", password=PASSWORD, role=Role.ADMIN)
    for change in ({"active": False}, {"role": Role.CASEWORKER}):
        with pytest.raises(StaffError, match="your own account"):
            change_user(session, target=first, by=first, **change)  # type: ignore[arg-type]
    assert first.active and first.role == Role.ADMIN
    assert change_user(session, target=first, by=first, languages=["ar"]) == {"languages": [[], ["ar"]]}
    # the last active admin cannot be removed by anyone (e.g. two admins demoting each other at once)
    second = create_user(session, username="second", password=PASSWORD, role=Role.ADMIN)
    assert change_user(session, target=second, by=first, role=Role.CASEWORKER) == {
        "role": ["admin", "caseworker"]
    }
    with pytest.raises(StaffError, match="at least one active administrator"):
        change_user(session, target=first, by=second, active=False)


def test_deactivating_ends_sessions_and_tokens_and_a_reset_password_replaces_the_old(
    session: Session,
) -> None:
    from admin_api.staff.service import change_user, generate_password, set_password

    admin = create_user(session, username="boss", password=PASSWORD, role=Role.ADMIN)
    anna = create_user(session, username="anna2", password=PASSWORD, role=Role.CASEWORKER)
    opened = open_session(session, user=anna)
    _, secret = issue_token(session, user=anna, name="t")
    assert change_user(session, target=anna, by=admin, active=False) == {"active": [True, False]}
    change_user(session, target=anna, by=admin, active=True)
    assert session_user(session, opened.cookie) is None and user_for_token(session, secret) is None
    new = generate_password()
    assert len(new) >= service.MIN_PASSWORD_LENGTH
    with pytest.raises(ValueError, match="at least 12"):
        set_password(session, target=anna, password="short")
    second = open_session(session, user=anna)
    set_password(session, target=anna, password=new)
    assert session_user(session, second.cookie) is None
    with pytest.raises(AuthError):
        _login(session, "anna2", PASSWORD)
    assert _login(session, "anna2", new).id == anna.id
