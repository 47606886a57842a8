"""The education profile: consent first, then short questions (every one can be skipped) about school,
training or degree, work experience, German and the goal -> next steps chosen by the answers
(recognition, ZAB, school certificates in Thuringia, job-related German courses, career counselling).

With consent the answers are stored as an :class:`~bot.profiles.models.EducationProfile` (one per
conversation); without consent nothing is stored and the person still gets the next steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from bot.conversations.models import Conversation
from bot.guided.steps import Finished, Step, Text
from bot.profiles.service import COLUMNS, save_profile

NAME = "education"
CATEGORIES = ("health", "technical", "it", "business", "social", "agriculture", "other")
"""Field of training/degree and of work experience (``meta_flow_education_cat_*``)."""
CHOICES: dict[str, tuple[str, ...]] = {
    "consent": ("yes", "no"),
    "school_years": ("0", "1_6", "7_9", "10_12", "13_plus"),
    "certificate": ("none", "primary", "lower_secondary", "secondary", "other"),
    "field": (*CATEGORIES, "none"),
    "level": ("vocational", "bachelor", "master"),
    "finished": ("yes", "no"),
    "documents": ("yes", "some", "no"),
    "occupation": (*CATEGORIES, "none"),
    "work_years": ("0", "lt2", "2_5", "gt5"),
    "german": ("none", "a1", "a2", "b1", "b2", "c1", "c2"),
    "german_certificate": ("yes", "no"),
    "goal": ("school", "training", "university", "work", "language_course"),
}
FREE_TEXT = ("certificate_country", "other_languages")
ORDER = ("consent", *COLUMNS)
"""The steps in the order they are asked: consent first, then one step per profile column."""


def label_key(step: str, value: str) -> str:
    """The content key of the button label of ``value`` in ``step``."""
    if value in ("yes", "no") and step in ("finished", "german_certificate"):
        return f"meta_flow_education_{value}"
    if step in ("field", "occupation"):
        return f"meta_flow_education_cat_{value}"
    if step == "documents":
        return f"meta_flow_education_docs_{value}"
    return f"meta_flow_education_{step}_{value}"


def _step(name: str) -> Step:
    question = f"utter_flow_education_ask_{name}"
    if name in FREE_TEXT:
        return Step(name, question, free_text=True, optional=True)
    choices = tuple((v, label_key(name, v)) for v in CHOICES[name])
    return Step(name, question, choices, optional=name != "consent")


GERMAN_LABELS: dict[str, dict[str, str]] = {
    "school_years": {"0": "0", "1_6": "1–6", "7_9": "7–9", "10_12": "10–12", "13_plus": "13 oder mehr"},
    "certificate": {
        "none": "keiner",
        "primary": "Grundschulabschluss",
        "lower_secondary": "Abschluss der Sekundarstufe I",
        "secondary": "Sekundarschulabschluss / Hochschulreife",
        "other": "anderer",
    },
    "field": {
        "health": "Gesundheit/Pflege",
        "technical": "Technik/Ingenieurwesen/Handwerk",
        "it": "IT",
        "business": "Wirtschaft/Verwaltung",
        "social": "Erziehung/Soziales",
        "agriculture": "Landwirtschaft/Lebensmittel",
        "other": "anderes",
        "none": "keine",
    },
    "level": {"vocational": "Berufsausbildung", "bachelor": "Bachelor", "master": "Master oder höher"},
    "finished": {"yes": "ja", "no": "nein"},
    "documents": {"yes": "ja", "some": "teilweise", "no": "nein"},
    "work_years": {"0": "0", "lt2": "unter 2", "2_5": "2–5", "gt5": "über 5"},
    "german": {"none": "keine", "a1": "A1", "a2": "A2", "b1": "B1", "b2": "B2", "c1": "C1", "c2": "C2"},
    "german_certificate": {"yes": "ja", "no": "nein"},
    "goal": {
        "school": "Schule",
        "training": "Berufsausbildung",
        "university": "Studium",
        "work": "Arbeit",
        "language_course": "Sprachkurs",
    },
}
GERMAN_LABELS["occupation"] = GERMAN_LABELS["field"]
GERMAN_FIELDS = {
    "school_years": "Schuljahre",
    "certificate": "Höchster Schulabschluss",
    "certificate_country": "Land des Schulabschlusses",
    "field": "Ausbildung/Studium: Fachrichtung",
    "level": "Ausbildung/Studium: Niveau",
    "finished": "Ausbildung/Studium: abgeschlossen",
    "documents": "Ausbildung/Studium: Nachweise vorhanden",
    "occupation": "Berufserfahrung: Bereich",
    "work_years": "Berufserfahrung: Jahre",
    "german": "Deutschniveau",
    "german_certificate": "Deutsch-Zertifikat",
    "other_languages": "Weitere Sprachen",
    "goal": "Ziel",
}


def german_value(name: str, value: str) -> str:
    """An answer as the caseworker reads it (free text as typed)."""
    return GERMAN_LABELS.get(name, {}).get(value, value)


def german_lines(answers: Mapping[str, str | None]) -> list[tuple[str, str]]:
    """(German field name, German value) for every answered question, in the order asked."""
    return [
        (GERMAN_FIELDS[name], german_value(name, str(answers[name]))) for name in COLUMNS if answers.get(name)
    ]


NEXT_STEPS = ("recognition", "zab", "school", "language", "training")


def next_steps(answers: Mapping[str, str]) -> list[str]:
    """The next-step items that fit the answers (all of the usual ones when nothing is known)."""
    field_, level = answers.get("field", ""), answers.get("level", "")
    certificate, german, goal = (
        answers.get("certificate", ""),
        answers.get("german", ""),
        answers.get("goal", ""),
    )
    chosen = []
    if field_ not in ("", "none") or answers.get("occupation", "") not in ("", "none"):
        chosen.append("recognition")
    if field_ != "none" and level in ("bachelor", "master"):
        chosen.append("zab")
    if certificate not in ("", "none") or goal in ("school", "training"):
        chosen.append("school")
    if german != "c2" and goal != "university":
        chosen.append("language")
    if goal in ("", "training", "work", "school", "university"):
        chosen.append("training")
    return chosen or ["recognition", "language", "training"]


class EducationFlow:
    name = NAME
    topic = "education"
    starter = "utter_faq_education/profile"
    steps: Mapping[str, Step] = {name: _step(name) for name in ORDER}

    def next_step(self, answers: Mapping[str, str]) -> str | None:
        if answers.get("consent") == "no":
            return None
        for name in ORDER:
            if name in answers:
                continue
            if name in ("level", "finished", "documents") and answers.get("field") in ("", "none"):
                continue  # no training or degree: nothing to ask about it
            if name == "work_years" and answers.get("occupation") in ("", "none"):
                continue
            if name == "german_certificate" and answers.get("german") in ("", "none"):
                continue
            return name
        return None

    def finish(self, answers: Mapping[str, str], today: date) -> Finished:
        steps = (
            next_steps(answers)
            if answers.get("consent") == "yes"
            else ["recognition", "language", "training"]
        )
        items = [Text(f"utter_flow_education_next_{s}") for s in steps]
        if answers.get("consent") != "yes":
            return Finished(
                [Text("utter_flow_education_not_saved"), *items], {"consent": "no", "next": steps}
            )
        stored = {name: answers[name] for name in COLUMNS if answers.get(name)}

        def apply(session: Session, conversation: Conversation) -> None:
            save_profile(session, conversation_id=conversation.id, answers=stored)

        return Finished(
            [Text("utter_flow_education_saved"), *items], {"consent": "yes", "next": steps}, apply=apply
        )

    def case_lines(self, answers: Mapping[str, str], result: Mapping[str, Any]) -> list[str]:
        if answers.get("consent") == "no":
            return ["keine Einwilligung: nichts gespeichert"]
        return [f"{name}: {value}" for name, value in german_lines(answers)]
