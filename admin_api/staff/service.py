"""Staff accounts: argon2 password hashes, revocable bearer tokens, browser sessions, login lockout."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from admin_api.staff.models import ApiToken, Role, StaffSession, StaffUser
from bot.db import utcnow
from bot.language.languages import LANGUAGES

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=8)
MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "lotse_"  # noqa: S105 - a prefix, not a secret

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password-used-for-timing")


class AuthError(Exception):
    """Wrong credentials, locked or inactive account (one message for all: no user enumeration)."""


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


def authenticate(session: Session, *, username: str, password: str, now: datetime | None = None) -> StaffUser:
    """Check a password; five failures lock the account for 15 minutes."""
    now = now or utcnow()
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        _verify_dummy(password)
        raise AuthError
    if not user.active or (user.locked_until is not None and user.locked_until > now):
        raise AuthError
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
        session.flush()
        raise AuthError from None
    user.failed_logins, user.locked_until = 0, None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def _verify_dummy(password: str) -> None:
    """Spend the same time on unknown usernames as on wrong passwords."""
    with contextlib.suppress(VerificationError):
        _hasher.verify(_DUMMY_HASH, password)


def issue_token(session: Session, *, user: StaffUser, name: str) -> tuple[ApiToken, str]:
    """A new bearer token; the secret is returned once and only its hash is kept."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=_digest(secret))
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
    row = session.execute(
        select(StaffUser)
        .join(ApiToken, ApiToken.user_id == StaffUser.id)
        .where(ApiToken.token_hash == _digest(secret), ApiToken.revoked_at.is_(None), StaffUser.active)
    ).scalar_one_or_none()
    return row


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
