"""The shape of a guided flow: its steps, and what a finished flow answers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot.conversations.models import Conversation
from bot.handover.models import HandoverReason

CHOOSE_REMINDER = "reminder"
"""The step after a result that offered reminders (values ``yes``/``no``)."""


@dataclass(frozen=True, slots=True)
class Step:
    """One question: buttons (``choices``: value and label key), a date (with today/yesterday
    buttons) or free text (``free_text``: any answer is kept as typed, up to ``FREE_TEXT_LIMIT``
    characters). An ``optional`` step has a "skip" button (its answer is then ``""``).
    """

    name: str
    question: str
    choices: tuple[tuple[str, str], ...] = ()
    date: bool = False
    free_text: bool = False
    optional: bool = False

    @classmethod
    def choice(cls, name: str, question: str, values: Iterable[str], labels: str) -> Step:
        """A step answered by one of ``values``; value ``v``'s label is the content key ``labels + v``."""
        return cls(name, question, tuple((v, f"{labels}{v}") for v in values))


FREE_TEXT_LIMIT = 200
SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Text:
    """A content key and how its placeholders are filled, in this order (each may use the ones before):

    ``values`` as given; ``dates`` formatted in the reader's language; ``labels``: the text of another
    content key (a button label, a reason); ``parts``: texts of other keys joined by blank lines
    (empty for no keys).
    """

    key: str
    values: Mapping[str, str] = field(default_factory=dict)
    dates: Mapping[str, date] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    parts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    buttons: tuple[tuple[str, str], ...] = ()
    """Buttons under the text: label key and payload (e.g. ``start_payload`` of a follow-up flow)."""


@dataclass(frozen=True, slots=True)
class ReminderPlan:
    key: str
    deadline: date
    offsets_days: tuple[int, ...]


@dataclass(slots=True)
class Finished:
    """What a completed flow answers, and what else it sets in motion."""

    texts: list[Text]
    result: dict[str, Any]
    handover: HandoverReason | None = None
    handover_topic: str | None = None
    """Topic of the handover (default: the flow's topic)."""
    reminders: ReminderPlan | None = None
    apply: Callable[[Session, Conversation], None] | None = None
    """What else the result stores (a profile, a request), in the same transaction."""


class Flow(Protocol):
    name: str
    topic: str
    starter: str
    steps: Mapping[str, Step]

    def next_step(self, answers: Mapping[str, str]) -> str | None:
        """The next unanswered step, or None when the answers are complete."""

    def finish(self, answers: Mapping[str, str], today: date) -> Finished:
        """The result for complete ``answers`` on ``today`` (Europe/Berlin date)."""

    def case_lines(self, answers: Mapping[str, str], result: Mapping[str, Any]) -> list[str]:
        """German lines for the caseworker's case summary."""
