"""``translations/CHANGES.md`` stays consistent with the catalogue."""

from __future__ import annotations

import re
from datetime import date

from bot.content.service import TRANSLATIONS_DIR, load_catalog

CHANGES = TRANSLATIONS_DIR / "CHANGES.md"
_KEY = re.compile(r"`((?:utter|meta|canned)_[\w/]+)`")
_HEADING = re.compile(r"^## (\d{4}-\d{2}-\d{2}) [–-] \S")


def _entries() -> str:
    """The change log without its format explanation (code blocks) and header (before the first ``## ``)."""
    text = re.sub(r"```.*?```", "", CHANGES.read_text(encoding="utf-8"), flags=re.DOTALL)
    start = text.find("\n## ")
    return text[start:] if start >= 0 else ""


def test_every_key_named_in_the_change_log_exists() -> None:
    catalog = load_catalog()
    unknown = sorted({k for k in _KEY.findall(_entries()) if k not in catalog})
    assert not unknown, f"CHANGES.md names keys that are not in _catalog.yml: {unknown}"


def test_every_section_has_a_date_and_changed_keys() -> None:
    sections = [s for s in _entries().split("\n## ")[1:] if s.strip()]
    for section in sections:
        heading = "## " + section.splitlines()[0]
        match = _HEADING.match(heading)
        assert match, f"heading needs '## YYYY-MM-DD – what changed': {heading!r}"
        date.fromisoformat(match.group(1))
        assert _KEY.search(section), f"{heading!r} names no content key"


def test_the_checks_catch_an_unknown_key_and_a_heading_without_date() -> None:
    assert _KEY.findall("- `utter_faq_appeal/nope`: x") == ["utter_faq_appeal/nope"]
    assert "utter_faq_appeal/nope" not in load_catalog()
    assert not _HEADING.match("## Bürgergeld replaced")
    assert _HEADING.match("## 2026-07-01 – Grundsicherungsgeld replaces Bürgergeld")
