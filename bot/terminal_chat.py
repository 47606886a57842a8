"""``lotse chat``: talk to Lotse in a terminal, through the running app's chat API."""

from __future__ import annotations

import json
import uuid

import httpx


def _show(replies: list[dict[str, object]]) -> int:
    last = 0
    for reply in replies:
        print(f"\nLotse: {reply['text']}")
        buttons = reply.get("buttons") or []
        if isinstance(buttons, list) and buttons:
            for n, button in enumerate(buttons, 1):
                print(f"  [{n}] {button['title']}")
        last = max(last, int(str(reply["id"])))
    return last


def chat(url: str, *, language: str | None = None) -> int:
    """Read lines from stdin, print Lotse's answers; a number picks a button of the last answer."""
    with httpx.Client(base_url=url.rstrip("/"), timeout=60) as http:
        try:
            session = (
                http.post("/api/chat/sessions", json={"language_hint": language}).raise_for_status().json()
            )
        except httpx.HTTPError as exc:
            print(f"Lotse is not reachable at {url} ({exc}). Start it with `make run`.")
            return 1
        http.headers["X-Lotse-Session"] = session["session"]
        print("Lotse – type your question (Ctrl-D to quit). Numbers choose a button.")
        buttons: list[dict[str, str]] = []
        last_id = 0
        first = f"/choose_language{json.dumps({'language': language})}" if language else "/greet"
        pending: str | None = first
        while True:
            if pending is None:
                try:
                    line = input("\nYou: ")
                except EOFError:
                    print()
                    return 0
                if line.strip().isdigit() and 0 < int(line) <= len(buttons):
                    line = buttons[int(line) - 1]["payload"]
                pending = line
            later = http.get("/api/chat/messages", params={"after": last_id}).json()
            if later:
                last_id = max(last_id, _show(later))
            body = {"text": pending, "client_id": str(uuid.uuid4())}
            pending = None
            response = http.post("/api/chat/messages", json=body)
            if response.status_code != 200:
                print(f"(error {response.status_code}: {response.text[:200]})")
                continue
            replies = response.json()["replies"]
            last_id = max(last_id, _show(replies))
            buttons = next((r["buttons"] for r in reversed(replies) if r.get("buttons")), [])
