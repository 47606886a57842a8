"""The administrators' dashboard in real headless Chromium: people write in the web chat, and the
dashboard an admin opens counts their messages."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from bot.stack import Stack
from tests.integration.conftest import Person, staff_token

PASSWORD = "integration test password"
QUESTIONS = [
    "Wie beantrage ich den Familiennachzug für meine Frau?",
    "Welche Unterlagen brauche ich für die Einbürgerung?",
    "Ich brauche eine Wohnung, wer hilft mir?",
]


def _figures(page: Page) -> tuple[int, int]:
    """(all incoming messages, German ones) as the dashboard shows them."""
    total = int(page.locator('[data-figure="messages_total"]').inner_text())
    german = page.locator('#messages-by-language tr[data-language="de"] td')
    return total, int(german.inner_text()) if german.count() else 0


def test_the_dashboard_counts_what_people_just_wrote(stack: Stack, browser: Browser) -> None:
    staff_token(stack, "insights-admin", "admin")
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.goto(f"{stack.app_url}/inbox/login")
    page.get_by_label("Benutzername").fill("insights-admin")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden / Log in").click()
    expect(page).to_have_url(f"{stack.app_url}/inbox")

    page.goto(f"{stack.app_url}/inbox/insights")
    expect(page.get_by_role("heading", name="Was gefragt wird / What people ask")).to_be_visible()
    total, german = _figures(page)

    with Person(stack, language_hint="de") as person:
        for text in QUESTIONS:
            assert person.say(text)["replies"], "no answer"

    page.reload()
    assert _figures(page) == (total + len(QUESTIONS), german + len(QUESTIONS))
    expect(page.locator("svg[role=img]").first).to_be_visible()
    # the questions page opens too (clusters of what stayed unanswered, staged examples)
    page.get_by_role("link", name="Offene Fragen / Open questions").click()
    staged = page.get_by_role("heading", name="Vorgemerkte Trainingsbeispiele / Staged training examples")
    expect(staged).to_be_visible()
    context.close()
