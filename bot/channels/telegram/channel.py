"""The Telegram channel: handlers, sending, polling, delivery of replies that arrive later.

Every text (and every pressed button, as its payload) goes through ``Assistant.handle``, exactly
like the web chat. Replies are stored ``pending`` by the pipeline and sent from here; a reply is
claimed before it is sent and marked ``delivered`` or ``failed`` afterwards, so the handler and
the delivery loop never send it twice.

Polling acknowledges an update (the next ``getUpdates`` offset) only after it was handled, and
webhook requests are answered only after handling, so an update that arrives while the app dies
is delivered again by Telegram; the pipeline's de-duplication answers it once.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hashlib
import logging
import weakref
from collections.abc import AsyncIterator

from telegram import (
    BotCommand,
    BotCommandScopeDefault,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.config import Settings
from bot.content.render import Reply, render, with_machine_translation_note
from bot.conversations.models import MessageStatus
from bot.conversations.pseudonym import pseudonymize
from bot.directory.service import nearest_district
from bot.guided.counselling import NAME as COUNSELLING
from bot.guided.counselling import location_answer
from bot.guided.payloads import flow_payload
from bot.language.languages import LANGUAGES, normalise_code
from bot.ops.admission import Admission
from bot.pipeline import Assistant, ConversationErased, Incoming
from bot.threads import in_thread
from bot.web.ratelimit import RateLimits, TooManyRequests

from . import store
from .messages import DELETE_CANCEL, DELETE_CONFIRM, keyboard, split_text
from .notices import GroupNotices
from .store import CHANNEL, Outgoing

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 4
"""Tries per message part on network errors (backoff 0.5, 1, 2 s) before it waits for the loop."""
MAX_DELIVERY_ROUNDS = 10
"""After this many claims a reply that still could not be sent is marked failed."""
DELIVERY_INTERVAL_S = 2.0
POLL_TIMEOUT_S = 25
EMPTY_POLL_PAUSE_S = 0.2
TYPING_EVERY_S = 4.5

COMMANDS = ("start", "menu", "language", "human", "delete", "help")
COMMAND_DESCRIPTION_KEYS = {
    "start": "meta_command_start",
    "menu": "meta_button_menu",
    "language": "meta_command_language",
    "human": "meta_button_human",
    "delete": "meta_command_delete",
    "help": "meta_command_help",
}
HUMAN_PAYLOAD = "/request_human"


class Sent(enum.Enum):
    """Result of sending one stored reply."""

    DELIVERED = "delivered"
    FAILED = "failed"
    BLOCKED = "blocked"
    LATER = "later"


def non_text_kind(update: Update) -> str | None:
    """What kind of unreadable message this is, for the handover summary (None for edits and the like)."""
    message = update.message
    if message is None:
        return None
    if message.voice or message.audio or message.video_note:
        return "voice"
    if message.photo or message.video:
        return "photo"
    if message.document:
        return "document"
    return None


class TelegramChannel:
    """One bot, built in the app's lifespan when ``LOTSE_TELEGRAM_TOKEN`` is set."""

    def __init__(
        self,
        settings: Settings,
        assistant: Assistant,
        *,
        request: BaseRequest | None = None,
        admission: Admission | None = None,
    ) -> None:
        self.settings = settings
        self.assistant = assistant
        self.admission = admission or Admission(
            max_in_flight=settings.max_in_flight,
            max_waiting=settings.max_waiting,
            wait_s=settings.admission_wait_s,
            retry_after_s=settings.busy_retry_after_s,
        )
        """Shared with the web chat in the app (one bound per instance for both channels)."""
        self.application = build_application(settings, request=request)
        register_handlers(self.application, self)
        self.ready = asyncio.Event()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._tasks: list[asyncio.Task[None]] = []
        self.limits = RateLimits(settings)
        self.group_notices = GroupNotices(self.limits.storage)

    @property
    def webhook_mode(self) -> bool:
        return bool(self.settings.telegram_webhook_url)

    @property
    def webhook_secret(self) -> str:
        return webhook_secret(self.settings)

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> None:
        """Connect in the background (the app starts even while Telegram is unreachable)."""
        self._tasks.append(asyncio.create_task(self._run(), name="telegram"))

    async def stop(self) -> None:
        """Stop polling and delivering; close the bot's connections."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def _run(self) -> None:
        delay = 1.0
        while True:
            try:
                await self.application.initialize()
                break
            except TelegramError as exc:
                log.warning("Telegram not reachable (%s); retrying in %.0f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)
        await self.application.start()
        await self._set_commands()
        bot = self.application.bot
        if self.webhook_mode:
            await bot.set_webhook(
                url=str(self.settings.telegram_webhook_url),
                secret_token=self.webhook_secret,
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            await bot.delete_webhook()
        self.ready.set()
        log.info("Telegram channel ready (%s)", "webhook" if self.webhook_mode else "polling")
        loops = [self._delivery_loop()] + ([] if self.webhook_mode else [self._poll()])
        await asyncio.gather(*loops)

    async def _set_commands(self) -> None:
        """Command menus in every language (Telegram picks the one of the person's app)."""
        for code in (None, *LANGUAGES):
            language = code or self.settings.default_language
            commands = await in_thread(self._command_list, language)
            try:
                await self.application.bot.set_my_commands(
                    commands, scope=BotCommandScopeDefault(), language_code=code
                )
            except TelegramError as exc:
                log.warning("setMyCommands (%s) failed: %s", code or "default", exc)

    def _command_list(self, language: str) -> list[BotCommand]:
        with self.assistant.sessions() as session:
            return [
                BotCommand(name, render(session, key=key, language=language).text[:256])
                for name, key in COMMAND_DESCRIPTION_KEYS.items()
            ]

    async def _poll(self) -> None:
        """getUpdates loop that confirms updates only after they were handled (at-least-once)."""
        offset: int | None = None
        delay = 1.0
        bot = self.application.bot
        while True:
            try:
                updates = await bot.get_updates(
                    offset=offset, timeout=POLL_TIMEOUT_S, allowed_updates=Update.ALL_TYPES
                )
                delay = 1.0
            except TelegramError as exc:
                log.warning("getUpdates failed (%s); retrying in %.0f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            if updates:
                await self.handle_batch(list(updates))
                offset = updates[-1].update_id + 1
            else:  # a server that answers at once instead of long polling must not make this spin
                await asyncio.sleep(EMPTY_POLL_PAUSE_S)

    async def handle_batch(self, updates: list[Update]) -> None:
        """Handle updates: one chat's in order, different chats concurrently."""
        per_chat: dict[int | None, list[Update]] = {}
        for update in updates:
            chat = update.effective_chat
            per_chat.setdefault(chat.id if chat else None, []).append(update)

        async def in_order(batch: list[Update]) -> None:
            for update in batch:
                async with self.admission.slot(CHANNEL, patient=True):  # fetched: never refused
                    await self.application.process_update(update)

        await asyncio.gather(*(in_order(batch) for batch in per_chat.values()))

    async def _delivery_loop(self) -> None:
        """Send replies that were produced without a handler waiting (retries, recoveries)."""
        while True:
            try:
                for pseudonym in await in_thread(store.pending_conversations, self.assistant.sessions):
                    await self.deliver(pseudonym)
            except Exception:
                log.exception("delivery loop failed; trying again")
            await asyncio.sleep(DELIVERY_INTERVAL_S)

    # ------------------------------------------------------------------ sending

    def pseudonym(self, chat_id: int) -> str:
        return pseudonymize(self.settings.secret("pseudonym_key"), CHANNEL, str(chat_id))

    def _lock(self, pseudonym: str) -> asyncio.Lock:
        lock = self._locks.get(pseudonym)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[pseudonym] = lock
        return lock

    async def deliver(self, pseudonym: str) -> None:
        """Send the conversation's pending replies in order, each once."""
        sessions = self.assistant.sessions
        async with self._lock(pseudonym):
            for out in await in_thread(store.pending_replies, sessions, pseudonym):
                if not await in_thread(store.claim, sessions, out.id):
                    continue
                result = await self._send(out)
                if result is Sent.BLOCKED:
                    log.info("conversation %s blocked the bot; replies not sent", pseudonym)
                    await in_thread(store.mark_unreachable, sessions, pseudonym)
                    return
                if result is Sent.LATER:
                    if await in_thread(store.attempts_of, sessions, out.id) >= MAX_DELIVERY_ROUNDS:
                        await in_thread(store.mark, sessions, out.id, MessageStatus.FAILED)
                    return  # keep the order: the rest waits for the next round
                status = MessageStatus.DELIVERED if result is Sent.DELIVERED else MessageStatus.FAILED
                await in_thread(store.mark, sessions, out.id, status)

    async def _send(self, out: Outgoing) -> Sent:
        parts = split_text(out.text) or ["…"]
        markup = keyboard(out.buttons)
        for i, part in enumerate(parts):
            result = await self._send_part(out.chat_id, part, markup if i == len(parts) - 1 else None)
            if result is not Sent.DELIVERED:
                return result
        return Sent.DELIVERED

    async def _send_part(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> Sent:
        delay = 0.5
        for attempt in range(SEND_ATTEMPTS):
            try:
                await self.application.bot.send_message(chat_id, text, reply_markup=markup)
                return Sent.DELIVERED
            except Forbidden:
                return Sent.BLOCKED
            except RetryAfter:
                return Sent.LATER  # the rate limiter already waited and retried
            except BadRequest as exc:  # a subclass of NetworkError: check it first
                log.warning("Telegram rejected a reply: %s", exc)
                return Sent.FAILED
            except NetworkError as exc:  # includes TimedOut
                log.warning("sending failed (%s), attempt %d", exc, attempt + 1)
            except TelegramError as exc:
                log.warning("Telegram rejected a reply: %s", exc)
                return Sent.FAILED
            await asyncio.sleep(delay)
            delay *= 2
        return Sent.LATER

    async def send_local(self, chat_id: int, reply: Reply) -> None:
        """Send a text that is not part of the stored conversation (commands, notices)."""
        parts = split_text(reply.text) or ["…"]
        markup = keyboard(reply.buttons)
        for i, part in enumerate(parts):
            await self._send_part(chat_id, part, markup if i == len(parts) - 1 else None)

    async def send_key(self, chat_id: int, key: str, language: str) -> None:
        """Render a content item in ``language`` and send it."""
        await self.send_local(chat_id, await in_thread(self._render, key, language))

    def _render(self, key: str, language: str) -> Reply:
        with self.assistant.sessions() as session:
            reply = render(session, key=key, language=language)
            if reply.machine_translated:  # an unreviewed machine draft says so
                reply.text = with_machine_translation_note(session, text=reply.text, language=reply.language)
            return reply

    @contextlib.asynccontextmanager
    async def typing(self, chat_id: int) -> AsyncIterator[None]:
        """Show "typing…" until the block ends."""

        async def keep_typing() -> None:
            while True:
                with contextlib.suppress(TelegramError):
                    await self.application.bot.send_chat_action(chat_id, ChatAction.TYPING)
                await asyncio.sleep(TYPING_EVERY_S)

        task = asyncio.create_task(keep_typing())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def ask(self, update: Update, text: str) -> None:
        """Send ``text`` through the assistant as this update and deliver the replies."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None:
            return
        # the same per-conversation message limit as the web chat (LOTSE_RATE_LIMIT_MESSAGES_PER_SESSION)
        try:
            await in_thread(
                self.limits.check, "message_per_session", self.pseudonym(chat.id), "in this conversation"
            )
        except TooManyRequests:
            log.warning(
                "telegram conversation %s over its message limit: update dropped", self.pseudonym(chat.id)
            )
            return
        incoming = Incoming(
            channel=CHANNEL,
            user_id=str(chat.id),
            text=text,
            external_id=str(update.update_id),
            language_hint=user.language_code if user else None,
            address=str(chat.id),
        )
        try:
            async with self.typing(chat.id):
                outcome = await self.assistant.handle(incoming)
        except ConversationErased:
            log.info("telegram message dropped: its conversation was erased meanwhile")
            return
        finally:  # also a failed processing may have stored a reply ("temporarily unavailable")
            await self.deliver(self.pseudonym(chat.id))
        log.info("telegram message of %s: %s", outcome.conversation, outcome.status.value)

    # ------------------------------------------------------------------ handlers

    async def on_any_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the update (type and id only) and settle the language for the handlers."""
        kind = next(
            (n for n in ("message", "edited_message", "callback_query") if getattr(update, n)), "other"
        )
        log.debug("telegram update %s (%s)", update.update_id, kind)
        chat, user = update.effective_chat, update.effective_user
        if not well_formed(update):
            log.warning("telegram update %s ignored: unexpected field types", update.update_id)
            raise ApplicationHandlerStop
        if chat is None or context.chat_data is None:
            return
        stored = await in_thread(
            store.conversation_language, self.assistant.sessions, self.pseudonym(chat.id)
        )
        hint = normalise_code(user.language_code if user else None)
        context.chat_data["language"] = stored or hint or self.settings.default_language

    async def on_group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Groups and channels: say once that Lotse works only in private chats."""
        chat = update.effective_chat
        if chat is None or not await in_thread(self.group_notices.first_time, self.pseudonym(chat.id)):
            return
        await self.send_key(chat.id, "utter_telegram_private_only", language_of(context, self.settings))

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Welcome with the privacy notice, then the language picker and the topic menu."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None:
            return
        await in_thread(
            self.assistant.conversation_for,
            channel=CHANNEL,
            user_id=str(chat.id),
            language_hint=user.language_code if user else None,
        )
        language = language_of(context, self.settings)
        for key in ("utter_telegram_welcome", "utter_choose_language", "utter_menu"):
            await self.send_key(chat.id, key, language)

    async def on_menu(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The topic menu."""
        if update.effective_chat:
            await self.send_key(update.effective_chat.id, "utter_menu", language_of(context, self.settings))

    async def on_language(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The language picker."""
        if update.effective_chat:
            await self.send_key(
                update.effective_chat.id, "utter_choose_language", language_of(context, self.settings)
            )

    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """What the commands do."""
        if update.effective_chat:
            await self.send_key(
                update.effective_chat.id, "utter_telegram_help", language_of(context, self.settings)
            )

    async def on_human(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Ask for a caseworker: the same request as the menu's button."""
        await self.ask(update, HUMAN_PAYLOAD)

    async def on_delete(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Ask for confirmation before deleting everything."""
        chat = update.effective_chat
        if chat is None:
            return
        language = language_of(context, self.settings)
        reply = await in_thread(self._render, "utter_telegram_delete_confirm", language)
        labels = await in_thread(self._labels, ("meta_button_delete", "meta_button_cancel"), language)
        reply.buttons = [
            {"title": labels[0], "payload": DELETE_CONFIRM},
            {"title": labels[1], "payload": DELETE_CANCEL},
        ]
        await self.send_local(chat.id, reply)

    def _labels(self, keys: tuple[str, ...], language: str) -> list[str]:
        with self.assistant.sessions() as session:
            return [render(session, key=key, language=language).text for key in keys]

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A text message: through the assistant."""
        message = update.effective_message
        if message is not None and message.text is not None:
            await self.ask(update, message.text)

    async def on_location(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A shared location answers "where do you live?" of the counselling flow (only the nearest
        district is kept, never the coordinates); at any other time it is not understood."""
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None or message.location is None:
            return
        waiting = await in_thread(store.waiting_for_place, self.assistant.sessions, self.pseudonym(chat.id))
        if not waiting:
            await self.on_unsupported(update, context)
            return
        district = nearest_district(message.location.latitude, message.location.longitude)
        await self.ask(update, flow_payload(COUNSELLING, "town", location_answer(district)))

    async def on_unsupported(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Voice, photos, files go to a caseworker; stickers, locations, edits …: only text works."""
        chat = update.effective_chat
        if chat is None:
            return
        language = language_of(context, self.settings)
        kind = non_text_kind(update)
        if kind is None or chat.type != ChatType.PRIVATE:
            await self.send_key(chat.id, "utter_telegram_non_text", language)
            return
        # Often a photo of a letter or a voice message from someone who cannot write: a person
        # should answer. Lotse keeps only the kind of what was sent, never the file.
        pseudonym = await in_thread(
            self.assistant.conversation_for,
            channel=CHANNEL,
            user_id=str(chat.id),
            language_hint=language,
            address=str(chat.id),
        )
        await in_thread(
            store.hand_over_non_text,
            self.assistant.sessions,
            pseudonym,
            kind,
            update.update_id,
            self.settings.office,
        )
        await self.deliver(pseudonym)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A pressed button: remove the keyboard, then handle its payload like a message."""
        query, chat = update.callback_query, update.effective_chat
        if query is None:
            return
        with contextlib.suppress(TelegramError):
            await query.answer()
        if chat is None or chat.type != ChatType.PRIVATE or not query.data:
            return
        with contextlib.suppress(TelegramError):
            await query.edit_message_reply_markup(reply_markup=None)
        language = language_of(context, self.settings)
        pseudonym = self.pseudonym(chat.id)
        if query.data == DELETE_CONFIRM:
            await self.assistant.erase(pseudonym)
            if context.chat_data is not None:
                context.chat_data.clear()
            log.info("conversation %s deleted on request", pseudonym)
            await self.send_key(chat.id, "utter_telegram_deleted", language)
            return
        if query.data == DELETE_CANCEL:
            await self.send_key(chat.id, "utter_telegram_delete_cancelled", language)
            return
        payload = await in_thread(store.resolve_callback, self.assistant.sessions, pseudonym, query.data)
        if payload is None:
            await self.send_key(chat.id, "utter_menu", language)
            return
        await self.ask(update, payload)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log handler errors without personal data; the update is never lost (stored first)."""
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("handling telegram update %s failed", update_id, exc_info=context.error)


def well_formed(update: Update) -> bool:
    """Ids are integers and texts are strings, as the Bot API promises (a forged update may differ)."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if not isinstance(update.update_id, int):
        return False
    if chat is not None and (not isinstance(chat.id, int) or isinstance(chat.id, bool)):
        return False
    if user is not None and not isinstance(user.language_code, str | None):
        return False
    if message is not None and not isinstance(message.text, str | None):
        return False
    query = update.callback_query
    return query is None or isinstance(query.data, str | None)


def language_of(context: ContextTypes.DEFAULT_TYPE, settings: Settings) -> str:
    """The language the early handler settled for this update."""
    if context.chat_data is not None and context.chat_data.get("language"):
        return str(context.chat_data["language"])
    return settings.default_language


def webhook_secret(settings: Settings) -> str:
    """The configured webhook secret, or one derived from the token (A-Z, a-z, 0-9, _ and - only)."""
    if settings.telegram_webhook_secret is not None:
        return settings.telegram_webhook_secret.get_secret_value()
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    return hashlib.sha256(f"lotse-webhook:{token}".encode()).hexdigest()


def build_application(settings: Settings, *, request: BaseRequest | None = None) -> Application:  # type: ignore[type-arg]
    """The PTB application (no updater: polling and webhook are ours, so updates are confirmed late).

    ``request`` replaces the HTTP layer (tests use an offline one).
    """
    if settings.telegram_token is None:
        raise ValueError("LOTSE_TELEGRAM_TOKEN is not set")
    root = settings.telegram_base_url.rstrip("/")
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .updater(None)
        .rate_limiter(AIORateLimiter(max_retries=3))
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    return builder.build()


def register_handlers(application: Application, channel: TelegramChannel) -> None:  # type: ignore[type-arg]
    """Wiring only: which update goes to which callback."""
    private = filters.ChatType.PRIVATE
    new_message = filters.UpdateType.MESSAGE
    application.add_handler(TypeHandler(Update, channel.on_any_update), group=-1)
    application.add_handler(MessageHandler(~private, channel.on_group))
    for name, callback in (
        ("start", channel.on_start),
        ("menu", channel.on_menu),
        ("language", channel.on_language),
        ("human", channel.on_human),
        ("delete", channel.on_delete),
        ("help", channel.on_help),
    ):
        application.add_handler(CommandHandler(name, callback, filters=private & new_message))
    application.add_handler(MessageHandler(private & new_message & filters.COMMAND, channel.on_help))
    application.add_handler(MessageHandler(private & new_message & filters.TEXT, channel.on_text))
    application.add_handler(MessageHandler(private & new_message & filters.LOCATION, channel.on_location))
    application.add_handler(MessageHandler(private, channel.on_unsupported))
    application.add_handler(CallbackQueryHandler(channel.on_button))
    application.add_error_handler(channel.on_error)
