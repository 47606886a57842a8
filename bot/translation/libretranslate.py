"""A LibreTranslate server over HTTP (``POST /translate``, ``GET /languages``)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from bot.translation.base import MissingPairError, TranslationError

DOWN_PAUSE_S = 30.0
"""After a failed ``/languages`` request, the server is not asked again for this long."""


class LibreTranslateTranslator:
    """Translate with a LibreTranslate server (self-hosted; LibreTranslate pivots itself)."""

    name = "libretranslate"

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 30.0,
        languages_ttl_s: float = 300.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.languages_ttl_s = languages_ttl_s
        self._client = httpx.Client(base_url=self.url, timeout=timeout_s, transport=transport)
        self._pairs: tuple[float, frozenset[tuple[str, str]]] | None = None
        self._down_until = 0.0

    def close(self) -> None:
        self._client.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise TranslationError(f"LibreTranslate at {self.url} is not reachable: {exc}") from exc
        if response.status_code != 200:
            try:
                detail = response.json().get("error", response.text)
            except ValueError:
                detail = response.text
            raise TranslationError(f"LibreTranslate {path} answered {response.status_code}: {detail}")
        return response.json()

    def pairs(self) -> frozenset[tuple[str, str]]:
        now = time.monotonic()
        if self._down_until > now:  # do not make every message wait for a server that is down
            raise TranslationError(f"LibreTranslate at {self.url} was not reachable a moment ago")
        if self._pairs is None or now - self._pairs[0] > self.languages_ttl_s:
            try:
                languages: list[dict[str, Any]] = self._request("GET", "/languages")
            except TranslationError:
                self._down_until = now + DOWN_PAUSE_S
                raise
            pairs = frozenset(
                (str(lang["code"]), str(target))
                for lang in languages
                for target in lang.get("targets", [])
                if target != lang["code"]
            )
            self._pairs = (now, pairs)
        return self._pairs[1]

    def can_translate(self, source: str, target: str) -> bool:
        return (source, target) in self.pairs()

    def install_hint(self, source: str, target: str) -> str:
        return (
            f"install the {source} → {target} model on the LibreTranslate server at {self.url} "
            f"(argospm install translate-{source}_{target} there, or its --load-only setting)"
        )

    def translate(self, text: str, *, source: str, target: str) -> str:
        if not self.can_translate(source, target):
            raise MissingPairError(source, target, self.install_hint(source, target))
        body: dict[str, Any] = {"q": text, "source": source, "target": target, "format": "text"}
        if self.api_key:
            body["api_key"] = self.api_key
        data = self._request("POST", "/translate", json=body)
        translated = data.get("translatedText") if isinstance(data, dict) else None
        if not isinstance(translated, str):
            raise TranslationError(f"LibreTranslate gave no translatedText: {data!r}")
        return translated
