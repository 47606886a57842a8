"""Running blocking work off the event loop."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import anyio.to_thread

P = ParamSpec("P")
T = TypeVar("T")


async def in_thread(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking work (database, translation) in a worker thread, so the event loop never waits.

    (A blocked loop could not finish the NLG request that holds a database lock: a deadlock.)
    """
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))
