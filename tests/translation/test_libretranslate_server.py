"""The LibreTranslate backend against a real LibreTranslate server (from ``.venv-lt``, which
``make test`` installs from requirements/libretranslate.txt) on 127.0.0.1, with the tiny packages."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.config import PROJECT_ROOT
from bot.translation.base import MissingPairError
from bot.translation.libretranslate import LibreTranslateTranslator
from bot.translation.service import TranslationService, translate_for_caseworker

LT = PROJECT_ROOT / ".venv-lt" / "bin" / "libretranslate"


@pytest.fixture(scope="module")
def libretranslate_url(
    tmp_path_factory: pytest.TempPathFactory, argos_packages: dict[tuple[str, str], Path]
) -> Iterator[str]:
    if not LT.exists():
        pytest.fail(f"{LT} is missing: run `make test` (it installs requirements/libretranslate.txt)")
    home = tmp_path_factory.mktemp("libretranslate")
    packages = home / "packages"
    # Two or more packages, or LibreTranslate tries to download models at start.
    for pair in (("ar", "en"), ("en", "de")):
        with zipfile.ZipFile(argos_packages[pair]) as zf:
            zf.extractall(packages)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "HOME": str(home),
        "ARGOS_PACKAGES_DIR": str(packages),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "ARGOS_CHUNK_TYPE": "MINISBD",
    }
    log = (home / "server.log").open("w")
    proc = subprocess.Popen(
        [str(LT), "--host", "127.0.0.1", "--port", str(port), "--disable-web-ui"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=home,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/languages", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"LibreTranslate did not start: {(home / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
    assert "Updating language models" not in (home / "server.log").read_text()  # no download attempt


def test_real_server_translates_and_pivots(libretranslate_url: str) -> None:
    backend = LibreTranslateTranslator(libretranslate_url)
    assert {("ar", "en"), ("en", "de")} <= backend.pairs()
    service = TranslationService(backend)
    result = service.translate("Hello, how are you? I need help.", source="ar", target="de")
    assert result.text == "Hello, how are you? I need help."  # the copying test models
    assert result.engine == "libretranslate" and result.machine_translated
    assert service.translate("Hello, how are you? I need help.", source="ar", target="de").cached
    backend.close()


def test_real_server_missing_pair(libretranslate_url: str) -> None:
    backend = LibreTranslateTranslator(libretranslate_url)
    with pytest.raises(MissingPairError, match="ti → de"):
        backend.translate("ሰላም", source="ti", target="de")
    bilingual = translate_for_caseworker("ሰላም", "ti", service=TranslationService(backend))
    assert bilingual.original == "ሰላም" and bilingual.translation is None
    backend.close()
