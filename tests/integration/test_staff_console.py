"""Staff management in real headless Chromium, against the real stack: an admin creates a caseworker
with a language and a generated password, the caseworker logs in; the admin deactivates the account,
its next API call and login fail; the audit page filtered by that username shows all of it."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from bot.stack import Stack
from tests.integration.conftest import staff_token

PASSWORD = "integration test password"
NEW_USER = "it-staff-anna"


def _log_in(browser: Browser, stack: Stack, username: str, password: str) -> Page:
    page = browser.new_context(locale="de-DE").new_page()
    page.goto(f"{stack.app_url}/inbox/login")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden / Log in").click()
    return page


def _me_status(page: Page, stack: Stack) -> int:
    """The status of an API call with the page's browser session (its cookies). Sent through the
    browser context's request API, not from inside the page: the inbox page itself notices the lost
    session and navigates to the login page, which would destroy a script running in it."""
    return page.context.request.get(f"{stack.app_url}/api/admin/auth/me").status


def test_admin_creates_and_deactivates_a_caseworker_and_the_audit_log_shows_it(
    stack: Stack, browser: Browser
) -> None:
    staff_token(stack, "staff-admin", "admin")
    admin = _log_in(browser, stack, "staff-admin", PASSWORD)
    expect(admin).to_have_url(f"{stack.app_url}/inbox")
    admin.get_by_role("link", name="Mitarbeitende / Staff").click()
    expect(admin).to_have_url(f"{stack.app_url}/inbox/staff")

    # create a caseworker who speaks Arabic, with a generated password shown once
    admin.get_by_text("Neues Konto anlegen").click()
    create = admin.locator("#create")
    create.get_by_label("Benutzername / Username").fill(NEW_USER)
    create.get_by_label("Rolle / Role").select_option("caseworker")
    create.locator("input[name=languages][value=ar]").check()
    create.get_by_role("button", name="Anlegen / Create").click()
    secret = admin.locator("#result code.secret")
    expect(secret).to_be_visible(timeout=15_000)
    password = secret.inner_text().strip()
    assert len(password) >= 12
    admin.locator("#result").get_by_role("button", name="Weiter / Continue").click()
    row = admin.locator(f'tr[data-username="{NEW_USER}"]')
    expect(row.locator(".role")).to_have_text("caseworker")
    expect(row.locator(".langs")).to_have_text("ar")
    expect(admin.locator("#result code.secret")).to_have_count(0)  # shown only once

    # the caseworker logs in with it
    caseworker = _log_in(browser, stack, NEW_USER, password)
    expect(caseworker).to_have_url(f"{stack.app_url}/inbox")
    assert _me_status(caseworker, stack) == 200

    # deactivated: the next API call and the next login fail
    row.get_by_text("Ändern / Change").click()
    row.get_by_role("button", name="Deaktivieren / Deactivate").click()
    expect(admin.locator(f'tr[data-username="{NEW_USER}"]')).to_have_attribute("data-active", "false")
    assert _me_status(caseworker, stack) == 401
    again = _log_in(browser, stack, NEW_USER, password)
    expect(again.locator("#err")).to_contain_text("Anmeldung fehlgeschlagen")

    # the audit log, filtered by that username: created, logged in, deactivated, refused
    admin.get_by_role("link", name="Protokoll / Audit log").first.click()
    admin.get_by_label("Benutzer / User").fill(NEW_USER)
    admin.get_by_role("button", name="Filtern / Filter").click()
    expect(admin).to_have_url(re.compile(rf"/inbox/audit\?user={NEW_USER}&"))
    actions = admin.locator("#entries td.action")
    expect(actions).to_have_text(["login_failed", "staff_change", "login", "staff_create"])
    expect(admin.locator("#entries")).not_to_contain_text(password)
    for page in (admin, caseworker, again):
        page.context.close()
