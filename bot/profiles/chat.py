"""What the person sees of their profile: "show my profile" (with "change" and "delete") and
"delete my profile" (withdrawn consent). Reached by button payloads and by the words of
``meta_flow_education_show_words`` / ``meta_flow_education_delete_words``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.content.render import Reply, render
from bot.guided.education import label_key
from bot.guided.texts import label, lines, normalise, phrases
from bot.profiles.service import delete_profile, find_profile, profile_answers

SHOW = "show"
DELETE = "delete"
ACTIONS = (SHOW, DELETE)
FIELDS_KEY = "meta_flow_education_profile_fields"
"""One line per stored question, in the order of ``bot.profiles.service.COLUMNS``."""


def show(session: Session, conversation_id: int, language: str) -> list[Reply]:
    profile = find_profile(session, conversation_id)
    if profile is None:
        return [render(session, key="utter_flow_education_profile_none", language=language)]
    from bot.profiles.service import COLUMNS

    names = lines(session, FIELDS_KEY, language)
    answers = profile_answers(profile)
    rows = []
    for index, column in enumerate(COLUMNS):
        value = answers.get(column)
        if not value:
            continue
        name = names[index] if len(names) == len(COLUMNS) else column
        shown = (
            value
            if column in ("certificate_country", "other_languages")
            else label(session, label_key(column, value), language)
        )
        rows.append(f"• {name}: {shown}")
    reply = render(
        session,
        key="utter_flow_education_profile_show",
        language=language,
        values={"profile": "\n".join(rows) or "–"},
    )
    reply.topic = "education"
    return [reply]


def delete(session: Session, conversation_id: int, language: str) -> list[Reply]:
    gone = delete_profile(session, conversation_id)
    key = "utter_flow_education_profile_deleted" if gone else "utter_flow_education_profile_none"
    return [render(session, key=key, language=language)]


def action(session: Session, conversation_id: int, language: str, name: str) -> list[Reply]:
    return (
        delete(session, conversation_id, language)
        if name == DELETE
        else show(session, conversation_id, language)
    )


def asked(session: Session, text: str, language: str) -> str | None:
    """Whether a message asks to show or delete the profile (the whole message is one of the phrases)."""
    if len(text) > 60 or text.startswith("/"):
        return None
    languages = tuple(dict.fromkeys((language, "en", "de")))
    norm = normalise(text)
    if norm in phrases(session, "meta_flow_education_delete_words", languages):
        return DELETE
    if norm in phrases(session, "meta_flow_education_show_words", languages):
        return SHOW
    return None
