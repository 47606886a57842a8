"""Review status of every (item, language), and which factual items are due for a new check.

Integreat CMS's model: a translation records which version of the German source text it was made
from (here: a hash of that text). When the German text changes, every translation made from the
old one is ``outdated`` until a person checks it again and marks it reviewed. A machine translation
that nobody has checked is a ``machine draft``. A factual item whose ``review_by`` date has passed
is ``overdue``: its answers still go out, with a notice to confirm them with counselling.

Two places hold texts, and both are reported the same way:

* the files in ``translations/`` with the sidecar ``_status.yml`` (``lotse content status``,
  ``lotse content mark-reviewed``), where content is reviewed and committed;
* the content store in the database (admin API), where admins' edits live.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bot.content.models import ContentKind
from bot.content.service import TRANSLATIONS_DIR, CatalogEntry, load_catalog, load_language_file
from bot.content.status_file import ReviewRecord, load_status, text_hash, write_status
from bot.guided.keys import is_guided_key
from bot.language.languages import LANGUAGES, REQUIRED_LANGUAGES

SOURCE_LANGUAGE = "de"
"""Every translation is made from, and checked against, the German text."""


class ReviewState(enum.StrEnum):
    REVIEWED = "reviewed"
    MACHINE_DRAFT = "machine draft"
    OUTDATED = "outdated"
    MISSING = "missing"


def translation_state(
    *, has_text: bool, source_hash: str | None, current_source_hash: str | None, machine: bool
) -> ReviewState:
    """The state of one translation: no text, made from an older German text, unchecked MT, or fine.

    A translation with no recorded source hash cannot be shown to match the German text, so it is
    outdated (it needs a check), not reviewed.
    """
    if not has_text:
        return ReviewState.MISSING
    if source_hash is None or source_hash != current_source_hash:
        return ReviewState.OUTDATED
    return ReviewState.MACHINE_DRAFT if machine else ReviewState.REVIEWED


def is_overdue(review_by: date | None, today: date) -> bool:
    """Past its review date: the facts may have changed since they were checked."""
    return review_by is not None and today > review_by


def needs_language(entry: CatalogEntry, language: str) -> bool:
    """Required languages have every item; best-effort languages have the fixed turns and labels
    (not those of the guided flows, which run in English there)."""
    return language in REQUIRED_LANGUAGES or (entry.kind != ContentKind.FAQ and not is_guided_key(entry.key))


@dataclass(frozen=True, slots=True)
class ItemStatus:
    key: str
    kind: str
    topic: str
    as_of: date | None
    review_by: date | None
    overdue: bool
    languages: dict[str, ReviewState]
    """State per language that has or needs the item (German included)."""

    @property
    def needs_attention(self) -> bool:
        return self.overdue or any(s != ReviewState.REVIEWED for s in self.languages.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "topic": self.topic,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "review_by": self.review_by.isoformat() if self.review_by else None,
            "overdue": self.overdue,
            "languages": {lang: state.value for lang, state in self.languages.items()},
        }


@dataclass(frozen=True, slots=True)
class StatusReport:
    today: date
    items: list[ItemStatus] = field(default_factory=list)

    def count(self, state: ReviewState) -> int:
        return sum(1 for i in self.items for s in i.languages.values() if s == state)

    @property
    def overdue(self) -> int:
        return sum(1 for i in self.items if i.overdue)

    @property
    def clean(self) -> bool:
        """Nothing outdated, missing or overdue (machine drafts are allowed: they are marked)."""
        return not (self.count(ReviewState.OUTDATED) or self.count(ReviewState.MISSING) or self.overdue)

    def as_json(self, *, everything: bool = False) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "outdated": self.count(ReviewState.OUTDATED),
            "overdue": self.overdue,
            "missing": self.count(ReviewState.MISSING),
            "machine_draft": self.count(ReviewState.MACHINE_DRAFT),
            "reviewed": self.count(ReviewState.REVIEWED),
            "items": [i.as_json() for i in self.items if everything or i.needs_attention],
        }


@dataclass(frozen=True, slots=True)
class TextRecord:
    """What is known of one text, wherever it is stored."""

    text: str
    source_hash: str | None
    machine: bool


def build_report(
    catalog: Mapping[str, CatalogEntry],
    texts: Mapping[str, Mapping[str, TextRecord]],
    *,
    today: date,
) -> StatusReport:
    """The status of every item from ``texts`` (language -> key -> record)."""
    items: list[ItemStatus] = []
    for key, entry in catalog.items():
        german = texts.get(SOURCE_LANGUAGE, {}).get(key)
        current = text_hash(german.text) if german else None
        states: dict[str, ReviewState] = {}
        for language in LANGUAGES:
            record = texts.get(language, {}).get(key)
            if record is None and not needs_language(entry, language):
                continue
            if language == SOURCE_LANGUAGE:
                states[language] = ReviewState.REVIEWED if record else ReviewState.MISSING
                continue
            states[language] = translation_state(
                has_text=record is not None,
                source_hash=record.source_hash if record else None,
                current_source_hash=current,
                machine=bool(record and record.machine),
            )
        items.append(
            ItemStatus(
                key=key,
                kind=entry.kind.value,
                topic=entry.topic,
                as_of=entry.as_of,
                review_by=entry.review_by,
                overdue=is_overdue(entry.review_by, today),
                languages=states,
            )
        )
    return StatusReport(today=today, items=items)


# ---------------------------------------------------------------------- the files


def file_texts(directory: Path = TRANSLATIONS_DIR) -> dict[str, dict[str, TextRecord]]:
    """Every text of the language files with what ``_status.yml`` records of it."""
    status = load_status(directory)
    texts: dict[str, dict[str, TextRecord]] = {}
    for language in LANGUAGES:
        texts[language] = {}
        for key, text in load_language_file(language, directory).items():
            record = status.get(key, {}).get(language)
            texts[language][key] = TextRecord(
                text=text,
                source_hash=record.source if record else None,
                machine=bool(record and record.machine),
            )
    return texts


def file_report(directory: Path = TRANSLATIONS_DIR, *, today: date) -> StatusReport:
    """The status of the content files (``lotse content status``)."""
    return build_report(load_catalog(directory), file_texts(directory), today=today)


def mark_reviewed(
    keys: Iterable[str],
    languages: Iterable[str] | None,
    *,
    by: str,
    on: date,
    directory: Path = TRANSLATIONS_DIR,
) -> list[tuple[str, str]]:
    """Record that a person checked these translations against the current German text.

    ``languages=None`` means every language that has a text for the key. Returns the (key, language)
    pairs marked. Raises ``KeyError`` for an unknown key and ``ValueError`` for a missing text, an
    unsupported language, German (the source itself) or a missing reviewer name.
    """
    if not by.strip():
        raise ValueError("say who reviewed (--by)")
    catalog = load_catalog(directory)
    texts = {lang: load_language_file(lang, directory) for lang in LANGUAGES}
    status = load_status(directory)
    marked: list[tuple[str, str]] = []
    for key in keys:
        if key not in catalog:
            raise KeyError(key)
        german = texts[SOURCE_LANGUAGE].get(key)
        if german is None:
            raise ValueError(f"{key} has no German text to review against")
        wanted = (
            list(languages) if languages is not None else [lang for lang in LANGUAGES if key in texts[lang]]
        )
        for language in wanted:
            if language not in LANGUAGES:
                raise ValueError(f"unsupported language {language!r}")
            if language == SOURCE_LANGUAGE:
                if languages is None:
                    continue
                raise ValueError("German is the source text; change it, then review the translations")
            if key not in texts[language]:
                raise ValueError(f"{key} has no {language} text")
            status.setdefault(key, {})[language] = ReviewRecord(
                source=text_hash(german), by=by.strip(), on=on
            )
            marked.append((key, language))
    write_status(status, directory)
    return marked
