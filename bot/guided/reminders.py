"""Reminders of a deadline a guided flow computed: stored, due at a local hour, sent exactly once.

Sending a reminder is one transaction: a conditional UPDATE claims it (``pending -> sent``) and the
reminder text is added as an outgoing message of the conversation, which the channel then delivers
with its usual discipline (Telegram's delivery loop, the web chat's poll). A crash before the commit
leaves the reminder pending; after it, the message exists exactly once. Reminders belong to the
conversation (ON DELETE CASCADE): erasing it removes them, so nothing is sent afterwards.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.content.render import Reply, render
from bot.conversations.models import Conversation, Direction, Message, MessageStatus
from bot.guided.dates import days_left, local_today, reminder_days
from bot.guided.models import Reminder, ReminderStatus
from bot.guided.payloads import stop_reminders_payload
from bot.guided.steps import ReminderPlan
from bot.guided.texts import format_date, label

BATCH = 100


def today(settings: Settings, now: datetime) -> date:
    """The flows' today: the local date (or, in tests, ``LOTSE_GUIDED_TODAY``)."""
    return settings.guided_today or local_today(settings.office_timezone, now)


def due_time(day: date, *, settings: Settings, now: datetime) -> datetime:
    """When a reminder for ``day`` is due: ``reminder_hour`` local time on that day.

    Tests shrink the wait with ``reminder_time_scale`` (and may set the flows' today): the time from
    now (on the flows' today) to the due time is multiplied by the scale.
    """
    zone = ZoneInfo(settings.office_timezone)
    due = datetime.combine(day, time(settings.reminder_hour), tzinfo=zone).astimezone(UTC)
    if settings.reminder_time_scale == 1.0 and settings.guided_today is None:
        return due
    local_now = now.astimezone(zone)
    virtual_now = datetime.combine(today(settings, now), local_now.timetz()).astimezone(UTC)
    return now + (due - virtual_now) * settings.reminder_time_scale


def plan_days(plan: ReminderPlan, *, settings: Settings, now: datetime) -> list[date]:
    """The days a reminder would be sent on (the offsets before the deadline that are still ahead)."""
    return reminder_days(plan.deadline, plan.offsets_days, today(settings, now))


def schedule(
    session: Session,
    *,
    conversation: Conversation,
    flow: str,
    plan: ReminderPlan,
    language: str,
    settings: Settings,
    now: datetime,
) -> list[date]:
    """Store the reminders of ``plan`` (replacing pending ones of the same flow); returns their days."""
    cancel(session, conversation_id=conversation.id, flow=flow)
    days = plan_days(plan, settings=settings, now=now)
    for day in days:
        session.add(
            Reminder(
                conversation_id=conversation.id,
                flow=flow,
                key=plan.key,
                deadline=plan.deadline.isoformat(),
                language=language,
                due_at=due_time(day, settings=settings, now=now),
            )
        )
    return days


def cancel(session: Session, *, conversation_id: int, flow: str | None = None) -> int:
    """Cancel the conversation's pending reminders (of one flow, or all); returns how many."""
    condition = (Reminder.conversation_id == conversation_id) & (Reminder.status == ReminderStatus.PENDING)
    if flow is not None:
        condition &= Reminder.flow == flow
    result = session.execute(
        update(Reminder)
        .where(condition)
        .values(status=ReminderStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def pending_count(session: Session, conversation_id: int) -> int:
    """How many reminders of the conversation are still to be sent."""
    count = session.scalar(
        select(func.count())
        .select_from(Reminder)
        .where(Reminder.conversation_id == conversation_id, Reminder.status == ReminderStatus.PENDING)
    )
    return int(count or 0)


def reminder_reply(session: Session, reminder: Reminder, *, today: date) -> Reply:
    """The reminder text in its language, with the date and the days left as of ``today``."""
    deadline = date.fromisoformat(reminder.deadline)
    values = {
        "date": format_date(session, deadline, reminder.language),
        "days_left": str(max(days_left(deadline, today), 0)),
    }
    reply = render(session, key=reminder.key, language=reminder.language, values=values)
    reply.buttons = [
        {
            "title": label(session, "meta_button_stop_reminders", reminder.language),
            "payload": stop_reminders_payload(),
        }
    ]
    return reply


def send_due(sessions: sessionmaker[Session], *, settings: Settings, now: datetime | None = None) -> int:
    """Turn due reminders into outgoing messages, each exactly once; returns how many were sent."""
    now = now or datetime.now(UTC)
    with sessions() as session:
        ids = session.scalars(
            select(Reminder.id)
            .where(Reminder.status == ReminderStatus.PENDING, Reminder.due_at <= now)
            .order_by(Reminder.due_at, Reminder.id)
            .limit(BATCH)
        ).all()
    sent = 0
    day = today(settings, now)
    for reminder_id in ids:
        with sessions.begin() as session:
            claimed = session.execute(
                update(Reminder)
                .where(Reminder.id == reminder_id, Reminder.status == ReminderStatus.PENDING)
                .values(status=ReminderStatus.SENT, sent_at=now)
                .execution_options(synchronize_session=False)
            )
            if not getattr(claimed, "rowcount", 0):
                continue  # another instance sent it, or it was cancelled or erased meanwhile
            reminder = session.get_one(Reminder, reminder_id)
            reply = reminder_reply(session, reminder, today=day)
            row = Message(
                conversation_id=reminder.conversation_id,
                direction=Direction.OUT,
                text=reply.text,
                language=reply.language,
                status=MessageStatus.PENDING,
                content_key=reply.key,
                topic=reply.topic,
                payload={**reply.as_payload(), "reminder": True},
            )
            session.add(row)
            session.flush()
            reminder.message_id = row.id
            sent += 1
    return sent
