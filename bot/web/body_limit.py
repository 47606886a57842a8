"""Request-body size limits at the ASGI level, per route prefix.

A body announced larger than the route's limit (``Content-Length``) is refused with 413 before a byte
of it is read; a body without ``Content-Length`` (chunked) is counted while the app reads it and
refused as soon as it passes the limit, so no more than the limit (plus one network chunk) is ever
held in memory. The large limits of Rasa's NLG calls and the action server's internal API apply only
to requests that carry the internal token; anyone else gets the default limit there too.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.config import Settings


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"Request body too large: this route accepts at most {limit} bytes.",
        )


@dataclass(frozen=True, slots=True)
class Rule:
    prefix: str
    limit: int
    internal_only: bool = False


def rules_for(settings: Settings) -> list[Rule]:
    """The per-route limits; a path not listed gets ``LOTSE_MAX_BODY_BYTES``."""
    return [
        Rule("/api/chat/", settings.max_body_bytes_chat),
        Rule("/telegram/webhook", settings.max_body_bytes_chat),
        Rule("/api/admin/content", settings.max_body_bytes_content),
        Rule("/nlg", settings.max_body_bytes_internal, internal_only=True),
        Rule("/internal/", settings.max_body_bytes_internal, internal_only=True),
    ]


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, rules: Sequence[Rule], default: int, internal_token: str) -> None:
        self.app = app
        self.rules = sorted(rules, key=lambda r: len(r.prefix), reverse=True)
        self.default = default
        self._internal = internal_token.encode()

    def limit_for(self, scope: Scope) -> int:
        path: str = scope.get("path", "")
        for rule in self.rules:
            if path.startswith(rule.prefix):
                if rule.internal_only and not self._has_internal_token(scope):
                    return self.default
                return rule.limit
        return self.default

    def _has_internal_token(self, scope: Scope) -> bool:
        given = b""
        for name, value in scope.get("headers", []):
            if name == b"authorization" and value[:7].lower() == b"bearer ":
                given = value[7:].strip()
        if not given:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            given = (query.get("token") or [""])[0].encode()
        return bool(given) and hmac.compare_digest(given, self._internal)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = next((v for n, v in scope.get("headers", []) if n == b"content-length"), None)
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                too_large = False  # the server rejects a malformed Content-Length itself
            if too_large:
                await _refuse(send, limit)
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            # raised outside the app's own error handling (e.g. a streaming reader): answer here
            if not started:
                await _refuse(send, limit)


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"detail": BodyTooLarge(limit).detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
