"""Web-chat session tokens: only ``POST /api/chat/sessions`` makes them.

A token is ``<nonce>.<signature>``: 24 random bytes and an HMAC of the nonce under a key derived from
the pseudonym key. A made-up or altered token is refused before anything is stored, so nobody can
open conversations (and cases) by inventing session strings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_DOMAIN = b"lotse-web-session-v1\x1f"
_SIG_CHARS = 32


def _signature(key: str, nonce: str) -> str:
    mac = hmac.new(key.encode(), _DOMAIN + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")[:_SIG_CHARS]


def new_token(key: str) -> str:
    """A fresh signed session token (URL-safe, 65 characters)."""
    nonce = secrets.token_urlsafe(24)
    return f"{nonce}.{_signature(key, nonce)}"


def valid_token(key: str, token: str) -> bool:
    """Whether ``token`` was made by :func:`new_token` with this key."""
    nonce, dot, signature = token.partition(".")
    if not dot or len(nonce) != 32 or len(signature) != _SIG_CHARS:
        return False
    return hmac.compare_digest(signature.encode(), _signature(key, nonce).encode())
