"""Staff accounts: argon2 password hashes, expiring revocable bearer tokens, browser sessions, and
login throttling with exponential backoff per username and per client address."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from admin_api.audit.models import AuditEntry
from admin_api.audit.service import redact
from admin_api.staff.models import ApiToken, LoginThrottle, Role, StaffSession, StaffUser
from bot.db import utcnow
from bot.language.languages import LANGUAGES

if TYPE_CHECKING:
    from bot.config import Settings

SESSION_LIFETIME = timedelta(hours=8)
MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "lotse_"  # noqa: S105 - a prefix, not a secret
TOKEN_LIFETIME = timedelta(days=90)
LAST_USED_RESOLUTION = timedelta(minutes=1)
"""``last_used_at`` is written at most once a minute per token (not on every request)."""

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password-used-for-timing")

Transaction = Callable[[], AbstractContextManager[Session]]
"""A short transaction of its own, e.g. ``sessionmaker.begin`` (argon2 never runs inside one)."""


class StaffError(ValueError):
    """A change to an account that is refused (e.g. it would lock the administrators out)."""


class AuthError(Exception):
    """Wrong credentials, unknown or inactive account (one message for all: no user enumeration)."""


class Throttled(AuthError):
    """Too many failed logins for this username or client address: try again after ``retry_after`` s."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"try again in {retry_after:.0f} s")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    """After ``*_free`` failures every further failure makes the next try wait ``base_s * 2**n`` seconds,
    at most ``*_max_s``. The username's cap is short, so an attacker cannot keep a caseworker locked out
    for long; a client address that keeps guessing waits up to an hour, and while it waits its tries do
    not count against any username."""

    account_free: int = 5
    address_free: int = 20
    base_s: float = 2.0
    account_max_s: float = 60.0
    address_max_s: float = 3600.0
    window_s: float = 3600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginPolicy:
        return cls(
            account_free=settings.login_account_free_attempts,
            address_free=settings.login_address_free_attempts,
            base_s=settings.login_backoff_base_s,
            account_max_s=settings.login_account_max_delay_s,
            address_max_s=settings.login_address_max_delay_s,
            window_s=settings.login_failure_window_s,
        )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session, *, username: str, password: str, role: Role, languages: list[str] | None = None
) -> StaffUser:
    """Create an account; the password is stored as an argon2id hash."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    unknown = [lang for lang in languages or [] if lang not in LANGUAGES]
    if unknown:
        raise ValueError(f"unknown languages: {unknown}")
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
        raise ValueError(f"user {username!r} exists")
    user = StaffUser(
        username=username, password_hash=_hasher.hash(password), role=role, languages=list(languages or [])
    )
    session.add(user)
    session.flush()
    return user


def generate_password() -> str:
    """A random password of 20 URL-safe characters (120 bits), well above :data:`MIN_PASSWORD_LENGTH`."""
    return secrets.token_urlsafe(15)


def change_user(
    session: Session,
    *,
    target: StaffUser,
    by: StaffUser,
    role: Role | None = None,
    languages: list[str] | None = None,
    active: bool | None = None,
) -> dict[str, list[Any]]:
    """Change role, languages or active state; return the changes as ``{field: [old, new]}``.

    Refused (:class:`StaffError`): an admin deactivating or demoting their own account, and any change
    that would leave no active administrator (the active admins' rows are locked first, so two admins
    demoting each other at once cannot both succeed on PostgreSQL). Deactivating an account ends its
    browser sessions and revokes its API tokens, so that reactivating it does not bring them back.
    """
    if languages is not None:
        unknown = [lang for lang in languages if lang not in LANGUAGES]
        if unknown:
            raise ValueError(f"unknown languages: {unknown}")
    removes_admin = (
        target.role == Role.ADMIN
        and target.active
        and ((role is not None and role != Role.ADMIN) or active is False)
    )
    if removes_admin:
        if target.id == by.id:
            raise StaffError("you cannot deactivate or demote your own account")
        admins = session.scalars(
            select(StaffUser.id)
            .where(StaffUser.role == Role.ADMIN, StaffUser.active, StaffUser.id != target.id)
            .with_for_update()
        ).all()
        if not admins:
            raise StaffError("at least one active administrator must remain")
    changes: dict[str, list[Any]] = {}
    if role is not None and role != target.role:
        changes["role"] = [target.role.value, role.value]
        target.role = role
    if languages is not None and list(languages) != list(target.languages):
        changes["languages"] = [list(target.languages), list(languages)]
        target.languages = list(languages)
    if active is not None and active != target.active:
        changes["active"] = [target.active, active]
        target.active = active
        if not active:
            end_sessions(session, user_id=target.id)
            session.execute(
                update(ApiToken)
                .where(ApiToken.user_id == target.id, ApiToken.revoked_at.is_(None))
                .values(revoked_at=utcnow())
                .execution_options(synchronize_session=False)
            )
    session.flush()
    return changes


def set_password(session: Session, *, target: StaffUser, password: str) -> None:
    """Replace an account's password (same rules as :func:`create_user`); ends its browser sessions."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    target.password_hash = _hasher.hash(password)
    end_sessions(session, user_id=target.id)
    session.flush()


def end_sessions(session: Session, *, user_id: int) -> None:
    """Log an account out of every browser."""
    session.execute(
        delete(StaffSession)
        .where(StaffSession.user_id == user_id)
        .execution_options(synchronize_session=False)
    )


def last_logins(session: Session, *, user_id: int | None = None) -> dict[int, datetime]:
    """Each account's (or one account's) last successful login, as the audit log recorded it."""
    query = select(AuditEntry.staff_user_id, func.max(AuditEntry.at)).where(
        AuditEntry.action == "login", AuditEntry.staff_user_id.is_not(None)
    )
    if user_id is not None:
        query = query.where(AuditEntry.staff_user_id == user_id)
    rows = session.execute(query.group_by(AuditEntry.staff_user_id)).all()
    return {uid: at for uid, at in rows if uid is not None}


def account_key(username: str) -> str:
    return f"user:{username}"


def address_key(address: str) -> str:
    return f"addr:{address}"


def authenticate(
    transaction: Transaction,
    *,
    username: str,
    password: str,
    address: str,
    policy: LoginPolicy | None = None,
    now: datetime | None = None,
) -> StaffUser:
    """Check a password; raise :class:`Throttled` while a wait is due, :class:`AuthError` otherwise.

    Every path (unknown, inactive, throttled, wrong, right) runs exactly one argon2 verification, so
    the answer time does not tell whether a username exists. Argon2 runs outside any transaction; the
    failure counters are single atomic upserts, so parallel guesses all count. Successes, failures and
    refusals are written to the audit log.
    """
    policy, now = policy or LoginPolicy(), now or utcnow()
    keys = [
        (account_key(username), policy.account_free, policy.account_max_s),
        (address_key(address), policy.address_free, policy.address_max_s),
    ]
    with transaction() as session:
        wait = _wait_s(session, [k for k, _, _ in keys], now)
        row = session.execute(
            select(StaffUser.id, StaffUser.password_hash, StaffUser.active).where(
                StaffUser.username == username
            )
        ).first()
    usable = row is not None and row.active and wait == 0
    verified = _verify(row.password_hash if usable and row is not None else None, password)
    detail: dict[str, Any] = {"username": username, "address": address}
    if not (usable and verified) or row is None:
        with transaction() as session:
            if wait:  # not counted: a try during the wait cannot make it longer
                _audit(session, row.id if row else None, "login_throttled", detail)
            else:
                _record_failure(session, keys, policy, now)
                _audit(session, row.id if row else None, "login_failed", detail)
        if wait:
            raise Throttled(wait)
        raise AuthError
    new_hash = _hasher.hash(password) if _hasher.check_needs_rehash(row.password_hash) else None
    with transaction() as session:
        session.execute(delete(LoginThrottle).where(LoginThrottle.key == account_key(username)))
        user = session.get_one(StaffUser, row.id)
        if new_hash is not None:
            user.password_hash = new_hash
        _audit(session, user.id, "login", detail)
        session.flush()
    return user


def _audit(session: Session, user_id: int | None, action: str, detail: dict[str, Any]) -> None:
    session.add(AuditEntry(staff_user_id=user_id, action=action, detail=redact(detail)))


def _verify(password_hash: str | None, password: str) -> bool:
    """One argon2 verification, against the dummy hash when there is no usable account."""
    try:
        _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def _wait_s(session: Session, keys: list[str], now: datetime) -> float:
    """Seconds until every key may try again (0: now)."""
    until = session.scalars(
        select(LoginThrottle.blocked_until).where(
            LoginThrottle.key.in_(keys), LoginThrottle.blocked_until > now
        )
    ).all()
    return max(((u - now).total_seconds() for u in until if u is not None), default=0.0)


def _record_failure(
    session: Session, keys: list[tuple[str, int, float]], policy: LoginPolicy, now: datetime
) -> None:
    """Count a failure per key with one atomic upsert each; past the free tries, set the backoff."""
    stale = now - timedelta(seconds=policy.window_s)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for key, free, cap_s in keys:
        stmt = insert(LoginThrottle).values(key=key, failures=1, last_failure_at=now, blocked_until=None)
        failures = session.execute(
            stmt.on_conflict_do_update(
                index_elements=[LoginThrottle.key],
                set_={
                    "failures": case(
                        (LoginThrottle.last_failure_at < stale, 1), else_=LoginThrottle.failures + 1
                    ),
                    "last_failure_at": now,
                },
            ).returning(LoginThrottle.failures)
        ).scalar_one()
        if failures >= free:
            delay = min(cap_s, policy.base_s * 2.0 ** min(failures - free, 40))
            until = now + timedelta(seconds=delay)
            session.execute(
                update(LoginThrottle)
                .where(
                    LoginThrottle.key == key,
                    or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < until),
                )
                .values(blocked_until=until)
                .execution_options(synchronize_session=False)
            )
    session.execute(
        delete(LoginThrottle)
        .where(
            LoginThrottle.last_failure_at < stale,
            or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < now),
        )
        .execution_options(synchronize_session=False)
    )


def issue_token(
    session: Session, *, user: StaffUser, name: str, lifetime: timedelta = TOKEN_LIFETIME
) -> tuple[ApiToken, str]:
    """A new bearer token valid for ``lifetime``; the secret is returned once and only its hash is kept."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=_digest(secret), expires_at=utcnow() + lifetime)
    session.add(token)
    session.flush()
    return token, secret


def revoke_token(session: Session, *, token_id: int, by: StaffUser) -> bool:
    """Revoke a token (own tokens, or any token by an admin)."""
    query = update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
    if by.role != Role.ADMIN:
        query = query.where(ApiToken.user_id == by.id)
    result = session.execute(query.values(revoked_at=utcnow()).execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def user_for_token(session: Session, secret: str) -> StaffUser | None:
    """The active user of a valid (not revoked, not expired) token; notes when it was last used."""
    now = utcnow()
    row = session.execute(
        select(StaffUser, ApiToken.id, ApiToken.last_used_at)
        .join(ApiToken, ApiToken.user_id == StaffUser.id)
        .where(
            ApiToken.token_hash == _digest(secret),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now,
            StaffUser.active,
        )
    ).first()
    if row is None:
        return None
    user, token_id, last_used = row
    if last_used is None or now - last_used >= LAST_USED_RESOLUTION:
        session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token_id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - LAST_USED_RESOLUTION),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
    return user


@dataclass(frozen=True, slots=True)
class NewSession:
    cookie: str
    csrf_token: str
    expires_at: datetime


def open_session(session: Session, *, user: StaffUser) -> NewSession:
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    expires = utcnow() + SESSION_LIFETIME
    session.add(
        StaffSession(user_id=user.id, token_hash=_digest(cookie), csrf_token=csrf, expires_at=expires)
    )
    session.flush()
    return NewSession(cookie=cookie, csrf_token=csrf, expires_at=expires)


def session_user(session: Session, cookie: str) -> tuple[StaffUser, StaffSession] | None:
    row = session.execute(
        select(StaffUser, StaffSession)
        .join(StaffSession, StaffSession.user_id == StaffUser.id)
        .where(
            StaffSession.token_hash == _digest(cookie), StaffSession.expires_at > utcnow(), StaffUser.active
        )
    ).first()
    return (row[0], row[1]) if row else None


def close_session(session: Session, cookie: str) -> None:
    found = session.scalar(select(StaffSession).where(StaffSession.token_hash == _digest(cookie)))
    if found is not None:
        session.delete(found)
