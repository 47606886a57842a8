"""The real stack: trained model, Rasa server, Rasa SDK action server and the app, on free ports."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.conversations.models import Conversation
from bot.db import make_engine
from bot.rasa_config import latest_model
from bot.stack import Stack, lotse_executable

RASA_TOKEN = "dev-rasa-token-change-me"


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    if latest_model() is None:
        pytest.fail("no trained model: run `make train` (make test does)")
    with Stack.create() as running:
        yield running


def staff_token(stack: Stack, username: str, role: str) -> str:
    """Create a staff account in the stack's database with the real CLI; return an API token."""
    lotse = lotse_executable()
    subprocess.run(
        [lotse, "users", "create", "--username", username, "--role", role, "--password-stdin"],
        input="integration test password\n",
        env=stack.env,
        check=True,
        capture_output=True,
        text=True,
    )
    token = subprocess.run(
        [lotse, "users", "token", username], env=stack.env, check=True, capture_output=True, text=True
    )
    return token.stdout.strip()


def waiting_cases(stack: Stack, token: str, **filters: str) -> list[dict[str, Any]]:
    """The waiting queue through the staff API (most urgent and longest waiting first, up to 200)."""
    response = httpx.get(
        f"{stack.app_url}/api/admin/cases",
        params={"view": "waiting", "limit": 200, **filters},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    items: list[dict[str, Any]] = response.raise_for_status().json()["items"]
    return items


@pytest.fixture(scope="session")
def admin_token(stack: Stack) -> str:
    return staff_token(stack, "it-admin", "admin")


@pytest.fixture(scope="session")
def stack_db(stack: Stack) -> Iterator[Engine]:
    engine = make_engine(stack.env["LOTSE_DATABASE_URL"])
    yield engine
    engine.dispose()


class Person:
    """Someone using the web chat channel."""

    def __init__(self, stack: Stack, language_hint: str | None = None) -> None:
        self.http = httpx.Client(base_url=stack.app_url, timeout=90)
        body = (
            self.http.post("/api/chat/sessions", json={"language_hint": language_hint})
            .raise_for_status()
            .json()
        )
        self.session: str = body["session"]
        self.http.headers["X-Lotse-Session"] = self.session
        self.conversation: str = body["conversation"]

    def __enter__(self) -> Person:
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the client even when an assertion failed: a socket left open is reported as an
        unraisable warning (an error under ``filterwarnings = error``) in whichever test runs later."""
        self.http.close()

    def say(self, text: str, client_id: str | None = None) -> dict[str, Any]:
        response = self.http.post(
            "/api/chat/messages",
            json={"text": text, "client_id": client_id or str(uuid.uuid4())},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def later(self, after: int = 0) -> list[dict[str, Any]]:
        response = self.http.get("/api/chat/messages", params={"after": after})
        assert response.status_code == 200
        replies: list[dict[str, Any]] = response.json()
        return replies

    def wait_for_replies(self, after: int, timeout: float = 90.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replies = self.later(after)
            if replies:
                return replies
            time.sleep(0.5)
        raise AssertionError("no reply arrived")


@pytest.fixture
def person(stack: Stack) -> Iterator[Person]:
    p = Person(stack)
    yield p
    p.http.close()


def rasa_tracker(stack: Stack, sender: str) -> dict[str, Any]:
    response = httpx.get(
        f"{stack.rasa_url}/conversations/{sender}/tracker",
        params={"token": RASA_TOKEN, "include_events": "ALL"},
        timeout=30,
    )
    response.raise_for_status()
    tracker: dict[str, Any] = response.json()
    return tracker


def conversation_of(db: Session, person: Person) -> Conversation:
    """The app's conversation row of a test person."""
    return db.scalars(select(Conversation).where(Conversation.pseudonym == person.conversation)).one()


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")  # not longer: Playwright's sync API keeps an event loop running
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Chromium is not installed (.ci/run installs Debian's chromium package)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
