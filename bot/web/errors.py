"""Error answers as the OpenAPI schema documents them.

Every status code a route can answer is listed in its ``responses`` (the API fuzz test checks this
with schemathesis' ``status_code_conformance``). Routers declare the codes that apply to all their
routes once (e.g. ``APIRouter(responses=errors(401, 403))``), routes add their own. 422 is FastAPI's
own validation error and is documented automatically; FastAPI answers 400 (not 422) to a JSON body
it cannot decode at all, so every route with a body documents 400.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

Responses = dict[int | str, dict[str, Any]]


class ErrorOut(BaseModel):
    """The body of every error answer except 422: ``{"detail": "what went wrong"}``."""

    detail: str


DESCRIPTIONS: dict[int, str] = {
    400: "Bad request: the body could not be decoded (e.g. not UTF-8), or a value is not supported",
    401: "Missing or invalid credentials",
    403: (
        "Forbidden: a cookie-authenticated change without the right X-CSRF-Token, "
        "or a route for administrators only"
    ),
    404: "Not found",
    409: "Conflicts with the current state (e.g. the case is claimed by someone else or closed)",
    410: "Gone: the conversation was deleted at the person's request while this request ran",
    413: "Too large: a body over the route's limit or a message over LOTSE_MAX_MESSAGE_CHARS; nothing stored",
    429: "Too many requests: wait the number of seconds in Retry-After and try again",
    503: "A service the request needs is unavailable; nothing was changed, try again",
}


def errors(*codes: int, **descriptions: str) -> Responses:
    """``responses=`` entries for these status codes, each with the :class:`ErrorOut` body.

    A keyword ``e404="unknown case"`` replaces the generic description of that code.
    """
    return {
        code: {"model": ErrorOut, "description": descriptions.get(f"e{code}", DESCRIPTIONS[code])}
        for code in codes
    }


INTERNAL_AUTH = errors(
    401, 403, e401="Missing or wrong internal token", e403="The client address is not an internal one"
)
"""Routers behind :data:`bot.web.dependencies.InternalAuth` (Rasa's NLG calls, the action server)."""

LOGIN_REQUIRED = errors(401, e401="Not logged in: no valid bearer token or session cookie")
"""Admin API routers whose routes all need a staff member (``CurrentUser``); add 403 to the routes
that change something (the CSRF check of cookie logins)."""

ADMIN_ONLY = {**LOGIN_REQUIRED, **errors(403)}
"""Admin API routers behind ``AdminOnly``."""
