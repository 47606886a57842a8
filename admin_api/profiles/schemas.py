from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ProfileLine(BaseModel):
    label: str = Field(description="German name of the question.")
    value: str = Field(description="German label of the answer (free text as the person typed it).")


class EducationProfileOut(BaseModel):
    """The person's education profile (stored with their consent), in German."""

    consent_at: datetime
    updated_at: datetime
    lines: list[ProfileLine] = Field(description="Answered questions only, in the order asked.")


class EducationReportOut(BaseModel):
    """People with an education profile, counted; no names, no free text. Cells with fewer than
    ``min_cell`` people are null (suppressed)."""

    min_cell: int
    total: int | None
    counts: dict[str, dict[str, int | None]] = Field(
        description="Per dimension (school_years, german, field, goal): answer value -> count."
    )
    labels: dict[str, dict[str, str]] = Field(description="German labels of the answer values.")
    by_district: dict[str, dict[str, dict[str, int | None]]] | None = Field(
        default=None, description="The same counts per district (when conversations have a district)."
    )
