"""The LibreTranslate backend's HTTP contract, against an in-process fake server (httpx
MockTransport) — not yet against a real LibreTranslate."""

from __future__ import annotations

import json

import httpx
import pytest

from bot.translation.base import MissingPairError, TranslationError
from bot.translation.libretranslate import LibreTranslateTranslator
from bot.translation.service import TranslationService, translate_for_caseworker

LANGUAGES = [
    {"code": "en", "name": "English", "targets": ["de", "en"]},
    {"code": "de", "name": "German", "targets": ["en", "de"]},
]


def fake_server(requests: list[httpx.Request]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if request.url.path == "/languages":
            return httpx.Response(200, json=LANGUAGES)
        if request.url.path == "/translate":
            body = json.loads(request.content)
            return httpx.Response(200, json={"translatedText": f"[{body['target']}] {body['q']}"})
        return httpx.Response(404, json={"error": "not found"})

    return httpx.MockTransport(handle)


def test_translates_and_reads_pairs_once() -> None:
    requests: list[httpx.Request] = []
    backend = LibreTranslateTranslator("http://lt.invalid", transport=fake_server(requests))
    assert backend.pairs() == {("en", "de"), ("de", "en")}
    service = TranslationService(backend)
    assert service.translate("Hello", source="en", target="de").text == "[de] Hello"
    assert service.translate("Hello", source="en", target="de").cached
    body = json.loads(requests[-1].content)
    assert body == {"q": "Hello", "source": "en", "target": "de", "format": "text"}
    assert [r.url.path for r in requests].count("/languages") == 1


def test_missing_pair_and_server_errors() -> None:
    backend = LibreTranslateTranslator("http://lt.invalid", transport=fake_server([]))
    with pytest.raises(MissingPairError, match="ar → de"):
        backend.translate("x", source="ar", target="de")

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    broken = LibreTranslateTranslator("http://lt.invalid", transport=httpx.MockTransport(down))
    with pytest.raises(TranslationError, match="not reachable"):
        broken.pairs()
    result = translate_for_caseworker("مرحبا", "ar", service=TranslationService(broken))
    assert result.original == "مرحبا" and result.translation is None and result.unavailable_reason
