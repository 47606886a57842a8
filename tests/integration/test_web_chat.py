"""The web chat page in real headless Chromium (Debian's package, driven by Playwright)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.stack import Stack


@pytest.fixture
def page(browser: Browser, stack: Stack) -> Iterator[Page]:
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.goto(stack.app_url)
    yield page
    context.close()


def test_greeting_menu_and_a_question(page: Page, tmp_path: Path) -> None:
    bot = page.locator(".msg.bot")
    expect(bot.first).to_contain_text("Lotse", timeout=60_000)
    menu = page.get_by_role("button", name="Wohnen")
    expect(menu).to_be_visible()
    menu.click()
    expect(menu).to_be_disabled()  # a pressed keyboard cannot be pressed twice
    expect(bot.last).to_contain_text("Wohn", timeout=60_000)

    # a question with a plain factual answer ("how do I find a flat" starts the flat-search checklist)
    page.get_by_label("Nachricht / Message").fill("هل الجوب سنتر بيدفع الكاوشن للشقة الجديدة؟")
    page.keyboard.press("Enter")
    answer = page.locator(".msg.bot").last
    expect(answer).to_contain_text(re.compile(r"20\d\d-\d\d-\d\d"), timeout=60_000)  # the item's date
    assert answer.get_attribute("dir") == "auto"
    assert any("\u0600" <= ch <= "\u06ff" for ch in answer.inner_text())
    page.screenshot(path=str(tmp_path / "web-chat.png"), full_page=True)
    Path("var/web-chat.png").write_bytes((tmp_path / "web-chat.png").read_bytes())


def test_language_picker_switches_the_language(page: Page) -> None:
    expect(page.locator(".msg.bot").first).to_be_visible(timeout=60_000)
    page.get_by_label("Sprache / Language").select_option("uk")
    expect(page.locator(".msg.bot").last).to_contain_text("україн", timeout=60_000)
