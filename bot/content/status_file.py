"""The sidecar ``translations/_status.yml``: per (item, language) the German text it was checked against.

Kept apart from :mod:`bot.content.review` so that seeding the store can read it without a cycle.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

STATUS_FILE = "_status.yml"
STATUS_HEADER = """\
# Review status of every translation: generated and updated by `lotse content mark-reviewed`.
#
# Per item and language: `source` = hash of the German text the translation was checked against,
# `by`/`date` = who checked it and when, `machine: true` = a machine translation nobody has checked.
# A translation whose `source` differs from the hash of the current German text is "outdated":
# `lotse content status` lists it until someone checks it and runs `lotse content mark-reviewed`.
# German texts are the source and have no entry. Do not edit hashes by hand.
"""


def text_hash(text: str) -> str:
    """Short hash of a text; whitespace differences do not count as a change."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    """One entry of ``_status.yml``."""

    source: str
    by: str | None = None
    on: date | None = None
    machine: bool = False

    def as_yaml(self) -> dict[str, Any]:
        data: dict[str, Any] = {"source": self.source}
        if self.machine:
            data["machine"] = True
        if self.by:
            data["by"] = self.by
        if self.on:
            data["date"] = self.on.isoformat()
        return data


StatusData = dict[str, dict[str, ReviewRecord]]
"""key -> language -> record."""


def load_status(directory: Path) -> StatusData:
    path = directory / STATUS_FILE
    if not path.exists():
        return {}
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        str(key): {
            str(lang): ReviewRecord(
                source=str(rec["source"]),
                by=str(rec["by"]) if rec.get("by") else None,
                on=date.fromisoformat(str(rec["date"])) if rec.get("date") else None,
                machine=bool(rec.get("machine")),
            )
            for lang, rec in (langs or {}).items()
        }
        for key, langs in raw.items()
    }


def write_status(data: StatusData, directory: Path) -> None:
    """Write ``_status.yml`` (a generated file: sorted, one line per translation)."""
    lines = [STATUS_HEADER]
    for key in sorted(data):
        if not data[key]:
            continue
        lines.append(f"{key}:")
        for lang in sorted(data[key]):
            record = yaml.safe_dump(data[key][lang].as_yaml(), default_flow_style=True, allow_unicode=True)
            lines.append(f"  {lang}: {record.strip()}")
    (directory / STATUS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
