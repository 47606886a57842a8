"""Turning channel-neutral replies into Telegram messages: length limits and button data."""

from __future__ import annotations

import hashlib

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_TEXT = 4096
"""Telegram's limit for one text message (characters after entity parsing; plain text here)."""

MAX_CALLBACK_BYTES = 64
HASHED_PREFIX = "h:"
"""Prefix of callback data that stands for a payload longer than Telegram allows."""

DELETE_CONFIRM = "lotse:delete"
DELETE_CANCEL = "lotse:keep"


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split ``text`` into messages of at most ``limit`` characters, at paragraph boundaries if possible.

    Order of preference: blank line, line break, space, hard cut.
    """
    text = text.strip()
    if not text:
        return []
    parts: list[str] = []
    while len(text) > limit:
        window = text[: limit + 1]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            cut = window.rfind(separator, 0, limit + 1)
            if cut > 0:
                break
        if cut <= 0:
            cut = limit
        head, text = text[:cut].rstrip(), text[cut:].strip()
        if head:
            parts.append(head)
    if text:
        parts.append(text)
    return parts


def callback_data(payload: str) -> str:
    """Callback data for a button payload: the payload itself, or a stable hash when it is too long."""
    if len(payload.encode("utf-8")) <= MAX_CALLBACK_BYTES:
        return payload
    return HASHED_PREFIX + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:40]


def keyboard(buttons: list[dict[str, str]]) -> InlineKeyboardMarkup | None:
    """One button per row (titles in some languages are long); None without buttons."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b["title"][:64] or "…", callback_data=callback_data(b["payload"]))]
            for b in buttons
        ]
    )
