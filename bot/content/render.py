"""Turn a content key into the reply a person sees: text, sources, "as of" date, disclaimer, buttons."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.content.models import ContentKind
from bot.content.review import is_overdue
from bot.content.service import ResolvedText, resolve
from bot.guided.payloads import menu_payload, profile_payload, start_payload
from bot.language.languages import LANGUAGES
from bot.office_hours import OfficeHours, office_status

TOPICS = ("family_reunification", "asylum_appeal", "housing", "education", "naturalization")
"""The topics of the menu, each with an overview of example questions."""
ANSWER_TOPICS = (*TOPICS, "asylum_procedure", "residence", "benefits", "work")
"""Every topic a factual answer can have (``meta_topic_<topic>`` is its button label)."""
OFFICE_NOTICE_KEYS = frozenset(
    {
        "utter_handover_requested",
        "utter_handover_low_confidence",
        "utter_handover_individual",
        "utter_handover_crisis",
        "utter_handover_attachment",
        "utter_flow_appeal_result_urgent",
        "utter_flow_appeal_result_passed",
        "utter_flow_family_result_refugee_urgent",
    }
)
"""Replies that create a handover: they end with when the office opens (``meta_office_*``)."""
GUIDED_OFFERS = {
    **dict.fromkeys(
        (
            "utter_faq_appeal/deadline",
            "utter_faq_appeal/manifestly_unfounded",
            "utter_faq_appeal/dublin",
            "utter_faq_appeal/upgrade_protection",
            "utter_topic_asylum_appeal",
        ),
        ("meta_button_work_out_date", "appeal"),
    ),
    **dict.fromkeys(
        (
            "utter_faq_family/refugee_three_months",
            "utter_faq_family/who_can_come",
            "utter_faq_family/where_to_apply",
            "utter_faq_family/documents",
            "utter_faq_family/livelihood_housing",
            "utter_topic_family_reunification",
        ),
        ("meta_button_family_check", "family"),
    ),
    **dict.fromkeys(
        (
            "utter_faq_education/recognition_foreign_qualifications",
            "utter_faq_education/school_certificates",
            "utter_faq_education/vocational_training",
            "utter_faq_education/job_language_course",
            "utter_topic_education",
        ),
        ("meta_flow_education_button_start", "education"),
    ),
    **dict.fromkeys(
        (
            "utter_faq_housing/finding_flat",
            "utter_faq_housing/leave_shared_accommodation",
            "utter_faq_housing/jobcenter_rent",
        ),
        ("meta_flow_flat_search_offer", "flat_search"),
    ),
}
"""Answers that offer a guided flow as a button: "Work out my deadline", "Check my family reunification",
"My flat-search checklist"."""
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@dataclass(slots=True)
class Reply:
    """One message of the assistant, channel-neutral."""

    key: str
    text: str
    language: str
    topic: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    machine_translated: bool = False
    fallback_language: bool = False
    offered: list[str] = field(default_factory=list)
    """Topics offered as buttons when the assistant asks back ("Do you mean ...")."""

    def as_payload(self) -> dict[str, Any]:
        """JSON-safe form, as carried in Rasa's ``custom`` message and stored with the message."""
        payload: dict[str, Any] = {
            "key": self.key,
            "text": self.text,
            "language": self.language,
            "topic": self.topic,
            "buttons": self.buttons,
            "machine_translated": self.machine_translated,
            "fallback_language": self.fallback_language,
        }
        if self.offered:
            payload["offered"] = self.offered
        return payload

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Reply:
        return cls(
            key=str(data["key"]),
            text=str(data["text"]),
            language=str(data["language"]),
            topic=str(data.get("topic") or "other"),
            buttons=[
                {"title": str(b["title"]), "payload": str(b["payload"])} for b in data.get("buttons") or []
            ],
            machine_translated=bool(data.get("machine_translated")),
            fallback_language=bool(data.get("fallback_language")),
            offered=[str(t) for t in data.get("offered") or []],
        )


def _label(session: Session, key: str, language: str) -> str:
    resolved = resolve(session, key=key, language=language)
    return resolved.text if resolved else key


def machine_translation_note(session: Session, language: str) -> str:
    """The note under a machine-translated text, in the reader's language: "(machine translation)"."""
    return _label(session, "meta_machine_translated", language)


def with_machine_translation_note(session: Session, *, text: str, language: str) -> str:
    """``text`` followed by the machine-translation note (for channels that show plain text)."""
    return f"{text}\n\n{machine_translation_note(session, language)}"


def _topic_button(session: Session, topic: str, language: str) -> dict[str, str]:
    return {
        "title": _label(session, f"meta_topic_{topic}", language),
        "payload": "/choose_topic" + json.dumps({"topic": topic}, separators=(",", ":")),
    }


_PROFILE_BUTTONS = {
    "utter_flow_education_saved": (
        ("meta_flow_education_button_show", profile_payload("show")),
        ("meta_flow_education_button_delete", profile_payload("delete")),
    ),
    "utter_flow_education_profile_show": (
        ("meta_flow_education_button_change", start_payload("education")),
        ("meta_flow_education_button_delete", profile_payload("delete")),
    ),
}
"""The education profile's own buttons: show, change (start the questions again), delete."""


def _guided_button(session: Session, label_key: str, flow: str, language: str) -> dict[str, str]:
    return {"title": _label(session, label_key, language), "payload": start_payload(flow)}


def _buttons(session: Session, key: str, language: str, offered: Sequence[str]) -> list[dict[str, str]]:
    human = {"title": _label(session, "meta_button_human", language), "payload": "/request_human"}
    menu = {"title": _label(session, "meta_button_menu", language), "payload": "/help_menu"}
    if key == "utter_menu":
        deadline = _guided_button(session, *GUIDED_OFFERS["utter_faq_appeal/deadline"], language)
        more = {"title": _label(session, "meta_flow_menu_button", language), "payload": menu_payload()}
        return [*(_topic_button(session, topic, language) for topic in TOPICS), deadline, more, human]
    if key in _PROFILE_BUTTONS:
        return [
            {"title": _label(session, label, language), "payload": payload}
            for label, payload in _PROFILE_BUTTONS[key]
        ]
    if key in GUIDED_OFFERS:
        offer = _guided_button(session, *GUIDED_OFFERS[key], language)
        return [offer, menu] if key.startswith("utter_topic_") else [offer]
    if key == "utter_ask_back":
        something_else = {
            "title": _label(session, "meta_button_something_else", language),
            "payload": "/something_else",
        }
        return [*(_topic_button(session, topic, language) for topic in offered), something_else]
    if key == "utter_rephrase":
        return [human, menu]
    if key == "utter_choose_language":
        return [
            {
                "title": lang.native_name,
                "payload": "/choose_language" + json.dumps({"language": code}, separators=(",", ":")),
            }
            for code, lang in LANGUAGES.items()
        ]
    if key.startswith("utter_topic_") or key == "utter_default":
        return [menu]
    return []


def _footer(session: Session, resolved: ResolvedText, language: str, today: date) -> str:
    """Sources, the item's own "as of" date, a review notice when overdue, and the disclaimer."""
    sources = "; ".join(src.label() for src in resolved.sources)
    disclaimer_key = "meta_disclaimer_appeal" if resolved.topic == "asylum_appeal" else "meta_disclaimer"
    # Sources and the date are Latin-script runs; isolate them (FSI ... PDI) so that a
    # right-to-left answer does not reorder "2026-11-25" into "25-11-2026".
    lines = [f"{_label(session, 'meta_sources', language)}: \u2068{sources}\u2069"]
    if resolved.as_of is not None:
        lines.append(f"{_label(session, 'meta_as_of', language)}: \u2068{resolved.as_of.isoformat()}\u2069")
    if is_overdue(resolved.review_by, today):
        notice = resolve(session, key="meta_review_overdue", language=language)
        if notice is not None:
            lines.append(notice.text)
    lines += ["", _label(session, disclaimer_key, language)]
    return "\n".join(lines)


def fill(template: str, values: Mapping[str, str]) -> str:
    """Replace ``{name}`` placeholders with ``values``; anything else (unknown names, stray braces) stays.

    Deliberately not ``str.format``: texts are edited by admins, and format strings can reach
    attributes (``{x.__class__}``) or fail on a single brace.
    """
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _isolated(text: str) -> str:
    """A Latin-script run (a time) isolated (FSI ... PDI), so right-to-left text keeps it in order."""
    return f"\u2068{text}\u2069"


def _weekday(session: Session, language: str, weekday: int) -> str | None:
    names = [n.strip() for n in _label(session, "meta_weekdays", language).splitlines() if n.strip()]
    return names[weekday] if len(names) == 7 else None


def office_notice(session: Session, *, language: str, office: OfficeHours, now: datetime) -> str | None:
    """The office hours notice in ``language``: open until when, or closed and opening again when.

    None if the store has no notice texts yet (not seeded since they were added).
    """
    status = office_status(office, now)
    key = "meta_office_open" if status.is_open else "meta_office_closed"
    template = resolve(session, key=key, language=language)
    if template is None:
        return None
    if status.is_open and status.closes_at is not None:
        return fill(template.text, {"until": _isolated(status.closes_at.strftime("%H:%M"))})
    opening = status.next_opening
    day = _weekday(session, language, opening.weekday()) or opening.date().isoformat()
    return fill(template.text, {"day": day, "time": _isolated(opening.strftime("%H:%M"))})


def render(
    session: Session,
    *,
    key: str,
    language: str,
    office: OfficeHours | None = None,
    now: datetime | None = None,
    offered: Sequence[str] = (),
    today: date | None = None,
    values: Mapping[str, str] | None = None,
    draft: str | None = None,
) -> Reply:
    """The reply for ``key`` in ``language``; an unknown key yields the generic fallback text.

    With ``office`` (the office hours), handover replies end with when a caseworker will answer,
    computed for ``now`` (default: the current time). ``offered`` are the topics an ask-back
    (``utter_ask_back``) offers as buttons; unknown topics are left out. A factual answer whose
    item is past its ``review_by`` date on ``today`` (default: the date of ``now``) says so and
    asks the person to confirm it with counselling. ``values`` fill the text's ``{name}``
    placeholders (dates of a guided flow); unknown placeholders stay as they are.

    ``draft`` (the admin console's live preview) renders that text as if it were the reviewed text of
    ``key`` in ``language``, with everything else as the person would get it; nothing is stored.
    """
    offered = [t for t in dict.fromkeys(offered) if t in ANSWER_TOPICS] if key == "utter_ask_back" else []
    resolved = resolve(session, key=key, language=language)
    if draft is not None:
        if resolved is None:
            raise LookupError(f"unknown content key {key!r}")
        resolved = dataclasses.replace(
            resolved,
            text=draft.strip(),
            language=language,
            machine_translated=False,
            reviewed=True,
            fallback=False,
        )
    if resolved is None:
        resolved = resolve(session, key="utter_default", language=language)
        if resolved is None:
            raise LookupError("content store is empty: run `lotse content seed`")
    text = fill(resolved.text, values) if values else resolved.text
    if resolved.kind == ContentKind.FAQ:
        day = today or (now or datetime.now(UTC)).date()
        text = f"{text}\n\n{_footer(session, resolved, language, day)}"
    if office is not None and resolved.key in OFFICE_NOTICE_KEYS:
        notice = office_notice(
            session, language=resolved.language, office=office, now=now or datetime.now(UTC)
        )
        text = f"{text}\n\n{notice}" if notice else text
    return Reply(
        key=resolved.key,
        text=text,
        language=resolved.language,
        topic=resolved.topic if resolved.kind == ContentKind.FAQ else "other",
        buttons=_buttons(session, resolved.key, language, offered),
        machine_translated=resolved.machine_translated,
        fallback_language=resolved.fallback,
        offered=list(offered),
    )
