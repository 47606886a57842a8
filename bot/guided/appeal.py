"""The appeal deadline helper: what the decision says, the period in its Rechtsbehelfsbelehrung, the
day of delivery -> the probable last day for the lawsuit (``bot.guided.dates``), an urgent case when
3 days or fewer are left or the day has passed, and reminders 3 days and 1 day before.

The period the person reads in the letter always wins; the table (``data/appeal_periods.yml``) is
used only when they cannot read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.guided.dates import appeal_deadline, days_left
from bot.guided.periods import load_periods
from bot.guided.steps import Finished, ReminderPlan, Step, Text
from bot.handover.models import HandoverReason

NAME = "appeal"
URGENT_DAYS = 3
"""This many days left or fewer (or passed): an urgent case for a caseworker at once."""
REMINDER_OFFSETS = (3, 1)

DECISIONS = ("rejected", "manifestly", "dublin", "lower", "unknown")
PERIODS = {"1w": 1, "2w": 2}
_DECISION_DE = {
    "rejected": "abgelehnt (unbegründet)",
    "manifestly": "offensichtlich unbegründet / unzulässig",
    "dublin": "Dublin-Bescheid",
    "lower": "Schutz, aber geringer als beantragt",
    "unknown": "anderes / weiß nicht",
}


class AppealFlow:
    name = NAME
    topic = "asylum_appeal"
    starter = "utter_faq_appeal/deadline_helper"
    steps: Mapping[str, Step] = {
        "decision": Step.choice(
            "decision", "utter_flow_appeal_ask_decision", DECISIONS, "meta_flow_decision_"
        ),
        "period": Step.choice(
            "period", "utter_flow_appeal_ask_period", ("1w", "2w", "unknown"), "meta_flow_period_"
        ),
        "delivered": Step("delivered", "utter_flow_appeal_ask_delivered", date=True),
    }

    def next_step(self, answers: Mapping[str, str]) -> str | None:
        return next((name for name in self.steps if name not in answers), None)

    def finish(self, answers: Mapping[str, str], today: date) -> Finished:
        table = load_periods()
        stated = PERIODS.get(answers["period"])
        weeks, source = table.period_for(answers["decision"], stated)
        delivered = date.fromisoformat(answers["delivered"])
        deadline = appeal_deadline(delivered, weeks)
        left = days_left(deadline.last_day, today)
        period_label = "meta_flow_period_1w" if weeks == 1 else "meta_flow_period_2w"
        note_key = "meta_flow_period_letter" if source == "letter" else "meta_flow_period_table"
        shift: tuple[str, ...] = ()
        values = {"days_left": str(max(left, 0))}
        labels = {"period": period_label}
        if deadline.shifted and deadline.reasons:
            first = deadline.reasons[0]  # why the nominal last day is not a working day
            shift = ("meta_flow_shift_note",)
            values["name"] = first.name or ""
            labels["reason"] = f"meta_flow_reason_{first.kind}"
        if left < 0:
            key = "utter_flow_appeal_result_passed"
        elif left <= URGENT_DAYS:
            key = "utter_flow_appeal_result_urgent"
        else:
            key = "utter_flow_appeal_result"
        text = Text(
            key,
            values=values,
            labels=labels,
            dates={"date": deadline.last_day, "nominal": deadline.nominal},
            parts={"period_note": (note_key,), "shift_note": shift},
        )
        result: dict[str, Any] = {
            "weeks": weeks,
            "period_source": source,
            "rules": table.rules,
            "nominal": deadline.nominal.isoformat(),
            "last_day": deadline.last_day.isoformat(),
            "days_left": left,
        }
        handover = HandoverReason.APPEAL_DEADLINE if left <= URGENT_DAYS else None
        reminders = (
            ReminderPlan("utter_reminder_appeal", deadline.last_day, REMINDER_OFFSETS) if left >= 0 else None
        )
        return Finished([text], result, handover=handover, reminders=reminders)

    def case_lines(self, answers: Mapping[str, str], result: Mapping[str, Any]) -> list[str]:
        lines = []
        if "decision" in answers:
            lines.append(f"Bescheid: {_DECISION_DE.get(answers['decision'], answers['decision'])}")
        if "period" in answers:
            stated = {"1w": "1 Woche", "2w": "2 Wochen"}.get(answers["period"], "unbekannt / nicht lesbar")
            lines.append(f"Frist laut Rechtsbehelfsbelehrung: {stated}")
        if "delivered" in answers:
            lines.append(f"Zugestellt am: {_de(answers['delivered'])}")
        if result.get("last_day"):
            source = "laut Bescheid" if result.get("period_source") == "letter" else "nach Tabelle (kürzeste)"
            last = _de(str(result["last_day"]))
            lines.append(
                f"Letzter Tag (berechnet, {result.get('weeks')} Woche(n) {source}): {last}"
                f" — noch {result.get('days_left')} Tag(e) bei Berechnung"
            )
        return lines


def _de(iso: str) -> str:
    try:
        return date.fromisoformat(iso).strftime("%d.%m.%Y")
    except ValueError:
        return iso
