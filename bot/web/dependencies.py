"""FastAPI dependencies shared by the routers."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.pipeline import Assistant


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_assistant(request: Request) -> Assistant:
    assistant: Assistant = request.app.state.assistant
    return assistant


def get_session(request: Request) -> Iterator[Session]:
    """A session per request, committed when the handler returns without error (rolled back otherwise).

    A handler may ``commit()`` early to end its transaction before slow work (translation, password
    hashing): on SQLite every transaction holds the write lock (``BEGIN IMMEDIATE``). Later database
    work starts a new transaction, committed at the end.
    """
    assistant: Assistant = request.app.state.assistant
    with assistant.sessions() as session:
        yield session
        session.commit()


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
AssistantDep = Annotated[Assistant, Depends(get_assistant)]
SessionDep = Annotated[Session, Depends(get_session)]

_bearer = HTTPBearer(auto_error=False)


def require_internal(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
) -> None:
    """Calls from Rasa (NLG) and the action server come from ``LOTSE_INTERNAL_CLIENTS`` (loopback by
    default) and carry the internal token as a bearer token (never in the query string)."""
    try:
        client = ipaddress.ip_address(request.client.host if request.client else "")
    except ValueError:
        client = None
    if client is None or not any(client in net for net in settings.internal_networks):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "internal endpoint: not for this client address")
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode(), settings.secret("internal_token").encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid internal token")


InternalAuth = Depends(require_internal)


MAX_ID = 2_147_483_647
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
"""A database id in a URL: bounded, so absurd numbers are a 422, not a database error."""
