"""A caseworker takes over a handed-over conversation and hands it back, on the real stack."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from bot.stack import Stack
from tests.integration.conftest import Person, rasa_tracker, staff_token


def test_claim_race_reply_and_hand_back(stack: Stack, person: Person) -> None:
    anna = staff_token(stack, "anna-it", "caseworker")
    ben = staff_token(stack, "ben-it", "caseworker")
    api = httpx.Client(base_url=f"{stack.app_url}/api/admin", timeout=30)

    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    person.say("مرحبا")
    person.say("بدي احكي مع موظف لو سمحت")
    waiting = api.get("/cases", params={"view": "waiting", "language": "ar"}, headers=auth(anna)).json()[
        "items"
    ]
    case = next(c for c in waiting if c["conversation"] == person.conversation)
    assert case["reason"] == "requested" and case["status"] == "open"

    # two caseworkers press "claim" at the same moment: exactly one gets the case
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(
            pool.map(
                lambda t: api.post(f"/cases/{case['id']}/claim", headers=auth(t)).status_code, [anna, ben]
            )
        )
    assert sorted(results) == [200, 409]
    owner = anna if results[0] == 200 else ben
    other = ben if owner == anna else anna
    assert api.post(f"/cases/{case['id']}/reply", json={"text": "x"}, headers=auth(other)).status_code == 409

    before = max([r["id"] for r in person.later()] or [0])
    sent = api.post(
        f"/cases/{case['id']}/reply", json={"text": "Guten Tag, ich helfe Ihnen."}, headers=auth(owner)
    )
    assert sent.status_code == 201
    delivered = person.later(before)
    assert [r["text"] for r in delivered] == ["Guten Tag, ich helfe Ihnen."]

    # while the case is open the assistant stays silent
    quiet = person.say("شكرا، عندي سؤال عن الجوب سنتر")
    assert quiet["status"] == "human"

    closed = api.post(f"/cases/{case['id']}/close", json={"outcome": "answered"}, headers=auth(owner))
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    notice = person.later(delivered[-1]["id"])
    assert notice and notice[-1]["key"] == "utter_case_closed" and notice[-1]["language"] == "ar"
    assert rasa_tracker(stack, person.conversation)["paused"] is False
    again = person.say("كيف ألاقي بيت بعد الاعتراف؟")
    assert again["replies"] and again["replies"][0]["topic"] == "housing"
    api.close()
