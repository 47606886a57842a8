"""Running the guided flows inside the pipeline's transaction for one incoming message.

:func:`handle` is asked first for every message of a conversation (after the crisis check): a
flow button, an answer to the active flow's question, "stop", or "stop reminders" are answered
here without Rasa; anything else returns None and goes to Rasa as usual (an active flow is left
when the person clearly asks something else). :func:`start_from_reply` starts a flow when Rasa
answered with a flow's starter text (the person asked in free text, "when is my deadline").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.content.render import Reply, fill, render
from bot.conversations.models import Conversation, ConversationState
from bot.guided import reminders
from bot.guided.appeal import AppealFlow
from bot.guided.counselling import CounsellingFlow
from bot.guided.date_parser import AmbiguousDate, ParsedDate, parse_date
from bot.guided.dates import local_today
from bot.guided.education import EducationFlow
from bot.guided.family import FamilyFlow
from bot.guided.flat_search import FlatHelpFlow, FlatSearchFlow
from bot.guided.interpreter import InterpreterFlow
from bot.guided.models import DONE, STOPPED, GuidedFlow
from bot.guided.payloads import (
    MENU,
    PROFILE,
    REMINDERS,
    START,
    STOP,
    FlowPayload,
    flow_payload,
    parse_payload,
    start_payload,
)
from bot.guided.steps import CHOOSE_REMINDER, FREE_TEXT_LIMIT, SKIP, Finished, Flow, ReminderPlan, Step, Text
from bot.guided.texts import format_date, label, normalise, phrases, says
from bot.handover.models import Handover, HandoverStatus
from bot.handover.service import create_handover
from bot.language.languages import LANGUAGES
from bot.profiles import chat as profile_chat
from bot.profiles.service import find_profile

FLOWS: Mapping[str, Flow] = {
    "appeal": AppealFlow(),
    "family": FamilyFlow(),
    "education": EducationFlow(),
    "flat_search": FlatSearchFlow(),
    "flat_help": FlatHelpFlow(),
    "interpreter": InterpreterFlow(),
    "counselling": CounsellingFlow(),
}
STARTERS = {flow.starter: name for name, flow in FLOWS.items()}
"""Content keys (Rasa retrieval answers) that start a flow when Rasa answers with them."""
FLOW_BUTTONS = {
    "appeal": "meta_button_work_out_date",
    "family": "meta_button_family_check",
    "education": "meta_flow_education_button_start",
    "flat_search": "meta_flow_flat_search_offer",
    "flat_help": "meta_flow_flat_search_need_help",
}
"""Label of each flow's start button in the list of guided flows (default ``meta_flow_<name>_button``)."""
GUIDED_INTENT = "guided_flow"
"""Stored as the intent of a message the flow engine answered."""
MAX_MISSES = 2
_QUESTION_WORDS = 5


@dataclass(frozen=True, slots=True)
class Context:
    session: Session
    conversation: Conversation
    language: str
    settings: Settings
    now: datetime

    @property
    def today(self) -> date:
        return self.settings.guided_today or local_today(self.settings.office_timezone, self.now)


# ---------------------------------------------------------------------------------------- rendering


def _rendered(ctx: Context, text: Text, topic: str) -> Reply:
    s, lang = ctx.session, ctx.language
    values: dict[str, str] = dict(text.values)
    values |= {name: format_date(s, day, lang) for name, day in text.dates.items()}
    values |= {name: fill(label(s, key, lang), values) for name, key in text.labels.items()}
    values |= {
        name: "\n\n".join(fill(label(s, key, lang), values) for key in keys)
        for name, keys in text.parts.items()
    }
    reply = render(s, key=text.key, language=lang, values=values, office=ctx.settings.office, now=ctx.now)
    reply.topic = topic
    reply.buttons = [*reply.buttons, *(_button(ctx, k, payload) for k, payload in text.buttons)]
    return reply


def _button(ctx: Context, key: str, payload: str) -> dict[str, str]:
    return {"title": label(ctx.session, key, ctx.language), "payload": payload}


def _question(ctx: Context, flow: Flow, step: Step, *, key: str | None = None) -> Reply:
    reply = render(ctx.session, key=key or step.question, language=ctx.language)
    reply.topic = flow.topic
    if step.date:
        choices: tuple[tuple[str, str], ...] = (
            ("today", "meta_flow_today"),
            ("yesterday", "meta_flow_yesterday"),
        )
    else:
        choices = step.choices
    if step.optional:
        choices = (*choices, (SKIP, "meta_button_skip"))
    reply.buttons = [_button(ctx, k, flow_payload(flow.name, step.name, v)) for v, k in choices]
    reply.buttons.append(_button(ctx, "meta_button_stop", flow_payload(flow.name, step.name, STOP)))
    return reply


def _ask_date_again(ctx: Context, flow: Flow, step: Step, key: str) -> Reply:
    return _question(ctx, flow, step, key=key)


def _ambiguous(ctx: Context, flow: Flow, step: Step, options: tuple[date, ...]) -> Reply:
    reply = render(ctx.session, key="utter_flow_date_ambiguous", language=ctx.language)
    reply.topic = flow.topic
    reply.buttons = [
        {
            "title": format_date(ctx.session, d, ctx.language),
            "payload": flow_payload(flow.name, step.name, d.isoformat()),
        }
        for d in options
    ]
    reply.buttons.append(_button(ctx, "meta_button_stop", flow_payload(flow.name, step.name, STOP)))
    return reply


def _plain(ctx: Context, key: str, values: Mapping[str, str] | None = None) -> Reply:
    return render(ctx.session, key=key, language=ctx.language, values=values)


# ---------------------------------------------------------------------------------------- state


def _state(ctx: Context, flow: str | None = None) -> GuidedFlow | None:
    """The active flow of the conversation (of ``flow`` if given)."""
    query = select(GuidedFlow).where(
        GuidedFlow.conversation_id == ctx.conversation.id, GuidedFlow.step.not_in((DONE, STOPPED))
    )
    if flow is not None:
        query = query.where(GuidedFlow.flow == flow)
    return ctx.session.scalars(query.order_by(GuidedFlow.updated_at.desc())).first()


def _prefilled(ctx: Context, flow: Flow, text: str | None) -> dict[str, str]:
    """Answers a flow knows before asking (its optional ``prefill`` hook: the starting message, the
    conversation's earlier answers)."""
    hook = getattr(flow, "prefill", None)
    return dict(hook(ctx.session, ctx.conversation, text)) if hook is not None else {}


def start(ctx: Context, name: str, *, intro: bool = True, text: str | None = None) -> list[Reply]:
    """Start ``name`` afresh (ending any other active flow): the intro, then the first question
    (or at once the result, when the starting message ``text`` already answered everything)."""
    flow = FLOWS[name]
    for other in ctx.session.scalars(
        select(GuidedFlow).where(
            GuidedFlow.conversation_id == ctx.conversation.id, GuidedFlow.step.not_in((DONE, STOPPED))
        )
    ):
        other.step = STOPPED
    row = ctx.session.scalar(
        select(GuidedFlow).where(GuidedFlow.conversation_id == ctx.conversation.id, GuidedFlow.flow == name)
    )
    answers = _prefilled(ctx, flow, text)
    first = flow.next_step(answers)
    if row is None:
        row = GuidedFlow(
            conversation_id=ctx.conversation.id, flow=name, step=first or DONE, answers=answers, result={}
        )
        ctx.session.add(row)
    else:
        row.step, row.answers, row.result, row.misses, row.started_at = first or DONE, answers, {}, 0, ctx.now
    replies = [render(ctx.session, key=flow.starter, language=ctx.language, now=ctx.now)] if intro else []
    if ctx.language in LANGUAGES and not LANGUAGES[ctx.language].required:
        # best-effort languages: the flow's texts are English (fallback); say so, in the language
        replies.insert(0, _plain(ctx, "meta_guided_english_note"))
    if first is None:
        return [*replies, *_finish(ctx, flow, row, flow.finish(answers, ctx.today))]
    return [*replies, _question(ctx, flow, flow.steps[first])]


def _stop(ctx: Context, row: GuidedFlow) -> list[Reply]:
    row.step, row.answers, row.result = STOPPED, {}, {}
    return [_plain(ctx, "utter_flow_stopped")]


def _stop_reminders(ctx: Context) -> list[Reply]:
    count = reminders.cancel(ctx.session, conversation_id=ctx.conversation.id)
    if count == 0:
        return [_plain(ctx, "utter_reminders_none")]
    return [_plain(ctx, "utter_reminders_stopped", {"count": str(count)})]


# ---------------------------------------------------------------------------------------- answers


def _advance(ctx: Context, flow: Flow, row: GuidedFlow) -> list[Reply]:
    row.misses = 0
    following = flow.next_step(row.answers)
    if following is not None:
        row.step = following
        return [_question(ctx, flow, flow.steps[following])]
    finished = flow.finish(row.answers, ctx.today)
    return _finish(ctx, flow, row, finished)


def _finish(ctx: Context, flow: Flow, row: GuidedFlow, finished: Finished) -> list[Reply]:
    row.result = finished.result
    if finished.apply is not None:
        finished.apply(ctx.session, ctx.conversation)
    if finished.handover is not None:
        create_handover(
            ctx.session,
            conversation=ctx.conversation,
            reason=finished.handover,
            topic=finished.handover_topic or flow.topic,
            facts={"guided": {flow.name: {"answers": dict(row.answers), "result": finished.result}}},
        )
    replies = [_rendered(ctx, text, flow.topic) for text in finished.texts]
    plan = finished.reminders
    if plan is not None and reminders.plan_days(plan, settings=ctx.settings, now=ctx.now):
        row.step = CHOOSE_REMINDER
        row.result = {**finished.result, "reminder": _plan_data(plan)}
        offer = render(ctx.session, key=f"utter_flow_{flow.name}_reminder_offer", language=ctx.language)
        offer.topic = flow.topic
        offer.buttons = [
            _button(ctx, "meta_flow_reminder_yes", flow_payload(flow.name, CHOOSE_REMINDER, "yes")),
            _button(ctx, "meta_flow_reminder_no", flow_payload(flow.name, CHOOSE_REMINDER, "no")),
        ]
        replies.append(offer)
    else:
        row.step = DONE
    return replies


def _plan_data(plan: ReminderPlan) -> dict[str, Any]:
    return {"key": plan.key, "deadline": plan.deadline.isoformat(), "offsets": list(plan.offsets_days)}


def _reminder_choice(ctx: Context, flow: Flow, row: GuidedFlow, value: str) -> list[Reply]:
    data = row.result.get("reminder") or {}
    row.step = DONE
    if value != "yes" or not data:
        return [_plain(ctx, "utter_reminder_declined")]
    plan = ReminderPlan(str(data["key"]), date.fromisoformat(str(data["deadline"])), tuple(data["offsets"]))
    days = reminders.schedule(
        ctx.session,
        conversation=ctx.conversation,
        flow=flow.name,
        plan=plan,
        language=ctx.language,
        settings=ctx.settings,
        now=ctx.now,
    )
    if not days:
        return [_plain(ctx, "utter_reminder_declined")]
    dates = "\n".join(f"• {format_date(ctx.session, d, ctx.language)}" for d in days)
    return [_plain(ctx, "utter_reminder_set", {"dates": dates})]


def _date_value(ctx: Context, value: str) -> date | None:
    if value == "today":
        return ctx.today
    if value == "yesterday":
        return ctx.today - timedelta(days=1)
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def guided_menu(ctx: Context) -> Reply:
    """Every guided flow as a button ("step-by-step help"), then the main menu."""
    reply = _plain(ctx, "utter_flow_menu")
    reply.buttons = [
        _button(ctx, FLOW_BUTTONS.get(name, f"meta_flow_{name}_button"), start_payload(name))
        for name in FLOWS
    ]
    reply.buttons.append(_button(ctx, "meta_button_menu", "/help_menu"))
    return reply


def _on_button(ctx: Context, payload: FlowPayload) -> list[Reply]:
    if payload.flow == REMINDERS:
        return _stop_reminders(ctx)
    if payload.flow == MENU:
        return [guided_menu(ctx)]
    if payload.flow == PROFILE:
        return profile_chat.action(ctx.session, ctx.conversation.id, ctx.language, payload.step)
    flow = FLOWS[payload.flow]
    if payload.step == START:
        return start(ctx, flow.name, intro=True)
    row = _state(ctx, flow.name)
    if row is None or row.step != payload.step:
        # a button of an earlier question or of a finished flow: ask the current question again,
        # or offer to start again
        if row is not None and row.step in flow.steps:
            return [_question(ctx, flow, flow.steps[row.step])]
        return start(ctx, flow.name, intro=False)
    if payload.value == STOP:
        return _stop(ctx, row)
    if row.step == CHOOSE_REMINDER:
        return _reminder_choice(ctx, flow, row, payload.value)
    step = flow.steps[row.step]
    if step.date:
        day = _date_value(ctx, payload.value)
        if day is None or day > ctx.today:
            return [_ask_date_again(ctx, flow, step, "utter_flow_date_again")]
        row.answers = {**row.answers, step.name: day.isoformat()}
        return _advance(ctx, flow, row)
    if step.optional and payload.value == SKIP:
        row.answers = {**row.answers, step.name: ""}
        return _advance(ctx, flow, row)
    if step.free_text:  # a value the channel made (a shared location), kept like typed text
        row.answers = {**row.answers, step.name: payload.value}
        return _advance(ctx, flow, row)
    if payload.value not in {v for v, _ in step.choices}:
        return [_question(ctx, flow, step, key="utter_flow_choose")]
    row.answers = {**row.answers, step.name: payload.value}
    return _advance(ctx, flow, row)


def _choice_from_text(ctx: Context, step: Step, text: str) -> str | None:
    """The option a typed answer names: its number or its label (person's language, English, German)."""
    norm = normalise(text)
    options = list(step.choices)
    if norm.isdigit() and 1 <= int(norm) <= len(options):
        return options[int(norm) - 1][0]
    found: set[str] = set()
    exact: set[str] = set()  # an exact label wins over labels it contains ("10–12" over "0")
    for language in dict.fromkeys((ctx.language, "en", "de")):
        for value, key in options:
            title = normalise(label(ctx.session, key, language))
            if norm == title:
                exact.add(value)
            if norm == title or (len(norm) >= 4 and (norm in title or title in norm)):
                found.add(value)
    if len(exact) == 1:
        return exact.pop()
    return found.pop() if len(found) == 1 else None


def _looks_like_a_question(text: str) -> bool:
    return "?" in text or "؟" in text or len(text.split()) >= _QUESTION_WORDS


def _on_text(ctx: Context, flow: Flow, row: GuidedFlow, text: str) -> list[Reply] | None:
    if row.step == CHOOSE_REMINDER:
        choice = _choice_from_text(
            ctx,
            Step(CHOOSE_REMINDER, "", (("yes", "meta_flow_reminder_yes"), ("no", "meta_flow_reminder_no"))),
            text,
        )
        if choice is not None:
            return _reminder_choice(ctx, flow, row, choice)
        row.step = DONE  # the offer was not taken up; the message is a new question
        return None
    step = flow.steps[row.step]
    if step.free_text:
        row.answers = {**row.answers, step.name: text.strip()[:FREE_TEXT_LIMIT]}
        return _advance(ctx, flow, row)
    if step.date:
        parsed = parse_date(text, ctx.language, today=ctx.today)
        if isinstance(parsed, ParsedDate):
            if parsed.future:
                return [_ask_date_again(ctx, flow, step, "utter_flow_date_future")]
            row.answers = {**row.answers, step.name: parsed.value.isoformat()}
            return _advance(ctx, flow, row)
        if isinstance(parsed, AmbiguousDate):
            return [_ambiguous(ctx, flow, step, parsed.options)]
        miss_key = "utter_flow_date_again"
    else:
        value = _choice_from_text(ctx, step, text)
        if value is not None:
            row.answers = {**row.answers, step.name: value}
            return _advance(ctx, flow, row)
        miss_key = "utter_flow_choose"
    row.misses += 1
    if row.misses >= MAX_MISSES or _looks_like_a_question(text):
        row.step, row.answers = STOPPED, {}  # the person asks something else: Rasa answers it
        return None
    return [_question(ctx, flow, step, key=miss_key)]


def _started_in_handover(ctx: Context, row: GuidedFlow | None) -> bool:
    """Whether the active flow was started (by its button) after the open case began."""
    if row is None:
        return False
    opened = ctx.session.scalar(
        select(Handover.created_at)
        .where(Handover.conversation_id == ctx.conversation.id, Handover.status != HandoverStatus.CLOSED)
        .order_by(Handover.id.desc())
    )
    return opened is not None and row.started_at >= opened


def handle(ctx: Context, text: str) -> list[Reply] | None:
    """Answer ``text`` within the guided flows, or None when it is not for them."""
    payload = parse_payload(text)
    if payload is not None:
        return _on_button(ctx, payload)
    row = _state(ctx)
    if ctx.conversation.state == ConversationState.HANDOVER and not _started_in_handover(ctx, row):
        return None  # typed messages during a case are for the caseworker, unless a flow was started since
    if find_profile(ctx.session, ctx.conversation.id) is not None:
        # "show my profile" / "delete my profile" (only asked when there is a profile)
        action = profile_chat.asked(ctx.session, text, ctx.language)
        if action is not None:
            return profile_chat.action(ctx.session, ctx.conversation.id, ctx.language, action)
    pending = reminders.pending_count(ctx.session, ctx.conversation.id)
    if row is None and not pending:
        return None  # the common case: two indexed lookups, nothing else
    languages = tuple(dict.fromkeys((ctx.language, "en", "de")))
    stop_flow = phrases(ctx.session, "meta_flow_stop_words", languages)
    # "stop reminders" must be said as a whole; a bare "stop" ends the questions, never the reminders
    stop_reminders = phrases(ctx.session, "meta_reminder_stop_words", languages) - stop_flow
    if pending and normalise(text) in stop_reminders:
        return _stop_reminders(ctx)
    if row is None:
        return None
    if text.startswith("/"):
        row.step, row.answers = STOPPED, {}  # another button (menu, a topic, a person): the flow is left
        return None
    if says(text, stop_flow):
        return _stop(ctx, row)
    return _on_text(ctx, FLOWS[row.flow], row, text)


def start_from_reply(ctx: Context, replies: list[Reply], text: str | None = None) -> list[Reply]:
    """Rasa answered with a flow's starter text: keep it as the intro and ask the first question.

    ``text`` (the person's message) may already answer it ("counselling in Gotha?")."""
    starter = next((r for r in replies if r.key in STARTERS), None)
    if starter is None:
        return replies
    questions = start(ctx, STARTERS[starter.key], intro=False, text=text)
    index = replies.index(starter)
    return [*replies[: index + 1], *questions, *replies[index + 1 :]]


def case_lines(session: Session, conversation_id: int) -> list[str]:
    """What the person answered in guided flows (German, for the case summary), newest flow first."""
    rows = session.scalars(
        select(GuidedFlow)
        .where(GuidedFlow.conversation_id == conversation_id, GuidedFlow.step != STOPPED)
        .order_by(GuidedFlow.updated_at.desc())
    ).all()
    out = []
    titles = {
        "appeal": "Fristrechner Klage",
        "family": "Familiennachzug-Check",
        "education": "Bildungsprofil",
        "flat_search": "Wohnungssuche-Checkliste",
        "flat_help": "Hilfe bei der Wohnungssuche",
        "interpreter": "Dolmetscheranfrage",
        "counselling": "Beratung in der Nähe",
    }
    for row in rows:
        flow = FLOWS.get(row.flow)
        if flow is None or not row.answers:
            continue
        state = "abgeschlossen" if row.step in (DONE, CHOOSE_REMINDER) else "nicht beendet"
        details = "; ".join(flow.case_lines(row.answers, row.result))
        out.append(f"{titles.get(row.flow, row.flow)} ({state}): {details}")
    return out


def now_utc() -> datetime:
    return datetime.now(UTC)
