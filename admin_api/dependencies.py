"""Authentication of the admin API.

Until staff accounts exist (caseworker inbox feature), the admin API accepts one bearer token from
``LOTSE_ADMIN_TOKEN``.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.web.dependencies import SettingsDep

_bearer = HTTPBearer(auto_error=False)


def require_admin(
    settings: SettingsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    """Reject requests without the admin bearer token."""
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode(), settings.secret("admin_token").encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "admin token required", {"WWW-Authenticate": "Bearer"}
        )


AdminAuth = Depends(require_admin)
