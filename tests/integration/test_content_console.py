"""The administrators' content console in real headless Chromium, against the real stack: an edited
Arabic answer reaches a person in the web chat at once, a restore brings the old text back; a new
FAQ item says it needs retraining; machine drafts and "mark reviewed"."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.content.service import load_catalog, set_text
from bot.stack import Stack
from tests.integration.conftest import Person, staff_token

PASSWORD = "integration test password"
QUESTION = "اخذت الاعتراف كلاجئ، كم شهر عندي لقدم طلب لم الشمل لزوجتي وولادي؟"
NEW_TEXT = "نص جديد من الإدارة: قدّم الطلب خلال ثلاثة أشهر (نص اختبار)."


def _log_in(browser: Browser, stack: Stack, username: str) -> Page:
    page = browser.new_context(locale="de-DE").new_page()
    page.goto(f"{stack.app_url}/inbox/login")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden / Log in").click()
    expect(page).to_have_url(f"{stack.app_url}/inbox")
    return page


def _answer(stack: Stack) -> dict[str, str]:
    with Person(stack) as person:
        reply: dict[str, str] = person.say(QUESTION)["replies"][0]
    return reply


def test_admin_edits_previews_saves_and_restores_an_answer_the_chat_serves_at_once(
    stack: Stack, browser: Browser, stack_db: Engine
) -> None:
    staff_token(stack, "console-admin", "admin")
    before = _answer(stack)
    key = before["key"]
    assert before["language"] == "ar" and key.startswith("utter_faq_")
    as_of = load_catalog()[key].as_of
    assert as_of is not None

    page = _log_in(browser, stack, "console-admin")
    page.get_by_role("link", name="Inhalte bearbeiten / Content console").click()
    page.get_by_label("Thema / Topic").select_option(before["topic"])
    page.get_by_role("button", name="Filtern / Filter").click()
    page.get_by_role("link", name=key, exact=True).click()
    expect(page.locator("#item-key")).to_have_text(key)
    expect(page.locator("#current-text")).to_be_visible()  # Arabic beside the German (default ?lang=ar)

    # live preview: exactly as the person gets it, with the sources and the item's date
    page.locator("#editor").fill(NEW_TEXT)
    preview = page.locator("#preview")
    expect(preview).to_contain_text(NEW_TEXT, timeout=15_000)
    expect(preview).to_contain_text(as_of.isoformat())
    page.get_by_role("button", name="Als neue Version speichern / Save as new version").click()
    expect(page.locator("#action-result")).to_contain_text("Gespeichert", timeout=15_000)
    assert _answer(stack)["text"].startswith(NEW_TEXT)  # at once, no retraining

    # one-click restore of the previous version: a new version with the old text
    history = page.locator("#history tr")
    expect(history.first.locator("td").nth(2)).to_contain_text("console-admin")
    history.nth(1).get_by_role("button", name="Wiederherstellen / Restore").click()
    expect(page.locator("#action-result")).to_contain_text("wiederhergestellt", timeout=15_000)
    assert _answer(stack)["text"] == before["text"]

    # a new FAQ item: stored, and the console says the model must be retrained
    page.goto(f"{stack.app_url}/inbox/console/new")
    new_key = "utter_faq_housing/console_test_item"
    page.get_by_label("Schlüssel / Key").fill(new_key)
    page.get_by_label("Thema / Topic").select_option("housing")
    page.get_by_label("Quellen / Sources").fill(
        "§ 22 SGB II | https://www.gesetze-im-internet.de/sgb_2/__22.html"
    )
    page.get_by_label("Deutscher Text / German text").fill(
        "Heizkosten: Das Jobcenter zahlt angemessene Kosten."
    )
    page.get_by_role("button", name="Speichern / Save").click()
    expect(page.locator("#result")).to_contain_text("retrained", timeout=15_000)
    page.locator("#result").get_by_role("link", name=new_key).click()
    expect(page.locator("#retrain")).to_be_visible()

    # machine drafts of the missing languages: the test stack installs no translation model
    page.get_by_role(
        "button", name="Fehlende Sprachen maschinell entwerfen / Machine-draft the missing languages"
    ).click()
    expect(page.locator("#action-result")).to_contain_text(
        re.compile("No translation model installed|Machine drafts"), timeout=60_000
    )
    # a machine draft as `lotse content translate` stores it, then marked reviewed in the browser
    with Session(stack_db) as db, db.begin():
        set_text(
            db,
            key=new_key,
            language="en",
            text="Heating: the Jobcenter pays.",
            origin="mt:test",
            machine_translated=True,
        )
    page.goto(f"{stack.app_url}/inbox/console/items/{new_key}?lang=en")
    expect(page.locator('#languages [data-lang="en"]')).to_have_attribute("data-state", "machine draft")
    page.get_by_role("button", name="en als geprüft markieren / Mark en reviewed").click()
    expect(page.locator("#action-result")).to_contain_text("marked reviewed", timeout=15_000)
    expect(page.locator('#languages [data-lang="en"]')).to_have_attribute("data-state", "reviewed")
    page.context.close()
