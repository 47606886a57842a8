"""The directory's records, as loaded from ``bot/directory/data/`` (frozen: they are shared and cached)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

STATE_WIDE = "thuringia"
"""The ``district`` of a service for the whole of Thuringia."""
SERVICE_KINDS = frozenset(
    {
        "mbe",
        "jmd",
        "refugee_council",
        "legal_advice",
        "immigration_authority",
        "integration_guide",
        "housing",
        "education",
        "other",
    }
)
SERVICE_TOPICS = frozenset(
    {"family_reunification", "asylum_appeal", "housing", "education", "naturalization", "general"}
)


@dataclass(frozen=True, slots=True)
class District:
    """A Landkreis or kreisfreie Stadt of Thuringia, located by its seat."""

    key: str
    name: str
    kind: str
    ags: str
    seat: str
    lat: float
    lon: float
    alt_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Municipality:
    """A Gemeinde (or a well-known Ortsteil) and the district it belongs to."""

    name: str
    ags: str | None
    district_ags: str


@dataclass(frozen=True, slots=True)
class Service:
    """A counselling or support service; unknown fields are None (never guessed)."""

    id: str
    district: str
    kind: str
    topics: tuple[str, ...]
    name: str
    source_title: str
    source_url: str | None
    as_of: date | None
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    url: str | None = None
    languages: tuple[str, ...] = ()
    opening_hours: str | None = None
    also_serves: tuple[str, ...] = ()
    """Other districts it serves (``district`` is where it is)."""

    @property
    def content_key(self) -> str:
        """Its text in the content store (admins correct it there like any text)."""
        return f"dir_{self.id}"
