"""The caseworker inbox in real headless Chromium, with a person writing through the chat API."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import Browser, expect

from bot.stack import Stack
from tests.integration.conftest import Person, staff_token, waiting_cases

PASSWORD = "integration test password"


@pytest.mark.parametrize("role", ["caseworker", "admin"])
def test_event_stream_is_for_staff_only(stack: Stack, role: str) -> None:
    token = staff_token(stack, f"events-{role}", role)
    url = f"{stack.app_url}/api/admin/events"
    assert httpx.get(url, timeout=10).status_code == 401
    with httpx.stream("GET", url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert next(response.iter_lines()) == "retry: 2000"


def _case_of(stack: Stack, token: str, person: Person) -> int:
    """The id of the open case of ``person`` (the queue API names each case's conversation)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        queue = waiting_cases(stack, token, language="ar")
        mine = [c["id"] for c in queue if c["conversation"] == person.conversation]
        if mine:
            return int(mine[0])
        time.sleep(0.3)
    raise AssertionError("the person's request for a human made no case")


def test_caseworker_sees_a_new_case_live_claims_and_answers(
    stack: Stack,
    browser: Browser,
    person: Person,
) -> None:
    token = staff_token(stack, "clara", "caseworker")
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.goto(f"{stack.app_url}/inbox/login")
    page.get_by_label("Benutzername").fill("clara")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden / Log in").click()
    expect(page).to_have_url(f"{stack.app_url}/inbox")
    page.wait_for_timeout(1500)  # the event stream is connected

    # the person asks for a human after the page was loaded: the case appears without a reload
    person.say("مرحبا")
    person.say("بدي احكي مع موظف لو سمحت")
    # other tests' cases share the queue (an urgent deadline case sorts first): find this person's own
    case_id = _case_of(stack, token, person)
    page.locator("#lang").fill("ar")  # the queue's language filter keeps it on the first page
    row = page.locator(f'tr[data-case="{case_id}"]')
    expect(row).to_be_visible(timeout=20_000)
    row.get_by_role("link", name="Öffnen / Open").click()

    page.get_by_role("button", name="Übernehmen / Claim").click()
    expect(page.get_by_role("button", name="Übernehmen / Claim")).to_be_disabled()
    before = max([r["id"] for r in person.later()] or [0])
    page.get_by_label("Antwort (Deutsch) / Reply").fill("Guten Tag, wie kann ich helfen?")
    page.get_by_role("button", name="Senden / Send").click()
    deadline = time.monotonic() + 20
    while not person.later(before) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert [r["text"] for r in person.later(before)] == ["Guten Tag, wie kann ich helfen?"]

    # the person answers: it appears in the open case page live
    person.say("عندي سؤال عن لم الشمل")
    expect(page.locator(".msg.in").last).to_contain_text("لم الشمل", timeout=20_000)

    page.get_by_role("button", name="An Lotse zurückgeben & schließen / Hand back & close").click()
    expect(page.locator("#summary")).to_contain_text("closed", timeout=20_000)
    assert person.later()[-1]["key"] == "utter_case_closed"
    context.close()
