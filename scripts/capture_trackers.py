"""Record real tracker JSON for the action tests (tests/rasa/trackers/).

Runs conversations against a fresh stack and saves Rasa's tracker state just before the custom
action under test runs, the way the action server receives it. Run after changing the domain or
the actions: `.venv/bin/python scripts/capture_trackers.py`.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from bot.stack import running_stack

OUT = Path(__file__).resolve().parent.parent / "tests" / "rasa" / "trackers"
TOKEN = "dev-rasa-token-change-me"  # noqa: S105 - the development default of a local stack
ASK_BACK = "Frage zu Familie und Wohnung"
"""Words of housing and family reunification at once: the model asks back (checked when captured)."""

CONVERSATIONS = {
    "one_fallback": ["🙂🙂🙂"],
    "two_fallbacks": ["🙂🙂🙂", "👍👍"],
    "choose_language_ar": ["hallo", "kannst du bitte auf arabisch schreiben"],
    "handover_after_appeal_question": [
        "wie lange habe ich zeit für eine klage gegen den bamf bescheid",
        "ich will mit einem sachbearbeiter sprechen",
    ],
    # an unclear message whose likely topics are offered, then the person picks one
    "ask_back": [ASK_BACK],
    "topic_after_ask_back": [ASK_BACK, '/choose_topic{"topic":"housing"}'],
    "topic_without_ask_back": ['/choose_topic{"topic":"housing"}'],
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with running_stack() as stack, httpx.Client(base_url=stack.rasa_url, timeout=60) as rasa:
        for name, messages in CONVERSATIONS.items():
            sender = f"capture-{name}"
            for text in messages[:-1]:
                rasa.post(
                    "/webhooks/rest/webhook", json={"sender": sender, "message": text}
                ).raise_for_status()
            # the last message is only parsed and logged, so the tracker ends where the action starts
            rasa.post(
                f"/conversations/{sender}/messages",
                params={"token": TOKEN},
                json={"text": messages[-1], "sender": "user"},
            ).raise_for_status()
            tracker = rasa.get(f"/conversations/{sender}/tracker", params={"token": TOKEN}).json()
            (OUT / f"{name}.json").write_text(json.dumps(tracker, ensure_ascii=False, indent=1) + "\n")
        domain = rasa.get("/domain", params={"token": TOKEN}, headers={"Accept": "application/json"}).json()
        (OUT / "domain.json").write_text(json.dumps(domain, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
