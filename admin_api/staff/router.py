"""Login, staff accounts (admins) and personal API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Cookie, HTTPException, Request, Response, status
from sqlalchemy import select

from admin_api.audit.service import audit
from admin_api.dependencies import SESSION_COOKIE, AdminOnly, CurrentUser
from admin_api.staff.models import ApiToken, StaffUser
from admin_api.staff.schemas import (
    LoginIn,
    LoginOut,
    NewStaffOut,
    NewTokenOut,
    PasswordIn,
    PasswordOut,
    StaffIn,
    StaffOut,
    StaffPatch,
    TokenIn,
    TokenOut,
)
from admin_api.staff.service import (
    AuthError,
    LoginPolicy,
    NewSession,
    StaffError,
    Throttled,
    authenticate,
    change_user,
    close_session,
    create_user,
    generate_password,
    issue_token,
    last_logins,
    open_session,
    set_password,
)
from admin_api.staff.service import revoke_token as revoke
from bot.pipeline import Assistant
from bot.web.dependencies import IdPath, SessionDep, SettingsDep
from bot.web.errors import ADMIN_ONLY, LOGIN_REQUIRED, errors

auth_router = APIRouter(prefix="/auth", tags=["auth"])
staff_router = APIRouter(prefix="/staff", tags=["staff"], dependencies=[AdminOnly], responses=ADMIN_ONLY)
token_router = APIRouter(prefix="/tokens", tags=["tokens"], responses=LOGIN_REQUIRED)


def _staff_out(user: StaffUser, last_login: datetime | None = None) -> StaffOut:
    return StaffOut(
        id=user.id,
        username=user.username,
        role=user.role,
        languages=list(user.languages),
        active=user.active,
        last_login_at=last_login,
    )


@auth_router.post(
    "/login",
    responses=errors(
        400,
        401,
        429,
        e401="Wrong username or password, or an inactive account",
        e429="Too many failed logins for this username or address: wait Retry-After seconds",
    ),
)
async def login(body: LoginIn, request: Request, response: Response, settings: SettingsDep) -> LoginOut:
    """Browser login: sets an HTTP-only session cookie and returns the CSRF token.

    Failed logins slow down further tries per username and per client address (exponential backoff,
    see the README's security limits); every attempt is audited.
    """
    assistant: Assistant = request.app.state.assistant
    address = request.client.host if request.client else "unknown"

    def log_in() -> tuple[StaffUser, NewSession]:  # in a thread: argon2 and database writes
        user = authenticate(
            assistant.sessions.begin,
            username=body.username,
            password=body.password,
            address=address,
            policy=LoginPolicy.from_settings(settings),
        )
        with assistant.sessions.begin() as session:
            return user, open_session(session, user=user)

    try:
        user, opened = await anyio.to_thread.run_sync(log_in)
    except Throttled as exc:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many failed logins, try again later",
            {"Retry-After": str(max(1, round(exc.retry_after + 0.5)))},
        ) from None
    except AuthError:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password") from None
    response.set_cookie(
        SESSION_COOKIE,
        opened.cookie,
        httponly=True,
        secure=settings.env == "production",
        samesite="strict",
        expires=opened.expires_at,
        path="/",
    )
    return LoginOut(username=user.username, role=user.role, csrf_token=opened.csrf_token)


@auth_router.post(
    "/logout", status_code=status.HTTP_204_NO_CONTENT, responses={**LOGIN_REQUIRED, **errors(403)}
)
def logout(
    response: Response,
    session: SessionDep,
    user: CurrentUser,
    lotse_session: Annotated[str | None, Cookie(include_in_schema=False)] = None,
) -> None:
    """End the browser session."""
    if lotse_session:
        close_session(session, lotse_session)
    response.delete_cookie(SESSION_COOKIE, path="/")


@auth_router.get("/me", responses=LOGIN_REQUIRED)
def me(user: CurrentUser, session: SessionDep) -> StaffOut:
    """The logged-in staff member."""
    return _staff_out(user, last_logins(session, user_id=user.id).get(user.id))


@staff_router.get("")
def list_staff(session: SessionDep) -> list[StaffOut]:
    """All staff accounts, with their last login where the audit log has one."""
    logins = last_logins(session)
    users = session.scalars(select(StaffUser).order_by(StaffUser.username))
    return [_staff_out(u, logins.get(u.id)) for u in users]


@staff_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=errors(400, 409, e409="The username is taken, or an unknown language"),
)
def add_staff(body: StaffIn, session: SessionDep, user: CurrentUser) -> NewStaffOut:
    """Create a caseworker or admin account; without a password a random one is generated and returned
    once (only its argon2 hash is stored)."""
    generated = generate_password() if body.password is None else None
    try:
        created = create_user(
            session,
            username=body.username,
            password=body.password or generated or "",
            role=body.role,
            languages=body.languages,
        )
    except ValueError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    audit(
        session,
        user=user,
        action="staff_create",
        detail={
            "staff_id": created.id,
            "username": created.username,
            "role": created.role.value,
            "languages": list(created.languages),
            "generated_password": generated is not None,
        },
    )
    return NewStaffOut(**_staff_out(created).model_dump(), password=generated)


def _target(session: SessionDep, staff_id: int) -> StaffUser:
    target = session.get(StaffUser, staff_id)
    if target is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown staff member")
    return target


@staff_router.patch(
    "/{staff_id}",
    responses=errors(
        400,
        404,
        409,
        e400="Unknown language, or a body that could not be decoded",
        e409="Would lock the administrators out: your own account, or the last active admin",
    ),
)
def change_staff(staff_id: IdPath, body: StaffPatch, session: SessionDep, user: CurrentUser) -> StaffOut:
    """Change role or languages, deactivate or reactivate an account.

    Deactivating ends the account's browser sessions and revokes its API tokens. An admin cannot
    deactivate or demote their own account, and one active admin always remains.
    """
    target = _target(session, staff_id)
    try:
        changes = change_user(
            session, target=target, by=user, role=body.role, languages=body.languages, active=body.active
        )
    except StaffError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    except ValueError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "unknown language") from None
    audit(
        session,
        user=user,
        action="staff_change",
        detail={"staff_id": staff_id, "username": target.username, "changes": changes},
    )
    return _staff_out(target, last_logins(session, user_id=target.id).get(target.id))


@staff_router.post("/{staff_id}/password", responses=errors(400, 404))
def reset_password(staff_id: IdPath, body: PasswordIn, session: SessionDep, user: CurrentUser) -> PasswordOut:
    """Set a new password for an account, or generate one (returned once); ends its browser sessions.
    The audit log records that it happened, never the password."""
    target = _target(session, staff_id)
    generated = generate_password() if body.password is None else None
    set_password(session, target=target, password=body.password or generated or "")
    audit(
        session,
        user=user,
        action="staff_password",
        detail={
            "staff_id": staff_id,
            "username": target.username,
            "generated_password": generated is not None,
        },
    )
    return PasswordOut(password=generated)


@token_router.get("")
def my_tokens(session: SessionDep, user: CurrentUser) -> list[TokenOut]:
    """The caller's API tokens (without their secrets)."""
    rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    return [_token_out(t) for t in rows]


def _token_out(t: ApiToken) -> TokenOut:
    return TokenOut(
        id=t.id,
        name=t.name,
        created_at=t.created_at,
        revoked_at=t.revoked_at,
        expires_at=t.expires_at,
        last_used_at=t.last_used_at,
    )


@token_router.post("", status_code=status.HTTP_201_CREATED, responses=errors(400, 403))
def new_token(body: TokenIn, session: SessionDep, user: CurrentUser, settings: SettingsDep) -> NewTokenOut:
    """A new API token for the caller, valid for ``days`` (default ``LOTSE_API_TOKEN_DAYS``); the secret
    is shown once."""
    days = body.days or settings.api_token_days
    token, secret = issue_token(session, user=user, name=body.name, lifetime=timedelta(days=days))
    audit(
        session,
        user=user,
        action="token_create",
        detail={"token_id": token.id, "name": token.name, "expires_at": token.expires_at.isoformat()},
    )
    return NewTokenOut(**_token_out(token).model_dump(), token=secret)


@token_router.delete(
    "/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(403, 404, e404="No such active token"),
)
def revoke_token(token_id: IdPath, session: SessionDep, user: CurrentUser) -> None:
    """Revoke one of the caller's tokens (admins: any token)."""
    if not revoke(session, token_id=token_id, by=user):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such active token")
    audit(session, user=user, action="token_revoke", detail={"token_id": token_id})
