"""The Lotse app: web chat, Rasa's NLG endpoint, the action server's internal API, admin API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from admin_api.console.router import pages as console_pages
from admin_api.console.staff import pages as staff_pages
from admin_api.inbox.router import events as inbox_events
from admin_api.inbox.router import pages as inbox_pages
from admin_api.insights.router import pages as insights_pages
from admin_api.router import router as admin_router
from admin_api.training.router import pages as training_pages
from bot.channels.telegram import webhook as telegram_webhook
from bot.channels.telegram.channel import TelegramChannel
from bot.config import Settings, get_settings
from bot.db import session_factory, utcnow
from bot.guided import reminders
from bot.ops import metrics, retention
from bot.ops.admission import Admission
from bot.ops.router import router as ops_router
from bot.pipeline import Assistant
from bot.rasa_client import RasaClient
from bot.rasa_config import rasa_urls
from bot.safety.detector import get_detector
from bot.threads import in_thread
from bot.training import service as training
from bot.translation import backlog
from bot.translation.service import get_translation_service
from bot.web import chat, internal, nlg
from bot.web.body_limit import BodyLimitMiddleware, rules_for
from bot.web.errors import errors
from bot.web.ratelimit import RateLimits

log = logging.getLogger(__name__)


async def _retry_loop(assistant: Assistant, interval_s: float) -> None:
    """Answer messages that were stored but not answered (Rasa down, or a crash mid-way)."""
    while True:
        try:
            done = await assistant.retry_pending()
            if done:
                log.info("answered %d waiting message(s)", done)
        except Exception:
            log.exception("retry loop failed; trying again")
        await asyncio.sleep(interval_s)


async def _translation_loop(assistant: Assistant, interval_s: float) -> None:
    """Translate incoming messages of cases into German once and store it (bot.translation.backlog).

    Runs beside the answers, never in a person's request; what a restart left over is picked up.
    """
    service = get_translation_service(assistant.settings)
    while True:
        done = 0
        try:
            done = await in_thread(backlog.translate_pending, assistant.sessions, service)
        except Exception:
            log.exception("translation loop failed; trying again")
        if done < backlog.BATCH:  # a full batch: more may be waiting, go on at once
            # until the next answer (a message of a case may be waiting), at the latest interval_s
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(assistant.answered.wait(), interval_s)
            assistant.answered.clear()


async def _reminder_loop(assistant: Assistant, interval_s: float) -> None:
    """Send due reminders of the guided flows (each once, as an outgoing message of its conversation)."""
    while True:
        try:
            sent = await in_thread(reminders.send_due, assistant.sessions, settings=assistant.settings)
            if sent:
                log.info("sent %d reminder(s)", sent)
        except Exception:
            log.exception("reminder loop failed; trying again")
        await asyncio.sleep(interval_s)


async def _retention_loop(assistant: Assistant, interval_s: float) -> None:
    """Erase what the retention rules say has to go (one instance at a time, bot.ops.retention).

    The first run waits a minute (or the interval, if shorter), so that a restart of several instances
    does not start the job in each of them at once, and a short-lived app (tests) never runs it."""
    await asyncio.sleep(min(60.0, interval_s))
    while True:
        try:
            report = await retention.run_once(assistant, utcnow())
            if report.conversations or report.question_log_rows:
                log.info(
                    "retention: erased %d conversation(s), %d question log row(s)",
                    report.conversations,
                    report.question_log_rows,
                )
        except Exception:
            log.exception("retention job failed; trying again")
        await asyncio.sleep(interval_s)


def _recover_training(assistant: Assistant) -> None:
    with assistant.sessions.begin() as session:
        failed = training.recover_interrupted(session)
    if failed:
        log.warning("marked %d interrupted training job(s) as failed", failed)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; nothing connects until the lifespan starts."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rasa = RasaClient(
            base_url=rasa_urls(settings),
            token=settings.secret("rasa_token"),
            timeout_s=settings.rasa_timeout_s,
        )
        assistant = Assistant(settings=settings, sessions=session_factory(settings.database_url), rasa=rasa)
        app.state.settings = settings
        app.state.assistant = assistant
        app.state.metrics_registry = metrics.registry_with_queue(assistant.sessions)
        # a retraining that ran in a process that is gone will never finish: mark it failed
        await in_thread(_recover_training, assistant)
        # the crisis lexicons are indexed once, before the first message needs them (about 1 s)
        await in_thread(get_detector)
        retry = asyncio.create_task(_retry_loop(assistant, settings.retry_interval_s))
        loops = [
            retry,
            asyncio.create_task(_reminder_loop(assistant, settings.reminder_interval_s)),
            asyncio.create_task(_retention_loop(assistant, settings.retention_interval_s)),
        ]
        if settings.translation_backend != "none":
            loops.append(asyncio.create_task(_translation_loop(assistant, settings.retry_interval_s)))
        telegram = (
            TelegramChannel(settings, assistant, admission=app.state.admission)
            if settings.telegram_token
            else None
        )
        app.state.telegram = telegram
        if telegram is not None:
            await telegram.start()
        try:
            yield
        finally:
            if telegram is not None:
                await telegram.stop()
            for task in loops:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            training.stop_all()  # a training or evaluation server of this process; its job fails
            await rasa.aclose()

    app = FastAPI(title="Lotse", version="0.1.0", lifespan=lifespan, responses=errors(413))
    app.add_middleware(
        BodyLimitMiddleware,
        rules=rules_for(settings),
        default=settings.max_body_bytes,
        internal_token=settings.secret("internal_token"),
    )
    app.state.rate_limits = RateLimits(settings)
    app.state.admission = Admission(
        max_in_flight=settings.max_in_flight,
        max_waiting=settings.max_waiting,
        wait_s=settings.admission_wait_s,
        retry_after_s=settings.busy_retry_after_s,
    )
    app.include_router(chat.router)
    app.include_router(nlg.router)
    app.include_router(internal.router)
    app.include_router(admin_router)
    app.include_router(inbox_events)
    app.include_router(inbox_pages)
    app.include_router(console_pages)
    app.include_router(staff_pages)
    app.include_router(insights_pages)
    app.include_router(training_pages)
    app.include_router(telegram_webhook.router)
    app.include_router(ops_router)

    return app
