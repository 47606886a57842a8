"""\"I need an interpreter for an appointment\": language (and dialect where it matters), the kind of
appointment, date/time wishes, in person or by phone/video -> an interpreter request for the
caseworkers (:mod:`bot.interpreters`) and a confirmation to the person.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from bot.conversations.models import Conversation
from bot.guided.steps import Finished, Step, Text
from bot.interpreters.models import APPOINTMENTS, DIALECTS, LANGUAGES, MODES, OTHER
from bot.interpreters.service import create_request

NAME = "interpreter"

LANGUAGES_DE = {
    "en": "Englisch",
    "ar": "Arabisch",
    "fa": "Persisch",
    "uk": "Ukrainisch",
    "ru": "Russisch",
    "tr": "Türkisch",
    "fr": "Französisch",
    "ps": "Paschtu",
    "ti": "Tigrinya",
    "so": "Somali",
    "ku": "Kurdisch",
}
DIALECTS_DE = {
    "levantine": "levantinisch",
    "iraqi": "irakisch",
    "egyptian": "ägyptisch",
    "gulf": "Golf-Arabisch",
    "maghrebi": "maghrebinisch",
    "farsi": "Farsi",
    "dari": "Dari",
    "kurmanji": "Kurmandschi",
    "sorani": "Sorani",
    OTHER: "anderer Dialekt",
}
APPOINTMENTS_DE = {
    "authority": "Ausländerbehörde",
    "jobcenter": "Jobcenter/Sozialamt",
    "doctor": "Arzt/Krankenhaus",
    "school": "Schule/Kita",
    "court": "Gericht/Anwalt",
    OTHER: "anderer Termin",
}
MODES_DE = {"in_person": "vor Ort", "phone": "Telefon", "video": "Video"}


def _dialect_step(language: str) -> str:
    return f"dialect_{language}"


class InterpreterFlow:
    name = NAME
    topic = "other"
    starter = "utter_faq_procedure/interpreter_request"
    steps: Mapping[str, Step] = {
        "language": Step.choice(
            "language",
            "utter_flow_interpreter_ask_language",
            (*LANGUAGES, OTHER),
            "meta_flow_interpreter_lang_",
        ),
        "language_other": Step("language_other", "utter_flow_interpreter_ask_language_other", free_text=True),
        **{
            _dialect_step(lang): Step.choice(
                _dialect_step(lang),
                "utter_flow_interpreter_ask_dialect",
                dialects,
                "meta_flow_interpreter_dialect_",
            )
            for lang, dialects in DIALECTS.items()
        },
        "appointment": Step.choice(
            "appointment",
            "utter_flow_interpreter_ask_appointment",
            APPOINTMENTS,
            "meta_flow_interpreter_appt_",
        ),
        "wishes": Step("wishes", "utter_flow_interpreter_ask_wishes", free_text=True),
        "mode": Step.choice("mode", "utter_flow_interpreter_ask_mode", MODES, "meta_flow_interpreter_mode_"),
    }

    def next_step(self, answers: Mapping[str, str]) -> str | None:
        language = answers.get("language")
        if language is None:
            return "language"
        if language == OTHER and "language_other" not in answers:
            return "language_other"
        if language in DIALECTS and _dialect_step(language) not in answers:
            return _dialect_step(language)
        for name in ("appointment", "wishes", "mode"):
            if name not in answers:
                return name
        return None

    def finish(self, answers: Mapping[str, str], today: date) -> Finished:
        language = answers["language"]
        fields = {
            "language": answers.get("language_other", "") if language == OTHER else language,
            "dialect": answers.get(_dialect_step(language), ""),
            "appointment_type": answers["appointment"],
            "wishes": answers["wishes"],
            "mode": answers["mode"],
        }

        def apply(session: Session, conversation: Conversation) -> None:
            create_request(session, conversation_id=conversation.id, **fields)

        result = {k: v for k, v in fields.items() if k != "wishes"}
        return Finished([Text("utter_flow_interpreter_done")], result, apply=apply)

    def case_lines(self, answers: Mapping[str, str], result: Mapping[str, Any]) -> list[str]:
        return describe(
            language=answers.get("language_other") or answers.get("language", ""),
            dialect=next((v for k, v in answers.items() if k.startswith("dialect_")), ""),
            appointment_type=answers.get("appointment", ""),
            wishes=answers.get("wishes", ""),
            mode=answers.get("mode", ""),
        )


def describe(*, language: str, dialect: str, appointment_type: str, wishes: str, mode: str) -> list[str]:
    """German lines for caseworkers (case summary, inbox)."""
    lines = []
    if language:
        name = LANGUAGES_DE.get(language, language)
        lines.append(
            f"Dolmetscher/in für: {name}" + (f" ({DIALECTS_DE.get(dialect, dialect)})" if dialect else "")
        )
    if appointment_type:
        lines.append(f"Termin: {APPOINTMENTS_DE.get(appointment_type, appointment_type)}")
    if wishes:
        lines.append(f"Wunschtermin: {wishes}")
    if mode:
        lines.append(f"Form: {MODES_DE.get(mode, mode)}")
    return lines
