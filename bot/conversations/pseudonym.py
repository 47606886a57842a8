"""Pseudonyms: a keyed hash of (channel, channel user id).

The raw id (a Telegram chat id, a web session token) is never used as the conversation's
identifier in logs, analytics, Rasa or the API.
"""

from __future__ import annotations

import hashlib
import hmac


def pseudonymize(key: str, channel: str, user_id: str) -> str:
    """Stable 32-hex-character pseudonym; without the key it cannot be linked back to the user id."""
    digest = hmac.new(key.encode(), f"{channel}\x1f{user_id}".encode(), hashlib.sha256).hexdigest()
    return f"{channel[:3]}-{digest[:32]}"
