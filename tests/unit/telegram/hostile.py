"""1,000 malformed and unexpected updates, reproducible (used by the unit and the end-to-end tests)."""

from __future__ import annotations

import json
import random
from typing import Any

from tests.unit.telegram.conftest import callback_update, chat_id, text_update


def mutations(rng: random.Random) -> list[Any]:
    chat = chat_id()
    good = text_update(chat, "Hallo")
    junk: list[Any] = [
        b"",
        b"not json",
        b"[1,2,3]",
        b"null",
        b"\xff\xfe",
        b"{",
        b'"text"',
        b"123",
        {},
        {"update_id": "x"},
        {"update_id": None},
        {"update_id": 1, "message": None},
        {"update_id": 2, "message": "hi"},
        {"update_id": 3, "message": {"text": "no chat"}},
        {
            "update_id": 4,
            "message": {"chat": {"id": "abc", "type": "private"}, "date": 1, "message_id": 1, "text": "x"},
        },
        {"update_id": 5, "callback_query": {"id": "1"}},
        {"update_id": 6, "callback_query": {"id": "1", "from": {"id": 1}, "data": {"x": 1}}},
        {"update_id": 7, "edited_message": [1]},
        {"update_id": 8, "poll": {"id": "p"}},
        {"update_id": 9, "my_chat_member": {"chat": {"id": -5, "type": "group"}}},
        {
            "update_id": 10,
            "inline_query": {
                "id": "q",
                "from": {"id": 1, "is_bot": False, "first_name": "x"},
                "query": "x",
                "offset": "",
            },
        },
        callback_update(chat, "x" * 500),
        callback_update(chat, "h:" + "0" * 40),
        text_update(chat, "\x00\u202e" * 3000),
        text_update(-chat, "group", chat_type="supergroup"),
        text_update(chat, "/delete"),
    ]
    out = list(junk)
    keys = ["message", "chat", "from", "text", "date", "message_id", "id", "type", "language_code"]
    values: list[Any] = [
        None,
        "",
        "x",
        -1,
        0,
        2**70,
        1.5,
        [],
        {},
        True,
        "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    ]
    while len(out) < 1000:
        update = json.loads(json.dumps(good))
        target = update["message"] if rng.random() < 0.7 else update
        for _ in range(rng.randint(1, 3)):
            key = rng.choice(keys)
            if rng.random() < 0.3:
                target.pop(key, None)
            else:
                target[key] = rng.choice(values)
        if rng.random() < 0.2 and isinstance(update.get("message"), dict):
            update["message"]["chat"] = rng.choice(values)
        update["update_id"] = rng.choice([rng.randint(1, 10**9), *values])
        out.append(update)
    return out
