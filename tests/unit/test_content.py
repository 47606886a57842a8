"""Content store on a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.content.models import ContentTranslation, TranslationStatus
from bot.content.render import render
from bot.content.service import resolve, seed, set_text


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
    assert "2026-11-25" in reply.text
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
