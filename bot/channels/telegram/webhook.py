"""Webhook mode: Telegram POSTs updates here (behind the reverse proxy's HTTPS)."""

from __future__ import annotations

import hmac
import json
import logging
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse
from telegram import Update

from bot.ops.admission import Busy

from .channel import TelegramChannel
from .store import CHANNEL

log = logging.getLogger(__name__)
router = APIRouter(tags=["telegram"])
MAX_BODY_BYTES = 1_000_000


@router.post("/telegram/webhook", include_in_schema=False)
async def telegram_webhook(
    request: Request,
    secret: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
) -> JSONResponse:
    """Check the secret, then handle the update before answering (Telegram re-sends on failure).

    Behind the same admission control as the web chat: at capacity the update is refused with 503
    before it is stored, and Telegram delivers it again."""
    channel: TelegramChannel | None = getattr(request.app.state, "telegram", None)
    if channel is None or not channel.webhook_mode:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Telegram webhook not enabled")
    if secret is None or not hmac.compare_digest(secret.encode(), channel.webhook_secret.encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid secret token")
    if not channel.ready.is_set():
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "Telegram channel is starting")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "update too large")
    try:
        data = json.loads(body)
        update = Update.de_json(data, channel.application.bot) if isinstance(data, dict) else None
    except Exception as exc:  # any malformed update: drop it, Telegram must not re-send it
        log.warning("malformed Telegram update ignored: %s", type(exc).__name__)
        update = None
    if update is None:
        return JSONResponse({"ok": True, "ignored": True})
    try:
        async with channel.admission.slot(CHANNEL):
            await channel.application.process_update(update)
    except Busy as busy:  # nothing stored yet: Telegram delivers the update again later
        return JSONResponse(
            {"ok": False, "busy": True},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(busy.retry_after_s)},
        )
    return JSONResponse({"ok": True})
