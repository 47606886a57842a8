"""Who is calling the admin API, and may they?

Two ways in: a bearer token (API clients, revocable) or the ``lotse_session`` HTTP-only cookie of
a browser login. Cookie-authenticated requests that change something must also send the session's
CSRF token in ``X-CSRF-Token``.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Cookie, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from admin_api.staff.models import Role, StaffUser
from admin_api.staff.service import session_user, user_for_token
from bot.web.dependencies import SessionDep

SESSION_COOKIE = "lotse_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_bearer = HTTPBearer(auto_error=False)


def current_user(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
    lotse_session: Annotated[str | None, Cookie(include_in_schema=False)] = None,
) -> StaffUser:
    """The authenticated staff member, or 401."""
    if credentials is not None:
        user = user_for_token(session, credentials.credentials)
        if user is not None:
            return user
    elif lotse_session:
        found = session_user(session, lotse_session)
        if found is not None:
            user, browser = found
            if request.method not in SAFE_METHODS:
                given = request.headers.get("x-csrf-token", "")
                if not hmac.compare_digest(given.encode(), browser.csrf_token.encode()):
                    raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token")
            return user
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, "login required", {"WWW-Authenticate": "Bearer"})


CurrentUser = Annotated[StaffUser, Depends(current_user)]


@dataclass(frozen=True)
class RequireRole:
    """Permission class for routes: ``dependencies=[Depends(RequireRole(Role.ADMIN))]``."""

    role: Role

    def __call__(self, user: CurrentUser) -> StaffUser:
        if self.role == Role.ADMIN and user.role != Role.ADMIN:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "administrators only")
        return user


AdminOnly = Depends(RequireRole(Role.ADMIN))
StaffOnly = Depends(RequireRole(Role.CASEWORKER))


def admin_page_user(request: Request, session: Session) -> StaffUser | Response:
    """For the admins' pages: the logged-in admin (browser login), or the answer for anyone else —
    the login page, or 403."""
    found = session_user(session, request.cookies.get(SESSION_COOKIE) or "")
    if found is None:
        return RedirectResponse("/inbox/login", status_code=status.HTTP_303_SEE_OTHER)
    user, _ = found
    if user.role != Role.ADMIN:
        return HTMLResponse(
            "<!doctype html><title>403</title><p>Nur für Administratoren / Administrators only</p>",
            status_code=status.HTTP_403_FORBIDDEN,
        )
    return user
