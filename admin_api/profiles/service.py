"""The education profile as the authority reads it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from admin_api.profiles.schemas import EducationProfileOut, EducationReportOut, ProfileLine
from bot.guided.education import GERMAN_LABELS, german_lines
from bot.profiles.service import (
    MIN_CELL,
    NOT_ANSWERED,
    REPORT_DIMENSIONS,
    education_report,
    find_profile,
    profile_answers,
)


def profile_for_case(session: Session, conversation_id: int) -> EducationProfileOut | None:
    profile = find_profile(session, conversation_id)
    if profile is None:
        return None
    return EducationProfileOut(
        consent_at=profile.consent_at,
        updated_at=profile.updated_at,
        lines=[ProfileLine(label=k, value=v) for k, v in german_lines(profile_answers(profile))],
    )


def report(session: Session) -> EducationReportOut:
    data = education_report(session)
    labels = {d: {**GERMAN_LABELS[d], NOT_ANSWERED: "keine Angabe"} for d in REPORT_DIMENSIONS}
    return EducationReportOut(
        min_cell=MIN_CELL, total=data.total, counts=data.counts, labels=labels, by_district=data.by_district
    )
