"""Filling the question log in tests: a housing question (the deposit) asked in a district."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.analytics.service import record_question


def log_housing_question(session: Session, text: str, district: str | None) -> None:
    record_question(
        session,
        text=text,
        language="de",
        intent="faq_housing/deposit",
        confidence=0.9,
        topic="housing",
        content_key="utter_faq_housing/deposit",
        district=district,
    )
