"""Staged NLU training examples: proposed by an admin from a cluster, approved or rejected, and
exported (approved only) as a Rasa NLU file for a later retraining. ``nlu_data/`` is never written."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.analytics.models import QuestionLog
from bot.db import utcnow
from bot.insights.models import StagedExample, StagedStatus

INTENT_PATTERN = r"^[a-z][a-z0-9_]*(/[a-z0-9_]+)?$"
NEW_ANSWER = "new_answer"
"""Export name of examples staged for an answer that does not exist yet (kept out of training)."""


class StagingError(ValueError):
    """A staging request that cannot be carried out (e.g. a text that is not in the question log)."""


def stage(
    session: Session,
    *,
    examples: Sequence[tuple[str, str]],
    target_intent: str | None,
    note: str | None,
    staged_by_id: int | None,
) -> list[StagedExample]:
    """Stage (language, text) pairs for ``target_intent``, or as a new answer with ``note``.

    Every text must be a redacted question of the log (so nothing unredacted can be staged), and a
    text already staged or approved for the same target is not staged twice.
    """
    if not examples:
        raise StagingError("no examples")
    if target_intent is not None and not re.match(INTENT_PATTERN, target_intent):
        raise StagingError("not an intent name")
    if target_intent is None and not (note or "").strip():
        raise StagingError("a new answer needs a note")
    texts = {text for _, text in examples}
    logged = {
        (str(language), str(text))
        for language, text in session.execute(
            select(QuestionLog.language, QuestionLog.text_redacted).where(
                QuestionLog.text_redacted.in_(texts)
            )
        )
    }
    missing = [pair for pair in examples if tuple(pair) not in logged]
    if missing:
        raise StagingError(f"{len(missing)} text(s) are not in the question log")
    existing = {
        (str(language), str(text))
        for language, text in session.execute(
            select(StagedExample.language, StagedExample.text).where(
                StagedExample.text.in_(texts),
                StagedExample.status != StagedStatus.REJECTED,
                StagedExample.target_intent.is_(None)
                if target_intent is None
                else StagedExample.target_intent == target_intent,
            )
        )
    }
    rows = []
    for language, text in dict.fromkeys(tuple(p) for p in examples):
        if (language, text) in existing:
            continue
        row = StagedExample(
            language=language,
            text=text,
            target_intent=target_intent,
            note=(note or "").strip() or None,
            staged_by_id=staged_by_id,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def review(
    session: Session, *, ids: Sequence[int], status: StagedStatus, reviewed_by_id: int | None
) -> list[StagedExample]:
    """Approve or reject staged examples (those still staged; others are left as they are)."""
    if status == StagedStatus.STAGED:
        raise StagingError("approve or reject")
    rows = list(
        session.scalars(
            select(StagedExample).where(
                StagedExample.id.in_(ids), StagedExample.status == StagedStatus.STAGED
            )
        )
    )
    now = utcnow()
    for row in rows:
        row.status, row.reviewed_by_id, row.reviewed_at = status, reviewed_by_id, now
    session.flush()
    return rows


def listing(session: Session, *, status: StagedStatus | None = None, limit: int = 500) -> list[StagedExample]:
    query = select(StagedExample).order_by(StagedExample.id.desc()).limit(limit)
    if status is not None:
        query = query.where(StagedExample.status == status)
    return list(session.scalars(query))


class _Literal(str):
    """A YAML block scalar (``examples: |``), as Rasa's own files write it."""


def _literal(dumper: yaml.SafeDumper, data: _Literal) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Literal, _literal)


def _example_line(text: str) -> str:
    """One ``- text`` line: on one line, without characters that Rasa reads as entity markup."""
    flat = " ".join(text.split())
    return re.sub(r"[\[\]{}()]", "", flat).strip()


def export_yaml(session: Session, *, include_new_answers: bool = False) -> tuple[str, int]:
    """Approved examples as a Rasa 3 NLU file (``version: "3.1"``, one ``intent`` block per target
    intent, ``metadata.language`` per language block is not a Rasa feature, so languages are mixed
    within an intent as in a multilingual model). Returns (yaml, number of examples)."""
    rows = session.scalars(
        select(StagedExample)
        .where(StagedExample.status == StagedStatus.APPROVED)
        .order_by(StagedExample.target_intent, StagedExample.language, StagedExample.id)
    ).all()
    by_intent: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if row.target_intent is None and not include_new_answers:
            continue
        line = _example_line(row.text)
        intent = row.target_intent or NEW_ANSWER
        if line and line not in by_intent[intent]:
            by_intent[intent].append(line)
    nlu = [
        {"intent": intent, "examples": _Literal("".join(f"- {line}\n" for line in lines))}
        for intent, lines in sorted(by_intent.items())
    ]
    text = yaml.dump(
        {"version": "3.1", "nlu": nlu}, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000
    )
    return text, sum(len(lines) for lines in by_intent.values())


def write_export(session: Session, path: Path, *, include_new_answers: bool = False) -> int:
    text, count = export_yaml(session, include_new_answers=include_new_answers)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return count
