"""Pages for staff accounts (``/inbox/staff``) and the audit log (``/inbox/audit``), administrators only.

Rendered on the server; the staff page's changes go through the JSON staff API
(``/api/admin/staff``) with the browser session and its CSRF token, so they are checked (password
rules, no lock-out) and audited in one place. The audit page filters with query parameters through
the same search as ``GET /api/admin/audit`` (no JavaScript needed).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from admin_api.audit.router import audit_filter
from admin_api.audit.service import actions, search
from admin_api.console.router import _guard, templates
from admin_api.staff.models import Role, StaffUser
from admin_api.staff.service import MIN_PASSWORD_LENGTH, last_logins
from bot.language.languages import LANGUAGES
from bot.web.dependencies import SessionDep

pages = APIRouter(prefix="/inbox", include_in_schema=False)
PAGE_SIZE = 50
MAX_PAGE = 10_000


@pages.get("/staff", response_class=HTMLResponse)
def staff_page(request: Request, session: SessionDep) -> Response:
    """Every account with role, languages, state and last login; create, change, (de)activate, reset."""
    me = _guard(request, session)
    if isinstance(me, Response):
        return me
    logins = last_logins(session)
    users = list(session.scalars(select(StaffUser).order_by(StaffUser.username)))
    return templates.TemplateResponse(
        request,
        "staff.html",
        {
            "users": [(u, logins.get(u.id)) for u in users],
            "me": me,
            "roles": list(Role),
            "languages": LANGUAGES,
            "min_password": MIN_PASSWORD_LENGTH,
            "is_admin": True,
        },
    )


def _day(value: str | None) -> date | str | None:
    """A day from the form (blank: none); the text itself when it is not a date."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return value


@pages.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    user: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=32)] = None,
    start: Annotated[str | None, Query(max_length=10)] = None,
    end: Annotated[str | None, Query(max_length=10)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    """The audit log, newest first, filtered by user, action, days and text in the detail; 50 a page."""
    me = _guard(request, session)
    if isinstance(me, Response):
        return me
    first, last = _day(start), _day(end)
    error, rows, more = None, [], False
    if isinstance(first, str) or isinstance(last, str):
        error = "Ungültiges Datum / Invalid date"
    else:
        try:
            where = audit_filter(user=user, action=action, start=first, end=last, q=q)
        except HTTPException as exc:
            error = str(exc.detail)
        else:
            found = search(session, where, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
            rows, more = found[:PAGE_SIZE], len(found) > PAGE_SIZE
    filters = {
        "user": user or "",
        "action": action or "",
        "start": start or "",
        "end": end or "",
        "q": q or "",
    }
    kept = {k: v for k, v in filters.items() if v}
    return templates.TemplateResponse(
        request,
        "audit.html",
        {
            "rows": [(r, json.dumps(r.detail, ensure_ascii=False, sort_keys=True)) for r in rows],
            "filters": filters,
            "actions": actions(session),
            "usernames": list(session.scalars(select(StaffUser.username).order_by(StaffUser.username))),
            "error": error,
            "page": page,
            "prev_url": f"/inbox/audit?{urlencode({**kept, 'page': page - 1})}" if page > 1 else None,
            "next_url": f"/inbox/audit?{urlencode({**kept, 'page': page + 1})}" if more else None,
            "is_admin": True,
        },
        status_code=400 if error else 200,
    )
