"""The handover summary: what the assistant learnt from the stored conversation, and what to do next.

Computed when a case is read, from rows Lotse already keeps (conversation, messages, handover), so
it needs no extra storage and works for old cases too. It shows nothing the case view does not
already show (no texts, no channel address): languages, counts, times, topics, content keys, intents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.content.render import TOPICS
from bot.conversations.models import Conversation, Direction, Message
from bot.guided.service import case_lines
from bot.handover.models import Handover, HandoverReason

NON_TEXT_NOTICE = "utter_telegram_non_text"
"""The answer to a voice message, photo or file; stored replies with this key mean one was sent."""


@dataclass(frozen=True, slots=True)
class CaseSummary:
    language: str
    language_source: str
    """``explicit`` (the person chose it), ``detected`` or ``default``."""
    channel: str
    first_contact_at: datetime
    handed_over_at: datetime
    questions_before_handover: int
    answers_before_handover: int
    messages_since_handover: int
    topics: list[str]
    """Topics of the assistant's answers before the handover, first asked first."""
    answered: list[str]
    """Content keys the assistant answered with before the handover (the handover reply excluded)."""
    intents: list[str]
    """What the person asked (recognised intents), in order, without repeats."""
    last_intent: str | None
    sent_non_text: bool
    """The person tried to send a voice message, photo or file (Lotse reads only text)."""
    overdue: bool
    next_step: str
    guided: list[str]
    """What the person answered in the guided flows (deadline helper, family check), German."""


def _unique(values: list[str | None]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def summarise(session: Session, *, handover: Handover, overdue: bool) -> CaseSummary:
    """Facts of the case and a suggested next step (German, for the caseworker)."""
    conv = session.get_one(Conversation, handover.conversation_id)
    messages = session.scalars(
        select(Message).where(Message.conversation_id == conv.id).order_by(Message.id)
    ).all()
    before = [m for m in messages if m.created_at <= handover.created_at]
    questions = [m for m in before if m.direction == Direction.IN]
    answers = [
        m
        for m in before
        if m.direction == Direction.OUT
        and not (m.payload or {}).get("from_caseworker")
        and not (m.content_key or "").startswith("utter_handover_")
    ]
    topics = _unique([m.topic for m in answers if m.topic in TOPICS])
    intents = _unique([m.intent for m in questions])
    facts_intent = handover.facts.get("last_intent")
    last_intent = str(facts_intent) if facts_intent else (intents[-1] if intents else None)
    sent_non_text = any(
        m.content_key == NON_TEXT_NOTICE
        or (m.direction == Direction.IN and (m.payload or {}).get("non_text"))
        for m in messages
    )
    topic = handover.topic or (topics[-1] if topics else None)
    return CaseSummary(
        language=conv.language,
        language_source=conv.language_source.value,
        channel=conv.channel,
        first_contact_at=conv.created_at,
        handed_over_at=handover.created_at,
        questions_before_handover=len(questions),
        answers_before_handover=len(answers),
        messages_since_handover=sum(
            1 for m in messages if m.direction == Direction.IN and m.created_at > handover.created_at
        ),
        topics=topics,
        answered=_unique([m.content_key for m in answers]),
        intents=intents,
        last_intent=last_intent,
        sent_non_text=sent_non_text,
        overdue=overdue,
        next_step=next_step(reason=handover.reason, topic=topic, sent_non_text=sent_non_text),
        guided=case_lines(session, conv.id),
    )


_CRISIS = (
    "Sofort lesen und als Erstes antworten. Bei akuter Gefahr auf Polizei 110 bzw. Notruf 112 verweisen; "
    "bei Suizidgedanken oder Verzweiflung auf die Telefonseelsorge (0800 111 0 111 oder 0800 111 0 222, "
    "rund um die Uhr, kostenlos); bei Gewalt gegen Frauen auf das Hilfetelefon 116 016. "
    "Danach klären, was die Person braucht."
)
_BY_TOPIC = {
    "asylum_appeal": (
        "Heute klären, wann der BAMF-Bescheid zugestellt wurde und welche Frist in der "
        "Rechtsbehelfsbelehrung steht (2 Wochen; 1 Woche bei „offensichtlich unbegründet“ oder "
        "„unzulässig“). Läuft die Frist, sofort an Migrationsberatung (MBE/JMD), Flüchtlingsrat "
        "Thüringen oder die Rechtsantragstelle des Verwaltungsgerichts (Gera, Meiningen, Weimar) verweisen."
    ),
    "family_reunification": (
        "Schutzstatus klären (Flüchtling/asylberechtigt oder subsidiärer Schutz) und fragen, wann die "
        "Anerkennung unanfechtbar wurde: Läuft die Drei-Monats-Frist für die fristwahrende Anzeige "
        "(§ 29 Abs. 2 AufenthG) noch, auf sie hinweisen."
    ),
    "housing": (
        "Klären, ob eine Wohnsitzauflage besteht und was Jobcenter oder Sozialamt schon entschieden haben "
        "(Miete, Kaution); droht der Verlust der Wohnung, das zuerst angehen."
    ),
    "education": (
        "Klären, worum es genau geht (Schule, Integrationskurs, Anerkennung, Ausbildung, Studium), "
        "und an die zuständige Stelle verweisen."
    ),
    "naturalization": (
        "Aufenthaltstitel und Voraufenthaltszeit erfragen, die allgemeinen Voraussetzungen nennen "
        "und für den Antrag an die Einbürgerungsbehörde verweisen."
    ),
}
_BY_REASON = {
    HandoverReason.REQUESTED: (
        "Die Person hat ausdrücklich nach einem Menschen gefragt: nachfragen, was sie braucht."
    ),
    HandoverReason.INDIVIDUAL: (
        "Frage zum eigenen Fall: Anliegen und Unterlagen (Bescheid, Aufenthaltstitel) erfragen, "
        "laufende Fristen zuerst klären."
    ),
    HandoverReason.LOW_CONFIDENCE: (
        "Der Assistent hat zwei Nachrichten nacheinander nicht verstanden: die letzten Nachrichten lesen "
        "und nachfragen, worum es geht."
    ),
    HandoverReason.UNAVAILABLE: (
        "Der Assistent war nicht erreichbar: die offene Frage der Person (letzte Nachricht) beantworten."
    ),
    HandoverReason.APPEAL_DEADLINE: (
        "Der Fristrechner hat höchstens 3 Tage bis zum Ende der Klagefrist errechnet (oder die Frist ist "
        "abgelaufen; Angaben unten): heute anhand des Bescheids prüfen und sofort an Rechtsantragstelle, "
        "Anwalt oder Beratung verweisen; bei Fristversäumnis Wiedereinsetzung (§ 60 VwGO) ansprechen."
    ),
    HandoverReason.FAMILY_DEADLINE: (
        "Weniger als 3 Wochen der Drei-Monats-Frist (§ 29 Abs. 2 AufenthG) sind übrig (Angaben unten): "
        "prüfen, ob die fristwahrende Anzeige schon gestellt ist, sonst heute dabei helfen."
    ),
    HandoverReason.HOUSING_HELP: (
        "Die Person möchte Hilfe bei der Wohnungssuche (Angaben unten: Haushaltsgröße, Wunschorte, Einzug, "
        "Barrierefreiheit, wer die Miete zahlt): an Wohnungsgesellschaften, Wohnprojekte oder die "
        "Migrationsberatung vermitteln; bei Jobcenter/Sozialamt auf die Zusicherung vor der "
        "Vertragsunterschrift hinweisen."
    ),
    HandoverReason.ATTACHMENT: (
        "Die Person hat eine Sprachnachricht, ein Foto oder eine Datei geschickt (oft ein Brief); Lotse "
        "speichert den Inhalt nicht. Schriftlich nachfragen, worum es geht, und sagen, wie Unterlagen "
        "eingereicht werden (Post, Büro)."
    ),
}
_NON_TEXT = (
    "Die Person hat eine Sprachnachricht, ein Foto oder eine Datei geschickt, die nicht ankommt: "
    "um Text bitten oder Unterlagen per Post bzw. im Büro anfordern."
)


def next_step(*, reason: HandoverReason, topic: str | None, sent_non_text: bool = False) -> str:
    """The suggested next step (German) for a handover of ``reason`` about ``topic``."""
    if reason == HandoverReason.CRISIS:
        parts = [_CRISIS]
    else:
        parts = [p for p in (_BY_TOPIC.get(topic or ""), _BY_REASON[reason]) if p]
    if sent_non_text and reason != HandoverReason.ATTACHMENT:
        parts.append(_NON_TEXT)
    return " ".join(parts)
