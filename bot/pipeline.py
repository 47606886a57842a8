"""The message path every channel uses: store, detect language, ask Rasa, store the answer.

Guarantees:

* an incoming message is committed before anything else happens, unique per
  (conversation, channel message id), so a channel's duplicate delivery is answered once;
* processing is claimed with a conditional UPDATE, so two workers never process the same message;
* if Rasa is unavailable the person is told so once, the message stays ``deferred`` and
  :meth:`Assistant.retry_pending` answers it later (or hands it to a person after a while);
* if the app dies after Rasa processed a message but before the answer was stored, the answer is
  recovered from Rasa's tracker instead of processing the message twice.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import unicodedata
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError, NoResultFound
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from bot.analytics.service import record_question
from bot.commands import neutralise
from bot.config import Settings
from bot.content.render import Reply, render
from bot.conversations.models import (
    Conversation,
    ConversationState,
    Direction,
    LanguageSource,
    Message,
    MessageStatus,
)
from bot.conversations.pseudonym import pseudonymize
from bot.conversations.service import (
    conversation_texts,
    delete_tracker_events,
    erase_conversation,
    tracker_event_count,
)
from bot.db import utcnow
from bot.guided import service as guided
from bot.handover.models import HandoverReason
from bot.handover.service import create_handover
from bot.language.detect import detect
from bot.language.languages import normalise_code
from bot.nlu_fallback import Choice, PivotFallback
from bot.ops import metrics
from bot.rasa_client import RasaClient, RasaNotRunning, RasaUnavailable, replies_after_message
from bot.safety import net
from bot.safety.detector import Level, Signal
from bot.safety.detector import check as crisis_check
from bot.threads import in_thread
from bot.translation.service import forget_translations

log = logging.getLogger(__name__)

RASA_SESSION_MARK = "rasa_session_started"
"""Key in an incoming message's payload: a new Rasa session was started before it."""
FOLLOW_UP_KEYS = frozenset({"utter_ask_back"})
"""Replies whose answer Rasa reads in the context of the question (no new session in between)."""

ERASE_ATTEMPTS = 5
"""How often erasure waits for Rasa, deletes the tracker rows and checks that none are left."""

RECEIVED_GRACE_S = 10.0
"""A stored message not yet claimed after this long was left behind by a process that died."""

_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b\u2028\u2029\ufeff]")


@dataclass(frozen=True, slots=True)
class Incoming:
    """A message as a channel received it."""

    channel: str
    user_id: str
    text: str
    external_id: str | None = None
    language_hint: str | None = None
    address: str | None = None


@dataclass(slots=True)
class Outcome:
    """What became of one incoming message."""

    conversation: str
    message_id: int
    replies: list[Reply] = field(default_factory=list)
    reply_ids: list[int] = field(default_factory=list)
    duplicate: bool = False
    status: MessageStatus = MessageStatus.ANSWERED


def clean_text(text: str, limit: int) -> str:
    """Normalise what goes to NLU: NFC, no control or zero-width characters, bounded length."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text[:limit]


class ConversationErased(LookupError):
    """The message's conversation was erased (at the person's request) while it was processed."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """A claimed message, ready for processing."""

    text: str
    language: str
    state: ConversationState
    attempts: int
    signal: Signal
    turn: int = 1
    """The message's number among the conversation's incoming messages."""
    new_rasa_session: bool = False
    """Start a new Rasa session before this message (see :meth:`Assistant._rasa_session_due`)."""


def _latest(column: Any, msg: Message, direction: Direction, *, inclusive: bool, limit: int) -> Select[Any]:
    """``column`` of the latest messages of ``msg``'s conversation in ``direction`` up to ``msg``
    (``inclusive``: ``msg`` itself too), newest first."""
    upto = Message.id <= msg.id if inclusive else Message.id < msg.id
    return (
        select(column)
        .where(Message.conversation_id == msg.conversation_id, Message.direction == direction, upto)
        .order_by(Message.id.desc())
        .limit(limit)
    )


def outgoing_message(conversation_id: int, reply: Reply, *, reply_to: int | None = None) -> Message:
    """An answer as an outgoing message row, pending delivery by the conversation's channel."""
    return Message(
        conversation_id=conversation_id,
        direction=Direction.OUT,
        text=reply.text,
        language=reply.language,
        status=MessageStatus.PENDING,
        reply_to_id=reply_to,
        content_key=reply.key,
        topic=reply.topic,
        payload=reply.as_payload(),
    )


def storable(text: str) -> str:
    """The text as stored: everything kept, except NUL, which PostgreSQL cannot store (U+FFFD instead)."""
    return text.replace("\x00", "\ufffd")


class Assistant:
    """Channel-neutral entry point; one per process."""

    def __init__(
        self,
        *,
        settings: Settings,
        sessions: sessionmaker[Session],
        rasa: RasaClient,
        fallback: PivotFallback | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.rasa = rasa
        self.fallback = fallback or PivotFallback(settings=settings, rasa=rasa)
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._background: set[asyncio.Task[None]] = set()
        self.answered = asyncio.Event()
        """Set after a message was processed: wakes the background translation (bot/web/app.py)."""

    # ------------------------------------------------------------------ storing

    def conversation_for(
        self, *, channel: str, user_id: str, language_hint: str | None = None, address: str | None = None
    ) -> str:
        """Pseudonym of the (possibly new) conversation of ``user_id`` on ``channel``."""
        pseudonym = pseudonymize(self.settings.secret("pseudonym_key"), channel, user_id)
        with self.sessions.begin() as session:
            self._get_or_create(session, pseudonym, channel, language_hint, address)
        return pseudonym

    def _get_or_create(
        self, session: Session, pseudonym: str, channel: str, hint: str | None, address: str | None
    ) -> Conversation:
        conv = session.scalar(select(Conversation).where(Conversation.pseudonym == pseudonym))
        if conv is not None:
            if address and conv.channel_address != address:
                conv.channel_address = address
            return conv
        language = normalise_code(hint) or self.settings.default_language
        conv = Conversation(pseudonym=pseudonym, channel=channel, channel_address=address, language=language)
        try:
            with session.begin_nested():
                session.add(conv)
        except IntegrityError:  # created concurrently by another request
            conv = session.scalars(select(Conversation).where(Conversation.pseudonym == pseudonym)).one()
        return conv

    def store(self, incoming: Incoming) -> tuple[Outcome, bool]:
        """Commit the incoming message; return (outcome, is_new). A duplicate returns the stored one."""
        pseudonym = pseudonymize(self.settings.secret("pseudonym_key"), incoming.channel, incoming.user_id)
        with self.sessions.begin() as session:
            conv = self._get_or_create(
                session, pseudonym, incoming.channel, incoming.language_hint, incoming.address
            )
            if incoming.external_id is not None:
                existing = session.scalar(
                    select(Message).where(
                        Message.conversation_id == conv.id,
                        Message.direction == Direction.IN,
                        Message.external_id == incoming.external_id,
                    )
                )
                if existing is not None:
                    return self._outcome(session, existing, duplicate=True), False
            msg = Message(
                conversation_id=conv.id,
                direction=Direction.IN,
                external_id=incoming.external_id,
                text=storable(incoming.text),
                status=MessageStatus.RECEIVED,
                payload={"hint": incoming.language_hint} if incoming.language_hint else None,
            )
            try:
                with session.begin_nested():
                    session.add(msg)
            except IntegrityError:  # the same delivery raced us
                existing = session.scalars(
                    select(Message).where(
                        Message.conversation_id == conv.id,
                        Message.direction == Direction.IN,
                        Message.external_id == incoming.external_id,
                    )
                ).one()
                return self._outcome(session, existing, duplicate=True), False
            conv.last_activity_at = utcnow()
            return Outcome(conversation=pseudonym, message_id=msg.id, status=MessageStatus.RECEIVED), True

    @staticmethod
    def _outcome(session: Session, msg: Message, *, duplicate: bool) -> Outcome:
        replies = session.scalars(
            select(Message)
            .where(Message.reply_to_id == msg.id, Message.direction == Direction.OUT)
            .order_by(Message.id)
        ).all()
        return Outcome(
            conversation=msg.conversation.pseudonym,
            message_id=msg.id,
            replies=[Reply.from_payload(r.payload) for r in replies if r.payload],
            reply_ids=[r.id for r in replies],
            duplicate=duplicate,
            status=msg.status,
        )

    # ------------------------------------------------------------------ processing

    async def handle(self, incoming: Incoming) -> Outcome:
        """Store and process one incoming message; safe to call again with the same message."""
        try:
            outcome, is_new = await in_thread(self.store, incoming)
        except (IntegrityError, NoResultFound):
            # the conversation was erased between reading it and inserting the message (PostgreSQL
            # reports the missing parent row): store the message again, in a new conversation
            outcome, is_new = await in_thread(self.store, incoming)
        if not is_new:
            return outcome
        metrics.MESSAGES_IN.labels(incoming.channel).inc()
        started = time.monotonic()
        try:
            done = await self.process(outcome.message_id)
            metrics.observe_outcome(
                incoming.channel,
                done.status.value,
                [(r.key, r.language) for r in done.replies],
                time.monotonic() - started,
            )
            return done
        except (NoResultFound, StaleDataError, IntegrityError):
            # rows of the message vanished under it (a missing row, a stale update, a missing parent,
            # depending on the backend): the conversation was erased meanwhile. Its id may already
            # belong to a new message (SQLite reuses ids), so the exception, not a lookup, decides.
            raise ConversationErased from None

    def _lock(self, pseudonym: str) -> asyncio.Lock:
        lock = self._locks.get(pseudonym)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[pseudonym] = lock
        return lock

    def _claim(self, message_id: int, *, allow_stale: bool = False) -> bool:
        """Atomically move a message to ``processing``; False if another worker has it or it is done."""
        claimable = [MessageStatus.RECEIVED, MessageStatus.DEFERRED]
        condition: ColumnElement[bool] = Message.status.in_(claimable)
        if allow_stale:
            stale_before = utcnow() - timedelta(seconds=self.settings.rasa_timeout_s * 2)
            condition = or_(
                condition, (Message.status == MessageStatus.PROCESSING) & (Message.updated_at < stale_before)
            )
        with self.sessions.begin() as session:
            result = session.execute(
                update(Message)
                .where(Message.id == message_id, condition)
                .values(status=MessageStatus.PROCESSING, attempts=Message.attempts + 1, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0))

    async def process(self, message_id: int, *, recovering: bool = False) -> Outcome:
        """Process a stored message once; returns its outcome (also when someone else handled it).

        Raises :class:`ConversationErased` when the person erased the conversation meanwhile.
        """
        try:
            pseudonym = await in_thread(self._pseudonym_of, message_id)
        except NoResultFound:
            raise ConversationErased(message_id) from None
        async with self._lock(pseudonym):
            try:
                if not await in_thread(self._claim, message_id, allow_stale=recovering):
                    return await in_thread(self._stored_outcome, message_id)
                outcome = await self._process_claimed(message_id, pseudonym, recovering=recovering)
                self.answered.set()
                return outcome
            except NoResultFound:
                # Erased by another process while Rasa answered: Rasa has stored this turn's
                # events after that erasure, so they go now (unless the person wrote again since).
                if not await in_thread(self._exists, pseudonym):
                    await in_thread(delete_tracker_events, self.settings.rasa_tracker_url, pseudonym)
                raise ConversationErased(message_id) from None
            except Exception:
                log.exception("processing message failed; it stays deferred for a retry")
                await in_thread(self._set_status, message_id, MessageStatus.DEFERRED)
                raise

    # ------------------------------------------------------------------ erasure

    async def erase(self, pseudonym: str) -> bool:
        """Erase a conversation completely: app rows, Rasa's tracker rows, cached translations.

        Holds the conversation's lock, so a turn of this process that is in flight finishes first
        and no new one starts; then asks Rasa to wait for any turn still running there (e.g. one
        this app gave up on after its timeout), deletes, and checks that Rasa's tracker store holds
        no row of the conversation any more, repeating a few times if one appeared. Returns False
        when the app database had no such conversation.
        """
        async with self._lock(pseudonym):
            texts = await in_thread(self._texts_of, pseudonym)
            found = await in_thread(self._erase_rows, pseudonym)
            clean = await self._purge_tracker(pseudonym)
            limit = self.settings.max_message_chars
            forget_translations(texts | {clean_text(t, limit) for t in texts})
        if not clean:
            log.error("conversation %s: Rasa's tracker rows could not be verified as erased", pseudonym)
        return found

    def _texts_of(self, pseudonym: str) -> set[str]:
        with self.sessions() as session:
            return conversation_texts(session, pseudonym)

    def _erase_rows(self, pseudonym: str) -> bool:
        with self.sessions.begin() as session:
            return erase_conversation(
                session, pseudonym=pseudonym, tracker_url=self.settings.rasa_tracker_url
            )

    def _exists(self, pseudonym: str) -> bool:
        with self.sessions() as session:
            return (
                session.scalar(select(Conversation.id).where(Conversation.pseudonym == pseudonym)) is not None
            )

    async def _purge_tracker(self, pseudonym: str) -> bool:
        """Wait for Rasa's turn, delete the tracker rows, verify; True when Rasa confirmed that no
        turn was running and no row is left."""
        url = self.settings.rasa_tracker_url
        for _ in range(ERASE_ATTEMPTS):
            try:
                await self.rasa.wait_for_turn(sender=pseudonym)
            except RasaNotRunning:  # no Rasa process, so no turn that could still write
                await in_thread(delete_tracker_events, url, pseudonym)
                return await in_thread(tracker_event_count, url, pseudonym) == 0
            except RasaUnavailable as exc:
                # Still busy with a turn past our timeout, or failing: delete now and once more later.
                log.warning("erasure of %s: Rasa did not confirm that its turn ended (%s)", pseudonym, exc)
                await in_thread(delete_tracker_events, url, pseudonym)
                task = asyncio.create_task(self._purge_later(pseudonym))
                self._background.add(task)
                task.add_done_callback(self._background.discard)
                return False
            await in_thread(delete_tracker_events, url, pseudonym)
            if await in_thread(tracker_event_count, url, pseudonym) == 0:
                return True
        return False

    async def _purge_later(self, pseudonym: str) -> None:
        """Second pass for a turn Rasa may still have been running during the erasure."""
        await asyncio.sleep(self.settings.rasa_timeout_s * 2)
        async with self._lock(pseudonym):
            if await in_thread(self._exists, pseudonym):
                return  # the person has written again since: that is a new conversation
            await in_thread(delete_tracker_events, self.settings.rasa_tracker_url, pseudonym)

    def _pseudonym_of(self, message_id: int) -> str:
        with self.sessions() as session:
            return session.scalars(
                select(Conversation.pseudonym).join(Message).where(Message.id == message_id)
            ).one()

    def _stored_outcome(self, message_id: int) -> Outcome:
        with self.sessions() as session:
            return self._outcome(session, session.get_one(Message, message_id), duplicate=True)

    def _set_status(self, message_id: int, status: MessageStatus) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(Message).where(Message.id == message_id).values(status=status, updated_at=utcnow())
            )

    def _prepare(self, message_id: int) -> Prepared:
        """Clean the text, check it for a crisis and settle the conversation's language."""
        with self.sessions.begin() as session:
            msg = session.get_one(Message, message_id)
            conv = msg.conversation
            # a typed "/crisis" or "/request_human" is words, not an intent: only Lotse's own payloads pass
            text = neutralise(conv.channel, clean_text(msg.text, self.settings.max_message_chars))
            hint = (msg.payload or {}).get("hint")
            signal = crisis_check(text) if text and not text.startswith("/") else Signal()
            # a button payload (an allowed command) says nothing about the language; words do
            if text and not text.startswith("/") and conv.language_source != LanguageSource.EXPLICIT:
                found = detect(text, hint=hint, current=conv.language)
                language = found.language if found.reliable and found.language else conv.language
                if signal.crisis:
                    language = net.reply_language(
                        signal, detected_reliably=found.reliable, current=language, hint=hint
                    )
                if language != conv.language:
                    conv.language, conv.language_source = language, LanguageSource.DETECTED
            msg.language = conv.language
            turn = session.scalar(
                select(func.count())
                .select_from(Message)
                .where(
                    Message.conversation_id == conv.id,
                    Message.direction == Direction.IN,
                    Message.id <= msg.id,
                )
            )
            due = self._rasa_session_due(session, msg, int(turn or 1))
            return Prepared(text, conv.language, conv.state, msg.attempts, signal, int(turn or 1), due)

    async def _process_claimed(self, message_id: int, pseudonym: str, *, recovering: bool) -> Outcome:
        prep = await in_thread(self._prepare, message_id)
        text, language, signal = prep.text, prep.language, prep.signal
        if not text:
            return await in_thread(
                self._answer_locally, message_id, "utter_empty", language, MessageStatus.ANSWERED
            )
        if signal.crisis:
            return await in_thread(self._answer_crisis, message_id, language, signal)
        # the guided flows come first (a flow's buttons and answers; during a case only what belongs
        # to a flow started by its button since, see bot.guided.service.handle)
        answered = await in_thread(self._answer_guided, message_id, text, language)
        if answered is not None:
            return answered
        if prep.state == ConversationState.HANDOVER:
            return await in_thread(self._keep_for_human, message_id, language)

        payloads: list[dict[str, Any]] | None = None
        if recovering or prep.attempts > 1:
            try:
                # an empty list: Rasa saw the message but its answer was lost (see below), so ask again
                payloads = replies_after_message(await self.rasa.events(sender=pseudonym), message_id) or None
            except RasaUnavailable:
                return await in_thread(self._defer, message_id, language, first=False)
        if payloads is None:
            choice = await self.fallback.choose(text, language)
            metadata: dict[str, Any] = {"lotse_message_id": message_id, "language": language}
            if choice.pivot_text is not None:
                await in_thread(self._note_pivot, message_id, choice)
                pivot_signal = crisis_check(choice.pivot_text)
                if pivot_signal.crisis:
                    return await in_thread(self._answer_crisis, message_id, language, pivot_signal)
                signal = signal if signal.level is not None else pivot_signal
            if choice.translated:
                # Rasa parses the English translation; the stored message keeps the original.
                metadata["machine_translated_from"] = language
            try:
                if prep.new_rasa_session:
                    await self.rasa.start_new_session(sender=pseudonym)
                    await in_thread(self._note_rasa_session, message_id)
                raw = await self.rasa.send(sender=pseudonym, text=choice.text, metadata=metadata)
            except RasaUnavailable as exc:
                log.warning("Rasa unavailable for message %s: %s", message_id, exc)
                return await in_thread(self._defer, message_id, language, first=prep.attempts == 1)
            payloads = [item["custom"]["lotse"] for item in raw if "lotse" in (item.get("custom") or {})]
            if not payloads:
                # Every rule and action of Lotse's assistant utters something. Rasa's REST channel answers
                # 200 with an empty list when the turn failed inside Rasa (its response generator, the
                # app's NLG endpoint, or the action server unreachable — "the action's events are lost"):
                # the message waits for a retry like any other Rasa failure instead of counting as answered.
                log.warning("Rasa answered message %s with nothing; kept for a retry", message_id)
                return await in_thread(self._defer, message_id, language, first=prep.attempts == 1)
        return await in_thread(self._store_answer, message_id, text, payloads, signal)

    def _rasa_session_due(self, session: Session, msg: Message, turn: int) -> bool:
        """Every ``LOTSE_RASA_SESSION_TURNS`` messages a conversation starts a new Rasa session, so the
        cost of a turn stays flat (Rasa reads and replays the events of the current session on every
        turn; the conversation itself, for people and caseworkers, is the app's own copy).

        Due when none of the last ``every`` incoming messages (this one included: a retry) started
        one — the first session starts with the first message — unless Lotse has just asked back:
        the answer to "Do you mean …?" needs the question in the same session, so the new session
        waits for the next message.
        """
        every = self.settings.rasa_session_turns
        if every <= 0 or turn <= every:
            return False
        window = session.scalars(_latest(Message.payload, msg, Direction.IN, inclusive=True, limit=every))
        if any((payload or {}).get(RASA_SESSION_MARK) for payload in window):
            return False
        last = _latest(Message.content_key, msg, Direction.OUT, inclusive=False, limit=1)
        return session.scalar(last) not in FOLLOW_UP_KEYS

    def _note_rasa_session(self, message_id: int) -> None:
        with self.sessions.begin() as session:
            msg = session.get_one(Message, message_id)
            msg.payload = {**(msg.payload or {}), RASA_SESSION_MARK: True}

    def _answer_guided(self, message_id: int, text: str, language: str) -> Outcome | None:
        """A button or an answer of a guided flow (bot.guided), answered without Rasa; None if not one."""
        with self.sessions.begin() as session:
            msg = session.get_one(Message, message_id)
            conv = msg.conversation
            ctx = guided.Context(session, conv, language, self.settings, utcnow())
            replies = guided.handle(ctx, text)
            if replies is None:
                return None  # (a flow left for another question is committed as left)
            rows = [outgoing_message(conv.id, reply, reply_to=msg.id) for reply in replies]
            session.add_all(rows)
            msg.intent, msg.confidence = guided.GUIDED_INTENT, None
            msg.topic = next((r.topic for r in replies if r.topic != "other"), "other")
            msg.content_key = replies[0].key if replies else None
            msg.status = MessageStatus.ANSWERED
            session.flush()
            return Outcome(conv.pseudonym, msg.id, replies, [r.id for r in rows], status=msg.status)

    def _note_pivot(self, message_id: int, choice: Choice) -> None:
        """Keep the English translation and both parses with the message (for review and eval)."""
        with self.sessions.begin() as session:
            msg = session.get_one(Message, message_id)
            msg.payload = {**(msg.payload or {}), "pivot": choice.as_payload()}

    def _store_answer(
        self, message_id: int, text: str, payloads: list[dict[str, Any]], signal: Signal
    ) -> Outcome:
        with self.sessions.begin() as session:
            msg = session.get_one(Message, message_id)
            replies = [Reply.from_payload(p) for p in payloads]
            nlu = next((p.get("nlu") for p in payloads if p.get("nlu")), None) or {}
            msg.intent = nlu.get("intent")
            msg.confidence = nlu.get("confidence")
            nlu_crisis = net.nlu_crisis_confidence(payloads)
            doubt = signal.level == Level.HINT or nlu_crisis >= self.settings.crisis_nlu_hint
            if doubt and not any(r.key == net.CRISIS_KEY for r in replies):
                # When in doubt, the crisis numbers go first (a false alarm costs less than a miss).
                language = replies[0].language if replies else msg.conversation.language
                replies.insert(0, render(session, key=net.CRISIS_KEY, language=language))
                msg.payload = {
                    **(msg.payload or {}),
                    "crisis": signal.as_payload() or {"level": "hint", "nlu": round(nlu_crisis, 4)},
                }
            if msg.conversation.state == ConversationState.BOT and any(
                r.key in guided.STARTERS for r in replies
            ):
                # "when is my deadline": Rasa chose a flow's starter text; the flow's first question follows
                ctx = guided.Context(
                    session, msg.conversation, msg.conversation.language, self.settings, utcnow()
                )
                replies = guided.start_from_reply(ctx, replies, text)
            topic = next((r.topic for r in replies if r.topic != "other"), "other")
            msg.topic = topic
            msg.content_key = next((r.key for r in replies), None)
            msg.status = (
                MessageStatus.ANSWERED
                if msg.conversation.state == ConversationState.BOT or replies
                else MessageStatus.HUMAN
            )
            rows = [outgoing_message(msg.conversation_id, reply, reply_to=msg.id) for reply in replies]
            session.add_all(rows)
            # Button payloads are not questions; crisis messages belong to the case, not to statistics.
            if not text.startswith("/") and msg.intent != net.CRISIS_INTENT:
                record_question(
                    session,
                    text=text,
                    language=msg.language or msg.conversation.language,
                    intent=msg.intent,
                    confidence=msg.confidence,
                    topic=topic,
                    content_key=msg.content_key,
                    district=msg.conversation.district,
                )
            session.flush()
            return Outcome(
                conversation=msg.conversation.pseudonym,
                message_id=msg.id,
                replies=replies,
                reply_ids=[r.id for r in rows],
                status=msg.status,
            )

    def _answer_crisis(self, message_id: int, language: str, signal: Signal) -> Outcome:
        """Crisis numbers first, then an urgent case for a caseworker — without asking the model.

        Also during a handover: the numbers go out again and the open case becomes urgent.
        """
        with self.sessions.begin() as session:
            msg = session.get_one(Message, message_id)
            conv = msg.conversation
            crisis = render(session, key=net.CRISIS_KEY, language=language)
            create_handover(
                session,
                conversation=conv,
                reason=HandoverReason.CRISIS,
                topic=None,
                facts={"crisis": signal.as_payload()},
            )
            notice = render(
                session, key="utter_handover_crisis", language=language, office=self.settings.office
            )
            replies = [crisis, notice]
            rows = [outgoing_message(conv.id, reply, reply_to=msg.id) for reply in replies]
            session.add_all(rows)
            msg.intent, msg.confidence, msg.topic, msg.content_key = (
                net.CRISIS_INTENT,
                None,
                "other",
                crisis.key,
            )
            msg.payload = {**(msg.payload or {}), "crisis": signal.as_payload()}
            msg.status = MessageStatus.ANSWERED
            session.flush()
            return Outcome(conv.pseudonym, msg.id, replies, [r.id for r in rows], status=msg.status)

    def _answer_locally(self, message_id: int, key: str, language: str, status: MessageStatus) -> Outcome:
        """Answer without Rasa (empty message, handover, Rasa down) from the content store."""
        with self.sessions.begin() as session:
            msg = session.get_one(Message, message_id)
            reply = render(session, key=key, language=language)
            row = outgoing_message(msg.conversation_id, reply, reply_to=msg.id)
            session.add(row)
            msg.status = status
            session.flush()
            return Outcome(
                conversation=msg.conversation.pseudonym,
                message_id=msg.id,
                replies=[reply],
                reply_ids=[row.id],
                status=status,
            )

    def _keep_for_human(self, message_id: int, language: str) -> Outcome:
        """During a handover the assistant stays silent; the first message gets a short receipt."""
        with self.sessions.begin() as session:
            msg = session.get_one(Message, message_id)
            earlier = session.scalar(
                select(Message.id).where(
                    Message.conversation_id == msg.conversation_id,
                    Message.direction == Direction.IN,
                    Message.status == MessageStatus.HUMAN,
                    Message.id != msg.id,
                )
            )
            if earlier is None:
                reply = render(session, key="utter_handover_waiting", language=language)
                row = outgoing_message(msg.conversation_id, reply, reply_to=msg.id)
                session.add(row)
                msg.status = MessageStatus.HUMAN
                session.flush()
                return Outcome(
                    msg.conversation.pseudonym, msg.id, [reply], [row.id], status=MessageStatus.HUMAN
                )
            msg.status = MessageStatus.HUMAN
            return Outcome(msg.conversation.pseudonym, msg.id, status=MessageStatus.HUMAN)

    def _defer(self, message_id: int, language: str, *, first: bool) -> Outcome:
        """Rasa is down: keep the message for a retry; tell the person once."""
        if first:
            outcome = self._answer_locally(message_id, "utter_unavailable", language, MessageStatus.DEFERRED)
            outcome.status = MessageStatus.DEFERRED
            return outcome
        self._set_status(message_id, MessageStatus.DEFERRED)
        with self.sessions() as session:
            pseudonym = session.get_one(Message, message_id).conversation.pseudonym
        return Outcome(conversation=pseudonym, message_id=message_id, status=MessageStatus.DEFERRED)

    # ------------------------------------------------------------------ recovery

    async def retry_pending(self) -> int:
        """Answer deferred messages and messages a crashed worker left in ``processing``.

        Messages that waited longer than ``unavailable_handover_s`` are handed to a person instead.
        Returns how many messages were answered or handed over.
        """
        now = utcnow()
        stale_before = now - timedelta(seconds=self.settings.rasa_timeout_s * 2)
        unclaimed_before = now - timedelta(seconds=RECEIVED_GRACE_S)
        give_up_before = now - timedelta(seconds=self.settings.unavailable_handover_s)
        rows = await in_thread(self._waiting, stale_before, unclaimed_before)
        done = 0
        for message_id, created_at in rows:
            try:
                outcome = await self.process(message_id, recovering=True)
            except ConversationErased:
                continue
            except Exception:
                log.exception("retry of message %s failed", message_id)
                continue
            if outcome.status == MessageStatus.DEFERRED and created_at < give_up_before:
                await in_thread(self._hand_over_unanswered, message_id)
                done += 1
            elif outcome.status != MessageStatus.DEFERRED and not outcome.duplicate:
                done += 1
        return done

    def _waiting(self, stale_before: datetime, unclaimed_before: datetime) -> list[tuple[int, datetime]]:
        with self.sessions() as session:
            rows = session.execute(
                select(Message.id, Message.created_at)
                .where(
                    Message.direction == Direction.IN,
                    or_(
                        Message.status == MessageStatus.DEFERRED,
                        (Message.status == MessageStatus.RECEIVED) & (Message.created_at < unclaimed_before),
                        (Message.status == MessageStatus.PROCESSING) & (Message.updated_at < stale_before),
                    ),
                )
                .order_by(Message.id)
                .limit(200)
            ).all()
            return [(int(r[0]), r[1]) for r in rows]

    def _hand_over_unanswered(self, message_id: int) -> None:
        with self.sessions.begin() as session:
            msg = session.get_one(Message, message_id)
            create_handover(
                session, conversation=msg.conversation, reason=HandoverReason.UNAVAILABLE, topic=None
            )
            msg.status = MessageStatus.HUMAN
            reply = render(
                session,
                key="utter_handover_requested",
                language=msg.conversation.language,
                office=self.settings.office,
            )
            session.add(outgoing_message(msg.conversation_id, reply, reply_to=msg.id))
