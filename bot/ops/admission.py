"""Admission control: degrade under overload instead of collapsing.

Each app instance processes at most ``LOTSE_MAX_IN_FLIGHT`` incoming web-chat messages at a time
(sized to what Rasa and the database take); up to ``LOTSE_MAX_WAITING`` more wait at most
``LOTSE_ADMISSION_WAIT_S`` for a slot. Anything beyond is refused *before it is stored* with
HTTP 503 and ``Retry-After``: the web chat sends the same message again (same ``client_id``, so it is
stored and answered once) after that many seconds. The served rate stays at capacity, the people
above it wait a little longer, and nobody gets an error page.

Telegram shares the same slots. A webhook delivery that finds no slot is answered 503 with
``Retry-After`` before anything is stored, and Telegram delivers it again later. In polling mode
the updates are already fetched, so they wait for a slot without a bound (``patient``): the poll
loop fetches the next batch only when this one is done, and confirms it only then.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator

from prometheus_client import Counter, Gauge

from bot.ops.metrics import REGISTRY

BUSY = Counter(
    "lotse_busy", "Messages refused with 503: the instance was at capacity.", ["channel"], registry=REGISTRY
)
IN_FLIGHT = Gauge("lotse_in_flight", "Messages being processed by this instance.", registry=REGISTRY)
WAITING = Gauge("lotse_admission_waiting", "Messages waiting for a processing slot.", registry=REGISTRY)


class Busy(Exception):
    """No slot now; try again after ``retry_after_s`` seconds."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"busy, retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


class Admission:
    """Slots are counted synchronously (no ``await`` between the check and the taking), so a burst of
    arrivals cannot overshoot the bounds; a released slot passes straight to the longest waiter."""

    def __init__(self, *, max_in_flight: int, max_waiting: int, wait_s: float, retry_after_s: int) -> None:
        self._max_in_flight = max_in_flight
        self._max_waiting = max_waiting
        self._in_flight = 0
        self._queue: collections.deque[asyncio.Future[None]] = collections.deque()
        self._wait_s = wait_s
        self.retry_after_s = retry_after_s

    async def _acquire(self, channel: str, *, patient: bool) -> None:
        if self._in_flight < self._max_in_flight and not self._queue:
            self._in_flight += 1
            return
        if not patient and len(self._queue) >= self._max_waiting:
            BUSY.labels(channel).inc()
            raise Busy(self.retry_after_s)
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append(granted)
        WAITING.inc()
        try:
            await asyncio.wait({granted}, timeout=None if patient else self._wait_s)
        except BaseException:  # the request was cancelled while waiting (the client went away)
            if granted.done():
                self._release()  # granted just then: pass the slot on
            else:
                self._queue.remove(granted)
                granted.cancel()
            raise
        finally:
            WAITING.dec()
        if not granted.done():  # waited too long: leave the queue without a slot
            self._queue.remove(granted)
            granted.cancel()
            BUSY.labels(channel).inc()
            raise Busy(self.retry_after_s)

    def _release(self) -> None:
        while self._queue:
            waiter = self._queue.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes on; in_flight stays the same
                return
        self._in_flight -= 1

    @contextlib.asynccontextmanager
    async def slot(self, channel: str, *, patient: bool = False) -> AsyncIterator[None]:
        """Hold a processing slot for the body of the ``async with``; raises :class:`Busy` — unless
        ``patient``: then it waits as long as it takes, beyond the waiting bound (for work that was
        already taken on and cannot be refused, such as fetched Telegram updates)."""
        await self._acquire(channel, patient=patient)
        IN_FLIGHT.inc()
        try:
            yield
        finally:
            IN_FLIGHT.dec()
            self._release()
