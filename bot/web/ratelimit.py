"""Rate limits of the public endpoints, with the maintained ``limits`` library.

Counters live in Redis when ``LOTSE_REDIS_URL`` is set (so they hold across app instances) and in
memory otherwise. Keys never contain a raw address or session token: both are keyed hashes.
If Redis cannot be reached the request is let through (and logged): a person in crisis must not be
turned away because a counter is unavailable.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence

from fastapi import HTTPException, Request, status
from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from bot.config import Settings
from bot.conversations.pseudonym import pseudonymize

log = logging.getLogger(__name__)


class TooManyRequests(HTTPException):
    """429 with ``Retry-After`` and a JSON body that says what to do."""

    def __init__(self, what: str, rule: RateLimitItem, retry_after: int) -> None:
        super().__init__(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"Too many requests {what}: at most {rule}. Please wait {retry_after} s and try again.",
            headers={"Retry-After": str(retry_after)},
        )


class RateLimits:
    """The limits of one app; ``check`` raises :class:`TooManyRequests` when one is exceeded."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limits_enabled
        self._key = settings.secret("pseudonym_key")
        storage = storage_from_string(settings.redis_url or "memory://")
        if not isinstance(storage, Storage):  # pragma: no cover - only the synchronous schemes are used
            raise ValueError("LOTSE_REDIS_URL must be a redis:// or rediss:// URL")
        self.storage: Storage = storage
        self._limiter = SlidingWindowCounterRateLimiter(self.storage)
        self.rules: dict[str, list[RateLimitItem]] = {
            "session_per_address": parse_many(settings.rate_limit_sessions_per_address),
            "message_per_address": parse_many(settings.rate_limit_messages_per_address),
            "message_per_session": parse_many(settings.rate_limit_messages_per_session),
            "read_per_address": parse_many(settings.rate_limit_reads_per_address),
            "read_per_session": parse_many(settings.rate_limit_reads_per_session),
        }

    def address_key(self, request: Request) -> str:
        host = request.client.host if request.client else "unknown"
        return pseudonymize(self._key, "address", host)

    def session_key(self, channel: str, session: str) -> str:
        return pseudonymize(self._key, channel, session)

    def check(self, name: str, key: str, what: str) -> None:
        """Count one hit of ``key`` against every rule of ``name``."""
        if not self.enabled:
            return
        rules: Sequence[RateLimitItem] = self.rules[name]
        try:
            for rule in rules:
                if not self._limiter.hit(rule, name, key):
                    reset = self._limiter.get_window_stats(rule, name, key).reset_time
                    raise TooManyRequests(what, rule, max(1, math.ceil(reset - time.time())))
        except TooManyRequests:
            raise
        except Exception as exc:  # Redis unreachable: let the request through
            log.warning("rate limit store unavailable (%s); request not limited", type(exc).__name__)


def rate_limits(request: Request) -> RateLimits:
    limits: RateLimits = request.app.state.rate_limits
    return limits
