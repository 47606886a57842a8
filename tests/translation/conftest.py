"""Tiny Argos packages built once per session, and a clean packages directory per test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.translation.argos import ArgosTranslator
from bot.translation.service import TranslationService
from tests.translation.tiny_argos import build_package

PAIRS = [("ar", "en"), ("en", "ar"), ("en", "de"), ("de", "en"), ("en", "fa"), ("en", "ps")]


@pytest.fixture(scope="session")
def argos_packages(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """``.argosmodel`` files of the pairs above (copying models), built once."""
    out = tmp_path_factory.mktemp("argosmodels")
    return {(s, t): build_package(out, s, t, work=out / f"build-{s}-{t}") for s, t in PAIRS}


@pytest.fixture
def packages_dir(tmp_path: Path) -> Path:
    return tmp_path / "argos-packages"


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on (for 'the internet is not there')."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def installed(
    packages_dir: Path, argos_packages: dict[tuple[str, str], Path]
) -> Callable[..., TranslationService]:
    """Install some of the packages through the backend and return a service over them."""

    def install(*pairs: tuple[str, str], cache_size: int = 64) -> TranslationService:
        backend = ArgosTranslator(packages_dir)
        for pair in pairs:
            backend.install_file(argos_packages[pair])
        return TranslationService(backend, cache_size=cache_size)

    return install


@pytest.fixture
def lotse(packages_dir: Path, closed_port: int) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the ``lotse`` command in a subprocess against the test's packages directory, offline."""

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "LOTSE_TRANSLATION_BACKEND": "argos",
            "LOTSE_ARGOS_PACKAGES_DIR": str(packages_dir),
            "LOTSE_ARGOS_INDEX_URL": f"http://127.0.0.1:{closed_port}/index.json",
            **(env or {}),
        }
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=PROJECT_ROOT,
            timeout=120,
        )

    return run
