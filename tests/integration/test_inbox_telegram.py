"""A caseworker in the web inbox (real headless Chromium) talks with a person on Telegram (the Bot
API emulator) across languages: the case appears live, the caseworker's German reaches the person
in Arabic marked as machine translation, the person's Arabic answer appears live with German beside.

Translation runs through the real Argos path with tiny word-for-word packages built by the test
(``tests/translation/tiny_argos.py``): de → en → ar and ar → en → de, each through English.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.config import PROJECT_ROOT
from bot.conversations.models import Conversation
from bot.handover.models import Handover
from bot.stack import Stack, lotse_executable
from tests.integration.conftest import staff_token
from tests.integration.test_telegram import SECRET, TOKEN, TelegramUser, _restart_app, emulator
from tests.translation.tiny_argos import build_package

__all__ = ["emulator"]  # the Bot API emulator fixture, shared with the Telegram tests

PASSWORD = "integration test password"
GERMAN = "Guten Tag ich prüfe Ihre Unterlagen"
ARABIC_REPLY = "نهارك سعيد أراجع مستنداتك"
PERSON_ANSWER = "شكرا أرسلت المستندات"
GERMAN_OF_ANSWER = "danke ich habe geschickt die Unterlagen"
PACKAGES = {
    ("de", "en"): (
        {"Guten Tag": "good day", "ich prüfe": "i check", "Ihre Unterlagen": "your documents"},
        [GERMAN],
    ),
    ("en", "ar"): ({"good day": "نهارك سعيد", "i check": "أراجع", "your documents": "مستنداتك"}, []),
    ("ar", "en"): ({"شكرا": "thank you", "أرسلت": "i sent", "المستندات": "the documents"}, [PERSON_ANSWER]),
    ("en", "de"): (
        {"thank you": "danke", "i sent": "ich habe geschickt", "the documents": "die Unterlagen"},
        [],
    ),
}


@pytest.fixture(scope="module")
def telegram_with_models(
    stack: Stack, emulator: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The session's stack with Telegram (polling) and Arabic↔German models through English."""
    work = tmp_path_factory.mktemp("inbox-telegram")
    packages_dir = work / "argos-packages"
    env = {**stack.env, "LOTSE_ARGOS_PACKAGES_DIR": str(packages_dir)}
    for (source, target), (glossary, sentences) in PACKAGES.items():
        package = build_package(work / "built", source, target, glossary=glossary, sentences=sentences)
        subprocess.run(
            [lotse_executable(), "translate", "install", "--file", str(package)],
            env=env,
            check=True,
            capture_output=True,
        )
    settings = {
        "LOTSE_TELEGRAM_TOKEN": TOKEN,
        "LOTSE_TELEGRAM_BASE_URL": emulator,
        "LOTSE_TELEGRAM_WEBHOOK_URL": None,
        "LOTSE_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "LOTSE_ARGOS_PACKAGES_DIR": str(packages_dir),
    }
    previous = {key: stack.env.get(key) for key in settings}
    _restart_app(stack, settings)
    yield emulator
    _restart_app(stack, previous)


def _case_id(db: Engine, pseudonym: str, timeout: float = 20.0, poll: float = 0.2) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Session(db) as session:
            found = session.scalar(
                select(Handover.id).join(Conversation).where(Conversation.pseudonym == pseudonym)
            )
        if found is not None:
            return int(found)
        time.sleep(poll)
    raise AssertionError("no case was created")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="de-DE")
    yield context.new_page()
    context.close()


@pytest.fixture
def person(telegram_with_models: str) -> Iterator[TelegramUser]:
    """A person on Telegram whose app is set to Arabic."""
    user = TelegramUser(telegram_with_models, language_code="ar")
    yield user
    user.http.close()


def test_caseworker_and_telegram_person_talk_across_languages(
    stack: Stack, stack_db: Engine, page: Page, person: TelegramUser
) -> None:
    staff_token(stack, "tarek", "caseworker")
    page.goto(f"{stack.app_url}/inbox/login")
    page.get_by_label("Benutzername").fill("tarek")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden / Log in").click()
    expect(page).to_have_url(f"{stack.app_url}/inbox")
    page.wait_for_timeout(1500)  # the event stream is connected

    # A person on Telegram (Arabic app language) asks for a human after the inbox was loaded.
    asked = time.monotonic()
    person.say("/human")
    case_id = _case_id(stack_db, person.pseudonym, poll=0.05)
    stored = time.monotonic()
    row = page.locator(f'tr[data-case="{case_id}"]')
    expect(row).to_be_visible(timeout=20_000)
    shown = time.monotonic()
    print(f"\ncase stored {stored - asked:.2f} s and shown {shown - asked:.2f} s after the person asked")
    received = len(person.settle(at_least=1))  # the handover notice

    row.get_by_role("link", name="Öffnen / Open").click()
    page.get_by_role("button", name="Übernehmen / Claim").click()
    expect(page.get_by_role("button", name="Übernehmen / Claim")).to_be_disabled()

    # The caseworker writes German; the person reads Arabic, marked as machine translation.
    page.get_by_label("Antwort (Deutsch) / Reply").fill(GERMAN)
    page.get_by_role("button", name="Senden / Send").click()
    messages = person.wait(received + 1, timeout=30)
    assert messages[received]["text"] == f"{ARABIC_REPLY}\n\n(ترجمة آلية)"
    expect(page.locator(".msg.out").last).to_contain_text(GERMAN)  # the German original stays

    # The person answers in Arabic: it appears live, with its German machine translation beside it.
    person.say(PERSON_ANSWER)
    last_in = page.locator(".msg.in").last
    expect(last_in).to_contain_text(PERSON_ANSWER, timeout=20_000)
    expect(last_in).to_contain_text(GERMAN_OF_ANSWER)
    expect(last_in).to_contain_text("maschinell / machine")

    # A canned reply: the person gets the curated Arabic text, not a machine translation.
    page.get_by_label("Textbaustein / Canned reply").select_option("canned_documents_received")
    page.get_by_role("button", name="Senden / Send").click()
    curated = yaml.safe_load((PROJECT_ROOT / "translations" / "ar.yml").read_text(encoding="utf-8"))
    expected = curated["responses"]["canned_documents_received"]
    deadline = time.monotonic() + 30
    while person.inbox()[-1]["text"] != expected and time.monotonic() < deadline:
        time.sleep(0.3)
    messages = person.settle(at_least=1)
    assert messages[-1]["text"] == expected  # after the "a person will answer" receipt of the answer
    received = len(messages)

    # Hand back to Lotse: the person is told in Arabic, and Lotse answers again.
    page.get_by_role("button", name="An Lotse zurückgeben & schließen / Hand back & close").click()
    expect(page.locator("#summary")).to_contain_text("closed", timeout=20_000)
    closing = person.wait(received + 1, timeout=30)[received]["text"]
    assert any("\u0600" <= ch <= "\u06ff" for ch in closing), closing

    # The whole case as a file for the records: both languages side by side.
    with page.expect_download() as download:
        page.get_by_role("link", name="Exportieren (JSON) / Export").click()
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    answer = next(m for m in exported["messages"] if m["text"] == PERSON_ANSWER)
    assert answer["german"] == GERMAN_OF_ANSWER and answer["machine_translated"]
    assert exported["status"] == "closed"
