"""The "write to me privately" notice for groups is given once per group across app instances."""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import sessionmaker
from telegram import Update

from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.notices import GroupNotices
from bot.config import Settings
from bot.db import make_engine
from bot.pipeline import Assistant
from tests.unit.telegram.conftest import FakeRasa, OfflineRequest, chat_id, text_update

REDIS = "redis://127.0.0.1:6379/0"


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")


async def _instances(
    settings: Settings, count: int, stack: AsyncExitStack
) -> list[tuple[TelegramChannel, OfflineRequest]]:
    """``count`` app instances of one bot on one database (each with its own process memory)."""
    made = []
    for _ in range(count):
        engine = make_engine(settings.database_url)
        stack.callback(engine.dispose)
        assistant = Assistant(settings=settings, sessions=sessionmaker(bind=engine), rasa=FakeRasa())  # type: ignore[arg-type]
        request = OfflineRequest()
        channel = TelegramChannel(settings, assistant, request=request)
        await channel.application.initialize()
        stack.push_async_callback(channel.application.shutdown)
        channel.ready.set()
        made.append((channel, request))
    return made


async def _feed(channel: TelegramChannel, data: dict[str, Any]) -> None:
    await channel.application.process_update(Update.de_json(data, channel.application.bot))


def _notices(instances: list[tuple[TelegramChannel, OfflineRequest]]) -> int:
    return sum(len(request.of("sendMessage")) for _, request in instances)


async def test_a_group_writing_through_two_instances_is_told_once_with_redis(tg_settings: Settings) -> None:
    _redis_or_skip()
    settings = tg_settings.model_copy(
        update={"redis_url": REDIS, "pseudonym_key": SecretStr(f"notice-{uuid.uuid4()}")}
    )
    async with AsyncExitStack() as stack:
        instances = await _instances(settings, 2, stack)
        group = -chat_id()
        for n in range(4):  # alternately, as behind a load balancer
            await _feed(instances[n % 2][0], text_update(group, "Hallo", chat_type="group", language="de"))
        assert _notices(instances) == 1
        other = -chat_id()
        await _feed(instances[1][0], text_update(other, "Hallo", chat_type="supergroup", language="de"))
        assert _notices(instances) == 2, "another group is told too"


async def test_without_redis_each_instance_remembers_only_its_own(tg_settings: Settings) -> None:
    """Documents the limit: process memory is per instance (one instance without Redis is the
    supported set-up; several instances need LOTSE_REDIS_URL)."""
    async with AsyncExitStack() as stack:
        instances = await _instances(tg_settings, 2, stack)
        group = -chat_id()
        for n in range(4):
            await _feed(instances[n % 2][0], text_update(group, "Hallo", chat_type="group", language="de"))
        assert [len(r.of("sendMessage")) for _, r in instances] == [1, 1]


def test_an_unreachable_store_tells_the_group_rather_than_fail() -> None:
    from limits.storage import Storage, storage_from_string

    storage = storage_from_string("redis://127.0.0.1:9/0")  # nothing listens on port 9
    assert isinstance(storage, Storage)
    notices = GroupNotices(storage)
    assert notices.first_time("group-a") and notices.first_time("group-a")


def test_the_memory_holds_a_pseudonym_not_the_chat_id(tg_settings: Settings) -> None:
    _redis_or_skip()
    import redis

    settings = tg_settings.model_copy(
        update={"redis_url": REDIS, "pseudonym_key": SecretStr(f"notice-{uuid.uuid4()}")}
    )
    group = -chat_id()
    channel = TelegramChannel(settings, Assistant(settings=settings, sessions=None, rasa=FakeRasa()))  # type: ignore[arg-type]
    assert channel.group_notices.first_time(channel.pseudonym(group))
    keys = [k.decode() for k in redis.Redis.from_url(REDIS).scan_iter(match="*telegram_group_notice*")]
    assert any(channel.pseudonym(group) in k for k in keys)
    assert not any(str(group) in k for k in keys)
