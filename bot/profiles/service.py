"""Storing, showing and deleting the education profile, and the anonymous counts for planning."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.db import utcnow
from bot.profiles.models import EducationProfile

COLUMNS = (
    "school_years",
    "certificate",
    "certificate_country",
    "field",
    "level",
    "finished",
    "documents",
    "occupation",
    "work_years",
    "german",
    "german_certificate",
    "other_languages",
    "goal",
)
"""The profile's answers, in the order the education flow asks them (``bot.guided.education.ORDER``)."""
MIN_CELL = 3
"""Counts below this many people are not shown in reports (they could identify someone)."""
REPORT_DIMENSIONS = ("school_years", "german", "field", "goal")
NOT_ANSWERED = "not_answered"


def find_profile(session: Session, conversation_id: int) -> EducationProfile | None:
    return session.scalar(select(EducationProfile).where(EducationProfile.conversation_id == conversation_id))


def save_profile(session: Session, *, conversation_id: int, answers: Mapping[str, str]) -> EducationProfile:
    """Store (or replace) the conversation's profile; questions not in ``answers`` become NULL."""
    profile = find_profile(session, conversation_id)
    if profile is None:
        profile = EducationProfile(conversation_id=conversation_id, consent_at=utcnow())
        session.add(profile)
    else:
        profile.consent_at = utcnow()
    for column in COLUMNS:
        setattr(profile, column, answers.get(column) or None)
    session.flush()
    return profile


def profile_answers(profile: EducationProfile) -> dict[str, str]:
    """The stored answers (answered questions only)."""
    return {c: str(getattr(profile, c)) for c in COLUMNS if getattr(profile, c)}


def delete_profile(session: Session, conversation_id: int) -> bool:
    """Withdrawn consent: the profile and the flow's kept answers go. Whether there was a profile."""
    from bot.guided.models import STOPPED, GuidedFlow  # the flow engine imports this module

    profile = find_profile(session, conversation_id)
    if profile is not None:
        session.delete(profile)
    session.execute(
        update(GuidedFlow)
        .where(GuidedFlow.conversation_id == conversation_id, GuidedFlow.flow == "education")
        .values(step=STOPPED, answers={}, result={})
    )
    session.flush()
    return profile is not None


@dataclass(frozen=True, slots=True)
class Report:
    total: int | None
    """People with a profile; None when fewer than ``MIN_CELL``."""
    counts: dict[str, dict[str, int | None]]
    """Per dimension, value -> count; None where fewer than ``MIN_CELL`` people (suppressed)."""
    by_district: dict[str, dict[str, dict[str, int | None]]] | None = None


def _suppress(counter: Counter[str]) -> dict[str, int | None]:
    """Cells under ``MIN_CELL`` hidden; when only one is, the smallest other one too (otherwise the
    total minus the shown cells would give it away)."""
    cells: dict[str, int | None] = {v: (n if n >= MIN_CELL else None) for v, n in sorted(counter.items())}
    hidden = [v for v, n in cells.items() if n is None]
    shown = sorted((n, v) for v, n in cells.items() if n is not None)
    if len(hidden) == 1 and shown:
        cells[shown[0][1]] = None
    return cells


def education_report(session: Session) -> Report:
    """Counts by school years, German level, field and goal; no names, no free text, small cells hidden."""
    from bot.conversations.models import Conversation

    district_column = getattr(Conversation, "district", None)
    columns = [getattr(EducationProfile, d) for d in REPORT_DIMENSIONS]
    if district_column is not None:
        query = select(*columns, district_column).join(
            Conversation, Conversation.id == EducationProfile.conversation_id
        )
    else:
        query = select(*columns)
    rows = session.execute(query).all()
    counts = {
        dimension: _suppress(Counter(str(row[i] or NOT_ANSWERED) for row in rows))
        for i, dimension in enumerate(REPORT_DIMENSIONS)
    }
    by_district = None
    if district_column is not None:
        by_district = {}
        districts = Counter(str(row[-1] or NOT_ANSWERED) for row in rows)
        for district, n in sorted(districts.items()):
            if n < MIN_CELL:
                continue  # a district with fewer people is not shown at all
            mine = [row for row in rows if str(row[-1] or NOT_ANSWERED) == district]
            by_district[district] = {
                dimension: _suppress(Counter(str(row[i] or NOT_ANSWERED) for row in mine))
                for i, dimension in enumerate(REPORT_DIMENSIONS)
            }
    total = len(rows)
    return Report(total=total if total >= MIN_CELL else None, counts=counts, by_district=by_district)
