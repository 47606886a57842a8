"""Memory of the "Lotse works only in private chats" notice, shared by every app instance.

A group or channel is told once; behind a load balancer its next message may reach another
instance, so the memory lives in the rate-limit store (Redis when ``LOTSE_REDIS_URL`` is set, the
process otherwise) as a limit of one notice per group per :data:`GROUP_NOTICE` window, keyed by
the group's pseudonym (no raw chat id is stored). The window lets a group that is still around
a month later be reminded once more instead of being remembered forever. If the store cannot be
reached the group is told again: a second notice is better than none.
"""

from __future__ import annotations

import logging

from limits import RateLimitItem, parse
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter

log = logging.getLogger(__name__)

GROUP_NOTICE: RateLimitItem = parse("1 per 30 days")
NAMESPACE = "telegram_group_notice"


class GroupNotices:
    """``first_time(pseudonym)`` is true once per group and window, across instances."""

    def __init__(self, storage: Storage) -> None:
        self._limiter = FixedWindowRateLimiter(storage)

    def first_time(self, pseudonym: str) -> bool:
        try:
            return bool(self._limiter.hit(GROUP_NOTICE, NAMESPACE, pseudonym))
        except Exception as exc:  # the store is down: tell the group (again)
            log.warning("group notice store unavailable (%s); telling the group", type(exc).__name__)
            return True
