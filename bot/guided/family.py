"""The family reunification check: status, (for recognised refugees) the date and which date it is,
who should come -> the person's own path: for refugees the end of the three months of § 29 Abs. 2
AufenthG (``months_deadline``: the earlier, safe date), the notice that keeps it, the documents; for
subsidiary protection the suspension; for others the general rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.guided.dates import days_left, months_deadline
from bot.guided.steps import Finished, ReminderPlan, Step, Text
from bot.handover.models import HandoverReason

NAME = "family"
MONTHS = 3
URGENT_DAYS = 21
"""Less than three weeks left of the three months: an urgent case for a caseworker."""
REMINDER_OFFSETS = (21, 3)

STATUSES = ("refugee", "subsidiary", "other", "ukraine", "procedure", "unknown")
MEMBERS = ("spouse", "children", "spouse_children", "parents", "others")
_DOCS = {
    "spouse": ("meta_flow_family_docs_spouse",),
    "children": ("meta_flow_family_docs_children",),
    "spouse_children": ("meta_flow_family_docs_spouse", "meta_flow_family_docs_children"),
    "parents": ("meta_flow_family_docs_parents",),
    "others": ("meta_flow_family_docs_others",),
}
_STATUS_DE = {
    "refugee": "anerkannter Flüchtling / asylberechtigt",
    "subsidiary": "subsidiärer Schutz",
    "other": "anderer Aufenthaltstitel",
    "ukraine": "vorübergehender Schutz (Ukraine, § 24 AufenthG)",
    "procedure": "noch im Asylverfahren",
    "unknown": "weiß nicht",
}
_MEMBERS_DE = {
    "spouse": "Ehepartner/in",
    "children": "Kinder unter 18",
    "spouse_children": "Ehepartner/in und Kinder",
    "parents": "Eltern (Person ist unbegleitet minderjährig)",
    "others": "andere Angehörige",
}


class FamilyFlow:
    name = NAME
    topic = "family_reunification"
    starter = "utter_faq_family/deadline_check"
    steps: Mapping[str, Step] = {
        "status": Step.choice("status", "utter_flow_family_ask_status", STATUSES, "meta_flow_status_"),
        "date_kind": Step.choice(
            "date_kind", "utter_flow_family_ask_date_kind", ("final", "notice"), "meta_flow_datekind_"
        ),
        "date": Step("date", "utter_flow_family_ask_date", date=True),
        "members": Step.choice("members", "utter_flow_family_ask_members", MEMBERS, "meta_flow_members_"),
    }

    def next_step(self, answers: Mapping[str, str]) -> str | None:
        status = answers.get("status")
        if status is None:
            return "status"
        if status in ("subsidiary", "procedure"):
            return None  # their answer does not depend on a date or on who should come
        if status == "refugee":
            for name in ("date_kind", "date"):
                if name not in answers:
                    return name
        return None if "members" in answers else "members"

    def finish(self, answers: Mapping[str, str], today: date) -> Finished:
        status = answers["status"]
        documents = {"documents": _DOCS.get(answers.get("members", ""), ())}
        if status == "subsidiary":
            return Finished([Text("utter_flow_family_result_subsidiary")], {"status": status})
        if status == "procedure":
            return Finished([Text("utter_flow_family_result_procedure")], {"status": status})
        if status == "ukraine":
            return Finished([Text("utter_flow_family_result_ukraine", parts=documents)], {"status": status})
        if status != "refugee":
            return Finished([Text("utter_flow_family_result_other", parts=documents)], {"status": status})
        start = date.fromisoformat(answers["date"])
        last_day = months_deadline(start, MONTHS)
        left = days_left(last_day, today)
        note = ("meta_flow_family_date_notice",) if answers.get("date_kind") == "notice" else ()
        if left < 0:
            key = "utter_flow_family_result_refugee_passed"
        elif left < URGENT_DAYS:
            key = "utter_flow_family_result_refugee_urgent"
        else:
            key = "utter_flow_family_result_refugee"
        text = Text(
            key,
            values={"days_left": str(max(left, 0))},
            dates={"date": last_day},
            parts={**documents, "date_note": note},
        )
        result: dict[str, Any] = {"status": status, "last_day": last_day.isoformat(), "days_left": left}
        handover = HandoverReason.FAMILY_DEADLINE if 0 <= left < URGENT_DAYS else None
        reminders = ReminderPlan("utter_reminder_family", last_day, REMINDER_OFFSETS) if left >= 0 else None
        return Finished([text], result, handover=handover, reminders=reminders)

    def case_lines(self, answers: Mapping[str, str], result: Mapping[str, Any]) -> list[str]:
        lines = []
        if "status" in answers:
            lines.append(f"Status: {_STATUS_DE.get(answers['status'], answers['status'])}")
        if "date" in answers:
            kind = "unanfechtbar seit" if answers.get("date_kind") == "final" else "Bescheid erhalten am"
            lines.append(f"{kind}: {date.fromisoformat(answers['date']).strftime('%d.%m.%Y')}")
        if "members" in answers:
            lines.append(f"Nachziehen sollen: {_MEMBERS_DE.get(answers['members'], answers['members'])}")
        if result.get("last_day"):
            last = date.fromisoformat(str(result["last_day"])).strftime("%d.%m.%Y")
            lines.append(
                f"Drei-Monats-Frist § 29 Abs. 2 AufenthG endet (berechnet, ohne Verschiebung): {last}"
                f" — noch {result.get('days_left')} Tag(e) bei Berechnung"
            )
        return lines
