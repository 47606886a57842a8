"""Talking to the Rasa server over HTTP (REST channel and the tracker API)."""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Sequence
from typing import Any

import httpx

from bot.ops import metrics


class RasaUnavailable(Exception):
    """Rasa did not answer (down, restarting, loading its model, or an error)."""


class RasaNotRunning(RasaUnavailable):
    """Nothing accepts connections at Rasa's address: no turn can be running there."""


def shard_of(sender: str, count: int) -> int:
    """The Rasa server (of ``count``) that handles ``sender``'s conversation: a stable hash, the same
    in every app process and instance (Python's ``hash`` of a string differs per process)."""
    digest = hashlib.blake2b(sender.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count


class RasaClient:
    """A thin async client; one per process, shared by all conversations.

    ``base_url`` is one Rasa server or several (``bot.rasa_config.rasa_urls``): with several, every
    call about a conversation goes to the server :func:`shard_of` names for its sender, so that
    one process holds the conversation's lock (Rasa's in-memory lock store); parsing alone, which
    touches no conversation, goes to the servers in turn.
    """

    def __init__(self, *, base_url: str | Sequence[str], token: str, timeout_s: float) -> None:
        self._token = token
        urls = [base_url] if isinstance(base_url, str) else list(base_url)
        if not urls:
            raise ValueError("no Rasa server URL")
        self._shards = [
            httpx.AsyncClient(
                base_url=url.rstrip("/"),
                timeout=httpx.Timeout(timeout_s, connect=3.0),
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            )
            for url in urls
        ]
        self._turn = itertools.count()

    def _for(self, sender: str | None) -> httpx.AsyncClient:
        if len(self._shards) == 1:
            return self._shards[0]
        if sender is None:
            return self._shards[next(self._turn) % len(self._shards)]
        return self._shards[shard_of(sender, len(self._shards))]

    async def aclose(self) -> None:
        for http in self._shards:
            await http.aclose()

    async def _call(self, method: str, path: str, *, api: str, sender: str | None, **kwargs: Any) -> Any:
        """One request; any transport error or non-200 answer becomes :class:`RasaUnavailable`."""
        started = time.monotonic()
        try:
            try:
                response = await self._for(sender).request(method, path, **kwargs)
            except httpx.ConnectError as exc:
                raise RasaNotRunning(f"{type(exc).__name__}: {exc}") from exc
            except httpx.HTTPError as exc:
                raise RasaUnavailable(f"{type(exc).__name__}: {exc}") from exc
            if response.status_code != 200:
                raise RasaUnavailable(f"Rasa's {api} answered HTTP {response.status_code}")
        except RasaUnavailable:
            metrics.RASA_ERRORS.labels(api).inc()
            raise
        finally:
            metrics.RASA_SECONDS.labels(api).observe(time.monotonic() - started)
        return response.json() if response.content else None

    async def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """Send one user message through the REST channel; return the bot's messages."""
        body = {"sender": sender, "message": text, "metadata": metadata}
        data = await self._call(
            "POST", "/webhooks/rest/webhook", api="REST channel", sender=sender, json=body
        )
        if not isinstance(data, list):
            raise RasaUnavailable("Rasa answered with an unexpected body")
        return data

    async def parse(self, text: str) -> dict[str, Any]:
        """Parse a text with the loaded NLU model only (no dialogue, nothing stored in a tracker)."""
        data = await self._call(
            "POST",
            "/model/parse",
            api="parse API",
            sender=None,
            params={"token": self._token},
            json={"text": text},
        )
        if not isinstance(data, dict):
            raise RasaUnavailable("Rasa's parse API answered with an unexpected body")
        return data

    async def events(self, *, sender: str) -> list[dict[str, Any]]:
        """All tracker events of a conversation (used to recover after a crash)."""
        params = {"include_events": "ALL", "token": self._token}
        data = await self._call(
            "GET", f"/conversations/{sender}/tracker", api="tracker API", sender=sender, params=params
        )
        events = (data.get("events") or []) if isinstance(data, dict) else []
        return [e for e in events if isinstance(e, dict)]

    async def append_events(self, *, sender: str, events: list[dict[str, Any]]) -> None:
        """Append events (for example ``{"event": "resume"}``) to a conversation."""
        await self._call(
            "POST",
            f"/conversations/{sender}/tracker/events",
            api="tracker API",
            sender=sender,
            params={"token": self._token},
            json=events,
        )

    async def start_new_session(self, *, sender: str) -> None:
        """Start a new Rasa session for ``sender`` (``action_session_start``; the slots are carried over,
        ``session_config`` in the domain). Rasa's SQL tracker store loads a conversation's events from
        its latest session start on, so this bounds what every later turn reads and replays."""
        await self._call(
            "POST",
            f"/conversations/{sender}/execute",
            api="conversation API",
            sender=sender,
            params={"token": self._token},
            json={"name": "action_session_start"},
        )

    async def wait_for_turn(self, *, sender: str) -> None:
        """Return once no turn of ``sender`` is running inside Rasa, without storing anything.

        Rasa processes a message under its per-conversation lock and writes the tracker's events
        at the end of the turn. Replacing the tracker's events with an empty list takes the same
        lock and stores nothing (Rasa's SQL store only appends events it does not hold yet), so
        when this call returns every earlier turn has finished writing.
        """
        await self._call(
            "PUT",
            f"/conversations/{sender}/tracker/events",
            api="tracker API",
            sender=sender,
            params={"token": self._token},
            json=[],
        )

    async def healthy(self) -> bool:
        """True when every Rasa server is up and has a model loaded."""
        for http in self._shards:
            try:
                response = await http.get("/status", params={"token": self._token}, timeout=2.0)
            except httpx.HTTPError:
                return False
            if response.status_code != 200 or not response.json().get("model_file"):
                return False
        return True


def replies_after_message(events: list[dict[str, Any]], message_id: int) -> list[dict[str, Any]] | None:
    """The ``custom`` payloads Rasa uttered for our message ``message_id``, or None if Rasa never saw it.

    Used when the app died between Rasa processing a message and storing the answer: the answer is
    taken from Rasa's tracker instead of asking Rasa again (which would process the message twice).
    """
    start = None
    for index, event in enumerate(events):
        if (
            event.get("event") == "user"
            and (event.get("metadata") or {}).get("lotse_message_id") == message_id
        ):
            start = index
            break
    if start is None:
        return None
    payloads: list[dict[str, Any]] = []
    for event in events[start + 1 :]:
        if event.get("event") == "user":
            break
        if event.get("event") == "bot":
            custom = (event.get("data") or {}).get("custom") or {}
            if "lotse" in custom:
                payloads.append(custom["lotse"])
    return payloads
