"""The Telegram channel against an offline Bot API: message path, buttons, commands, failures."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import sessionmaker
from telegram import Update

from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.messages import DELETE_CONFIRM, callback_data
from bot.config import Settings
from bot.conversations.models import Conversation, ConversationState, Direction, Message, MessageStatus
from bot.db import make_engine
from bot.handover.models import Handover, HandoverReason
from bot.language.languages import LANGUAGES
from bot.pipeline import Assistant
from tests.unit.telegram.conftest import FakeRasa, OfflineRequest, callback_update, chat_id, text_update


async def feed(channel: TelegramChannel, data: dict[str, Any]) -> None:
    await channel.application.process_update(Update.de_json(data, channel.application.bot))


def conversation(channel: TelegramChannel, chat: int) -> Conversation | None:
    with channel.assistant.sessions() as session:
        return session.scalar(select(Conversation).where(Conversation.pseudonym == channel.pseudonym(chat)))


def outgoing(channel: TelegramChannel, chat: int) -> list[Message]:
    with channel.assistant.sessions() as session:
        return list(
            session.scalars(
                select(Message)
                .join(Conversation)
                .where(Conversation.pseudonym == channel.pseudonym(chat), Message.direction == Direction.OUT)
                .order_by(Message.id)
            )
        )


async def test_text_goes_through_the_assistant_and_the_reply_is_delivered(
    channel: TelegramChannel, request_fake: OfflineRequest, rasa: FakeRasa
) -> None:
    chat = chat_id()
    await feed(channel, text_update(chat, "Wer darf nachkommen?", language="de"))
    assert rasa.texts == ["Wer darf nachkommen?"]
    sent = request_fake.of("sendMessage")
    assert [(s["chat_id"], s["text"]) for s in sent] == [(chat, "echo: Wer darf nachkommen?")]
    assert "parse_mode" not in sent[0]
    buttons = [row[0] for row in sent[0]["reply_markup"]["inline_keyboard"]]
    assert buttons[0]["callback_data"] == "/help_menu"
    assert buttons[1]["callback_data"].startswith("h:")
    assert any(c["action"] == "typing" for c in request_fake.of("sendChatAction"))
    assert [m.status for m in outgoing(channel, chat)] == [MessageStatus.DELIVERED]
    conv = conversation(channel, chat)
    assert conv is not None and conv.channel_address == str(chat) and conv.language == "de"


async def test_duplicate_update_is_answered_once(
    channel: TelegramChannel, request_fake: OfflineRequest, rasa: FakeRasa
) -> None:
    chat = chat_id()
    update = text_update(chat, "Hallo", update_id=987_654)
    await feed(channel, update)
    await asyncio.gather(feed(channel, update), feed(channel, update))
    assert len(rasa.texts) == 1
    assert len(request_fake.of("sendMessage")) == 1


async def test_button_sends_its_payload_and_removes_the_keyboard(
    channel: TelegramChannel, request_fake: OfflineRequest, rasa: FakeRasa
) -> None:
    chat = chat_id()
    await feed(channel, text_update(chat, "Hallo"))
    long_payload = rasa_payloads(request_fake)[1]
    await feed(channel, callback_update(chat, long_payload))
    # the hashed callback data is resolved to the button's payload; a topic Lotse does not offer
    # ("xxx…") is not passed to Rasa as an intent, only as words
    assert rasa.texts[-1].startswith('choose_topic{"topic": "xxx')
    assert callback_data("/" + rasa.texts[-1]) == long_payload
    assert request_fake.of("answerCallbackQuery")
    edits = request_fake.of("editMessageReplyMarkup")
    assert edits and edits[0]["message_id"] == 77 and "reply_markup" not in edits[0]
    await feed(channel, callback_update(chat, "/help_menu"))
    assert rasa.texts[-1] == "/help_menu"


def rasa_payloads(request_fake: OfflineRequest) -> list[str]:
    markup = request_fake.of("sendMessage")[-1]["reply_markup"]
    return [row[0]["callback_data"] for row in markup["inline_keyboard"]]


async def test_long_answer_is_split_with_the_keyboard_on_the_last_part(
    channel: TelegramChannel, request_fake: OfflineRequest, rasa: FakeRasa
) -> None:
    rasa.answer_text = "\n\n".join("y" * 3000 for _ in range(3))
    await feed(channel, text_update(chat_id(), "Hallo"))
    sent = request_fake.of("sendMessage")
    assert [len(s["text"]) for s in sent] == [3000, 3000, 3000]
    assert ["reply_markup" in s for s in sent] == [False, False, True]


async def test_start_sends_privacy_notice_language_picker_and_menu(
    channel: TelegramChannel, request_fake: OfflineRequest, rasa: FakeRasa
) -> None:
    chat = chat_id()
    await feed(channel, text_update(chat, "/start", language="ar"))
    sent = request_fake.of("sendMessage")
    assert len(sent) == 3
    assert "/delete" in sent[0]["text"] and "حماية البيانات" in sent[0]["text"]
    languages = [row[0]["text"] for row in sent[1]["reply_markup"]["inline_keyboard"]]
    assert languages == [lang.native_name for lang in LANGUAGES.values()]
    assert len(sent[2]["reply_markup"]["inline_keyboard"]) == 8  # 5 topics, 2 guided flows, a person
    assert rasa.texts == []
    conv = conversation(channel, chat)
    assert conv is not None and conv.language == "ar"


async def test_commands(channel: TelegramChannel, request_fake: OfflineRequest, rasa: FakeRasa) -> None:
    chat = chat_id()
    for command in ("/menu", "/language", "/help", "/unknown"):
        await feed(channel, text_update(chat, command, language="uk"))
    sent = request_fake.of("sendMessage")
    assert len(sent) == 4
    assert "/delete" in sent[2]["text"] and sent[2]["text"] == sent[3]["text"]
    await feed(channel, text_update(chat, "/human"))
    assert rasa.texts == ["/request_human"]


async def test_non_text_updates_get_a_clear_answer_in_the_persons_language(
    channel: TelegramChannel, request_fake: OfflineRequest, rasa: FakeRasa
) -> None:
    chat = chat_id()
    base = text_update(chat, "x", language="fa")["message"]
    variants: list[dict[str, Any]] = [
        {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}},
        {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]},
        {"document": {"file_id": "d", "file_unique_id": "d"}},
        {
            "sticker": {
                "file_id": "s",
                "file_unique_id": "s",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
        },
        {"location": {"latitude": 50.9, "longitude": 11.0}},
        {"contact": {"phone_number": "+49", "first_name": "B"}},
    ]
    for i, extra in enumerate(variants):
        message = {k: v for k, v in base.items() if k != "text"} | extra
        await feed(channel, {"update_id": 40_000 + chat + i, "message": message})
    await feed(channel, {"update_id": 41_000 + chat, "edited_message": base | {"edit_date": 1_700_000_100}})
    sent = request_fake.of("sendMessage")
    # voice, photo and file go to a caseworker: told once (in Persian); the rest: "only text"
    assert len(sent) == 5
    assert "کارمند" in sent[0]["text"] and "متن" not in sent[0]["text"]
    assert all("متن" in s["text"] for s in sent[1:])
    assert rasa.texts == []
    with channel.assistant.sessions() as session:
        conv = session.scalars(
            select(Conversation).where(Conversation.pseudonym == channel.pseudonym(chat))
        ).one()
        cases = session.scalars(select(Handover).where(Handover.conversation_id == conv.id)).all()
        assert [(h.reason, h.language) for h in cases] == [(HandoverReason.ATTACHMENT, "fa")]
        notes = session.scalars(
            select(Message).where(Message.conversation_id == conv.id, Message.direction == Direction.IN)
        ).all()
        assert sorted((m.text, (m.payload or {}).get("non_text")) for m in notes) == [
            ("", "document"),
            ("", "photo"),
            ("", "voice"),
        ]  # the kind only: no file id, no content


async def test_groups_are_told_once_to_write_privately(
    channel: TelegramChannel, request_fake: OfflineRequest, rasa: FakeRasa
) -> None:
    group = -chat_id()
    for _ in range(3):
        await feed(channel, text_update(group, "Hallo", chat_type="group", language="de"))
    sent = request_fake.of("sendMessage")
    assert len(sent) == 1 and "privaten Chats" in sent[0]["text"]
    assert rasa.texts == []


async def test_blocked_bot_marks_the_conversation_and_is_not_retried(
    channel: TelegramChannel, request_fake: OfflineRequest
) -> None:
    request_fake.responders.append(
        lambda name, _: (
            (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})
            if name == "sendMessage"
            else None
        )
    )
    chat = chat_id()
    await feed(channel, text_update(chat, "Hallo"))
    assert len(request_fake.of("sendMessage")) == 1
    assert [m.status for m in outgoing(channel, chat)] == [MessageStatus.FAILED]
    conv = conversation(channel, chat)
    assert conv is not None and conv.channel_address is None
    await channel.deliver(channel.pseudonym(chat))
    assert len(request_fake.of("sendMessage")) == 1


async def test_network_errors_are_retried(channel: TelegramChannel, request_fake: OfflineRequest) -> None:
    failures = iter(range(2))

    def flaky(name: str, _: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if name == "sendMessage" and next(failures, None) is not None:
            return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
        return None

    request_fake.responders.append(flaky)
    chat = chat_id()
    await feed(channel, text_update(chat, "Hallo"))
    assert len(request_fake.of("sendMessage")) == 3
    assert [m.status for m in outgoing(channel, chat)] == [MessageStatus.DELIVERED]


async def test_replies_produced_later_are_delivered_once(
    channel: TelegramChannel, request_fake: OfflineRequest
) -> None:
    chat = chat_id()
    await feed(channel, text_update(chat, "Hallo"))
    with channel.assistant.sessions.begin() as session:
        conv = session.scalars(
            select(Conversation).where(Conversation.pseudonym == channel.pseudonym(chat))
        ).one()
        for i in range(2):
            session.add(
                Message(
                    conversation_id=conv.id,
                    direction=Direction.OUT,
                    text=f"later {i}",
                    status=MessageStatus.PENDING,
                    payload={"text": f"later {i}", "buttons": []},
                )
            )
    pseudonym = channel.pseudonym(chat)
    await asyncio.gather(channel.deliver(pseudonym), channel.deliver(pseudonym), channel.deliver(pseudonym))
    texts = [s["text"] for s in request_fake.of("sendMessage")]
    assert texts[1:] == ["later 0", "later 1"]
    assert {m.status for m in outgoing(channel, chat)} == {MessageStatus.DELIVERED}


async def test_delete_removes_everything_after_confirmation(
    channel: TelegramChannel, request_fake: OfflineRequest, tracker_url: str
) -> None:
    chat, other = chat_id(), chat_id()
    await feed(channel, text_update(chat, "Hallo"))
    await feed(channel, text_update(other, "Hallo"))
    pseudonym = channel.pseudonym(chat)
    with channel.assistant.sessions.begin() as session:
        conv = session.scalars(select(Conversation).where(Conversation.pseudonym == pseudonym)).one()
        session.add(Handover(conversation_id=conv.id, reason="requested", language="de"))
    tracker = create_engine(tracker_url)
    with tracker.begin() as conn:
        for sender in (pseudonym, pseudonym, channel.pseudonym(other)):
            conn.execute(text("INSERT INTO events (sender_id, data) VALUES (:s, '{}')"), {"s": sender})
    await feed(channel, text_update(chat, "/delete", language="de"))
    confirm = request_fake.of("sendMessage")[-1]
    assert [row[0]["callback_data"] for row in confirm["reply_markup"]["inline_keyboard"]] == [
        DELETE_CONFIRM,
        "lotse:keep",
    ]
    assert conversation(channel, chat) is not None  # not before the confirmation
    await feed(channel, callback_update(chat, DELETE_CONFIRM))
    assert conversation(channel, chat) is None
    with channel.assistant.sessions() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Handover).where(Handover.conversation_id == conv.id)
            )
            == 0
        )
        assert (
            session.scalar(
                select(func.count()).select_from(Message).where(Message.conversation_id == conv.id)
            )
            == 0
        )
    with tracker.connect() as conn:
        senders = conn.execute(text("SELECT sender_id FROM events")).scalars().all()
    tracker.dispose()
    assert senders == [channel.pseudonym(other)]
    assert conversation(channel, other) is not None
    assert "deleted" in request_fake.of("sendMessage")[-1]["text"]


async def test_commands_are_registered_in_every_language(
    channel: TelegramChannel, request_fake: OfflineRequest
) -> None:
    await channel._set_commands()
    calls = request_fake.of("setMyCommands")
    assert [c.get("language_code") for c in calls] == [None, *LANGUAGES]
    assert all(
        [cmd["command"] for cmd in c["commands"]] == ["start", "menu", "language", "human", "delete", "help"]
        for c in calls
    )
    russian = next(c for c in calls if c.get("language_code") == "ru")
    assert russian["commands"][4]["description"] == "Удалить мои данные"


async def test_polling_confirms_updates_only_after_handling(
    channel: TelegramChannel, request_fake: OfflineRequest, rasa: FakeRasa
) -> None:
    chat = chat_id()
    batches = [[text_update(chat, "eins", update_id=5), text_update(chat, "zwei", update_id=6)]]

    def updates(name: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if name != "getUpdates":
            return None
        return 200, {"ok": True, "result": batches.pop(0) if batches else []}

    request_fake.responders.append(updates)
    task = asyncio.create_task(channel._poll())
    for _ in range(100):
        if len(request_fake.of("getUpdates")) >= 2:
            break
        await asyncio.sleep(0.02)
    task.cancel()
    polls = request_fake.of("getUpdates")
    assert polls[0].get("offset") is None and polls[1]["offset"] == 7
    assert rasa.texts == ["eins", "zwei"]


async def test_a_voice_message_in_an_existing_conversation_is_noted_without_its_content(
    channel: TelegramChannel, request_fake: OfflineRequest, rasa: FakeRasa
) -> None:
    chat = chat_id()
    await feed(channel, text_update(chat, "Hallo", language="de"))
    base = text_update(chat, "x", language="de")["message"]
    voice = {k: v for k, v in base.items() if k != "text"} | {
        "voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}
    }
    await feed(channel, {"update_id": 42_000 + chat, "message": voice})
    with channel.assistant.sessions() as session:
        notes = session.scalars(
            select(Message)
            .join(Conversation)
            .where(Conversation.pseudonym == channel.pseudonym(chat), Message.direction == Direction.IN)
            .order_by(Message.id)
        ).all()
        assert [(m.text, m.payload) for m in notes][-1] == ("", {"non_text": "voice"})
        assert notes[-1].status == MessageStatus.HUMAN
        assert notes[-1].conversation.state == ConversationState.HANDOVER
    assert rasa.texts == ["Hallo"]
    # the same update delivered again changes nothing
    await feed(channel, {"update_id": 42_000 + chat, "message": voice})
    with channel.assistant.sessions() as session:
        count = session.scalar(
            select(func.count(Message.id))
            .join(Conversation)
            .where(Conversation.pseudonym == channel.pseudonym(chat), Message.direction == Direction.IN)
        )
        assert count == 2


async def test_one_chat_cannot_flood_the_assistant(
    tg_settings: Settings, request_fake: OfflineRequest, rasa: FakeRasa
) -> None:
    settings = tg_settings.model_copy(update={"rate_limit_messages_per_session": "3/minute"})
    sessions = sessionmaker(bind=make_engine(settings.database_url), expire_on_commit=False)
    assistant = Assistant(settings=settings, sessions=sessions, rasa=rasa)  # type: ignore[arg-type]
    tg = TelegramChannel(settings, assistant, request=request_fake)
    await tg.application.initialize()
    try:
        flooder, other = chat_id(), chat_id()
        for i in range(6):
            await feed(tg, text_update(flooder, f"spam {i}"))
        await feed(tg, text_update(other, "Hallo"))
        assert rasa.texts == ["spam 0", "spam 1", "spam 2", "Hallo"]
    finally:
        await tg.application.shutdown()
        sessions.kw["bind"].dispose()
