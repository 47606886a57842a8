"""Content store on a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.content.models import ContentItem, ContentTranslation, TranslationStatus
from bot.content.render import fill, render
from bot.content.service import load_catalog, resolve, seed, set_text
from bot.office_hours import parse_office_hours


def test_seed_is_idempotent(session: Session) -> None:
    first = seed(session)
    assert first.items_created >= 70
    assert first.translations_created >= 8 * first.items_created * 0.9
    second = seed(session)
    assert (second.items_created, second.translations_created) == (0, 0)


def test_edit_changes_the_answer_immediately(session: Session) -> None:
    seed(session)
    before = render(session, key="utter_greet", language="de").text
    set_text(session, key="utter_greet", language="de", text="Neuer Gruß vom Amt", origin="test")
    after = render(session, key="utter_greet", language="de")
    assert after.text == "Neuer Gruß vom Amt" != before
    versions = session.scalar(select(func.count()).select_from(ContentTranslation))
    assert versions is not None and versions > 0


def test_seed_does_not_overwrite_an_admin_edit(session: Session) -> None:
    seed(session)
    set_text(session, key="utter_thanks", language="en", text="Edited by an admin", origin="api")
    seed(session)
    assert render(session, key="utter_thanks", language="en").text == "Edited by an admin"


def test_factual_answer_names_sources_date_and_counselling(session: Session) -> None:
    seed(session)
    reply = render(session, key="utter_faq_family/refugee_three_months", language="ar")
    assert reply.language == "ar" and reply.topic == "family_reunification"
    assert "§ 29 Abs. 2 AufenthG" in reply.text
    as_of = load_catalog()["utter_faq_family/refugee_three_months"].as_of
    assert as_of is not None and as_of.isoformat() in reply.text  # the item's own date
    assert "Flüchtlingsrat" in reply.text or "فلوشتلينغسرات" in reply.text or "مجلس اللاجئين" in reply.text


def test_appeal_answer_names_the_thuringian_courts(session: Session) -> None:
    seed(session)
    reply = render(session, key="utter_faq_appeal/deadline", language="de")
    for court in ("Gera", "Meiningen", "Weimar"):
        assert court in reply.text


def test_best_effort_language_falls_back_and_says_so(session: Session) -> None:
    seed(session)
    reply = render(session, key="utter_faq_housing/deposit", language="ti")
    assert reply.fallback_language and reply.language == "en"
    crisis = render(session, key="utter_crisis", language="ti")
    assert crisis.language == "ti" and not crisis.fallback_language


def test_machine_draft_is_served_only_without_a_reviewed_text(session: Session) -> None:
    seed(session)
    set_text(
        session, key="utter_greet", language="so", text="draft", origin="mt:test", machine_translated=True
    )
    resolved = resolve(session, key="utter_greet", language="so")
    assert resolved is not None and resolved.text != "draft" and resolved.reviewed
    set_text(
        session,
        key="utter_faq_housing/wbs",
        language="so",
        text="qoraal",
        origin="mt:test",
        machine_translated=True,
    )
    draft = resolve(session, key="utter_faq_housing/wbs", language="so")
    assert draft is not None and draft.machine_translated and draft.text == "qoraal"
    row = session.scalars(select(ContentTranslation).where(ContentTranslation.text == "qoraal")).one()
    assert row.status == TranslationStatus.DRAFT


BERLIN_HOURS = parse_office_hours("mon-fri 08:00-16:00", "Europe/Berlin")


def test_handover_reply_in_office_hours_says_until_when(session: Session) -> None:
    seed(session)
    wednesday_morning = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # 10:30 in Berlin
    reply = render(
        session, key="utter_handover_requested", language="de", office=BERLIN_HOURS, now=wednesday_morning
    )
    assert reply.text.startswith("Ich gebe Ihr Gespräch an die Sachbearbeitung")
    assert reply.text.endswith(
        "Unser Büro ist jetzt geöffnet, heute bis \u206816:00\u2069 Uhr. "
        "Die Sachbearbeitung antwortet Ihnen während der Bürozeiten."
    )


def test_handover_reply_outside_office_hours_names_the_next_opening_in_arabic(session: Session) -> None:
    seed(session)
    friday_evening = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # 18:00 in Berlin
    reply = render(
        session, key="utter_handover_crisis", language="ar", office=BERLIN_HOURS, now=friday_evening
    )
    assert reply.language == "ar" and "112" in reply.text
    assert "مكتبنا مغلق الآن" in reply.text
    assert "الاثنين، الساعة \u206808:00\u2069" in reply.text
    assert "{day}" not in reply.text and "{time}" not in reply.text


def test_on_german_unity_day_the_reply_does_not_say_open_today(session: Session) -> None:
    seed(session)
    unity_day = datetime(2025, 10, 3, 8, 30, tzinfo=UTC)  # Friday, 10:30 in Berlin
    reply = render(session, key="utter_handover_requested", language="de", office=BERLIN_HOURS, now=unity_day)
    assert "heute bis" not in reply.text
    assert "Unser Büro ist jetzt geschlossen" in reply.text and "Montag" in reply.text


def test_only_handover_replies_get_the_notice(session: Session) -> None:
    seed(session)
    now = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    waiting = render(session, key="utter_handover_waiting", language="de", office=BERLIN_HOURS, now=now)
    assert "Büro" not in waiting.text
    plain = render(session, key="utter_handover_requested", language="de")
    assert "Büro ist jetzt" not in plain.text


def test_an_admin_edited_notice_uses_the_new_text_and_survives_bad_placeholders(session: Session) -> None:
    seed(session)
    set_text(
        session,
        key="meta_office_closed",
        language="en",
        text="Closed. Back on {day} at {time}. {unknown} {0.__class__} {",
        origin="test",
    )
    sunday = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    text = render(
        session, key="utter_handover_individual", language="en", office=BERLIN_HOURS, now=sunday
    ).text
    assert text.endswith("Closed. Back on Monday at \u206808:00\u2069. {unknown} {0.__class__} {")


def test_fill_replaces_only_known_names() -> None:
    assert fill("{a} {b} {a.x} {}", {"a": "1"}) == "1 {b} {a.x} {}"


def test_a_store_seeded_before_the_notice_existed_sends_the_reply_without_it(session: Session) -> None:
    seed(session)
    session.execute(
        delete(ContentItem).where(ContentItem.key.in_(["meta_office_open", "meta_office_closed"]))
    )
    now = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    reply = render(session, key="utter_handover_requested", language="de", office=BERLIN_HOURS, now=now)
    assert reply.text == render(session, key="utter_handover_requested", language="de").text
    assert "meta_office" not in reply.text
