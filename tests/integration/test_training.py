"""Retraining from the console, for real: a stack of its own (the production model in Rasa), approved
staged examples that teach a made-up word ("zorblat", a rental deposit), a real ``rasa train`` run
by the app's job (English NLU data only and few epochs, so it takes about a minute; cached by a hash
of its inputs in the model cache, so an unchanged tree does not train it again), the evaluation of
old and new model, activation on the running Rasa while a person chats (no message fails), the new
model answering the taught question, and roll back to the previous model."""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from playwright.sync_api import Browser, Page, expect

import bot.models  # noqa: F401 - every table, for the foreign keys of staged_examples
from bot.config import PROJECT_ROOT, get_settings
from bot.db import session_scope
from bot.insights.models import StagedExample, StagedStatus
from bot.stack import Stack
from tests.integration.conftest import RASA_TOKEN, Person, staff_token

TAUGHT = [
    "my flat owner keeps the zorblat money",
    "how do I get my zorblat back after moving out",
    "zorblat not returned by the landlord",
    "the landlord wants a bigger zorblat",
    "does the jobcenter pay the zorblat",
    "zorblat for the new flat",
    "can I pay the zorblat in parts",
]
PROBE = "where is my zorblat"
PASSWORD = "integration test password"


def small_training(work: Path) -> dict[str, str]:
    """English NLU data of every topic and a config with few epochs (a small, quick model)."""
    nlu = work / "nlu"
    nlu.mkdir(parents=True)
    for path in sorted((PROJECT_ROOT / "nlu_data").glob("*/en.yml")):
        shutil.copyfile(path, nlu / f"{path.parent.name}-en.yml")
    shutil.copyfile(PROJECT_ROOT / "nlu_data" / "conversation" / "entities.yml", nlu / "entities.yml")
    config = yaml.safe_load((PROJECT_ROOT / "assistant" / "config.yml").read_text(encoding="utf-8"))
    for component in config["pipeline"]:
        if component["name"] == "DIETClassifier":
            component["epochs"] = 20
        if component["name"] == "ResponseSelector":
            component["epochs"] = 5
    (work / "config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    english = [
        line
        for line in (PROJECT_ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip() and json.loads(line)["lang"] == "en"
    ]
    (work / "eval.jsonl").write_text("\n".join(english) + "\n", encoding="utf-8")
    return {
        "LOTSE_TRAINING_NLU_DIR": str(nlu),
        "LOTSE_TRAINING_CONFIG": str(work / "config.yml"),
        "LOTSE_TRAINING_EVAL_PATH": str(work / "eval.jsonl"),
        "LOTSE_MODEL_CACHE_DIR": str(get_settings().model_cache_dir),
    }


@pytest.fixture(scope="module")
def training_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("retrain")
    with Stack.create(extra_env=small_training(work)) as running:
        yield running


def rasa_model_file(stack: Stack) -> str:
    status = httpx.get(f"{stack.rasa_url}/status", params={"token": RASA_TOKEN}, timeout=30)
    return str(status.raise_for_status().json()["model_file"])


def parse(stack: Stack, text: str) -> dict[str, Any]:
    response = httpx.post(
        f"{stack.rasa_url}/model/parse", params={"token": RASA_TOKEN}, json={"text": text}, timeout=60
    )
    body: dict[str, Any] = response.raise_for_status().json()
    return body


class Chatter(threading.Thread):
    """A person asking again and again until stopped; the reply keys of each message."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(daemon=True)
        self.stack, self.stop = stack, threading.Event()
        self.keys: list[list[str]] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with Person(self.stack, "en") as person:
                while not self.stop.is_set():
                    body = person.say("how do I find a flat")
                    self.keys.append([r.get("key") for r in body["replies"]])
        except BaseException as exc:  # reported by the test
            self.error = exc

    def finish(self) -> list[list[str]]:
        """One more message after the switch, then the reply keys of all."""
        time.sleep(0.5)
        self.stop.set()
        self.join(timeout=120)
        assert self.error is None, self.error
        assert self.keys, "no message was sent"
        return self.keys


def job_status(page: Page, job_id: int, status: str) -> None:
    """Reload the page until the job's row shows ``status`` (activation and roll back reload it)."""
    expect(page.locator(f"#job-{job_id}")).to_have_attribute("data-status", status, timeout=600_000)


def test_retrain_in_the_console_evaluate_activate_while_chatting_and_roll_back(
    training_stack: Stack, browser: Browser, request: pytest.FixtureRequest
) -> None:
    stack = training_stack
    token = staff_token(stack, "it-trainer", "admin")
    with session_scope(stack.env["LOTSE_DATABASE_URL"]) as session:
        session.add_all(
            StagedExample(
                language="en", text=text, target_intent="faq_housing/deposit", status=StagedStatus.APPROVED
            )
            for text in TAUGHT
        )
    before_model = rasa_model_file(stack)
    before_probe = parse(stack, PROBE)["intent"]

    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.goto(f"{stack.app_url}/inbox/login")
    page.get_by_label("Benutzername").fill("it-trainer")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden / Log in").click()
    expect(page).to_have_url(f"{stack.app_url}/inbox")
    page.get_by_role("link", name="Neu trainieren / Retrain").click()
    expect(page.get_by_text(f"{len(TAUGHT)} freigegebenen")).to_be_visible()

    # start in the console; the page follows the job (status, log tail) until it is ready
    page.get_by_role("button", name="Training starten / Start training").click()
    expect(page.locator("#current-status")).to_have_text(re.compile("queued|training|evaluating"))
    http = httpx.Client(
        base_url=f"{stack.app_url}/api/admin/training",
        headers={"Authorization": f"Bearer {token}"},
        timeout=900,
    )
    request.addfinalizer(http.close)  # closed even when an assertion fails
    request.addfinalizer(context.close)
    assert http.post("/jobs").status_code == 409  # one at a time
    job_id = http.get("/jobs").json()[0]["id"]
    expect(page.locator("#current-status")).to_have_text(re.compile("ready|failed"), timeout=1_200_000)
    job = http.get(f"/jobs/{job_id}").json()
    assert job["status"] == "ready", (job["error"], job["log_tail"])
    assert job["staged_examples"] == len(TAUGHT) and job["log_tail"]
    evaluation = job["evaluation"]
    old, new = evaluation["old"], evaluation["new"]
    assert old is not None and new["n"] == old["n"] == 43
    assert set(new["by_language"]) == {"en"} and "housing" in new["by_topic"]
    table = page.locator("#evaluation")
    expect(table).to_contain_text("Sprache / Language: en")
    expect(table).to_contain_text("Thema / Topic: housing")
    print(  # the measured numbers, for the report (pytest -s)
        f"\nold {old['accuracy']:.1%} / new {new['accuracy']:.1%} on {new['n']} English questions; "
        "by topic: "
        + ", ".join(
            f"{t} {old['by_topic'][t]['accuracy']:.0%}->{m['accuracy']:.0%}"
            for t, m in new["by_topic"].items()
        )
        + f"; probe before: {before_probe}"
    )
    if job["worse"]:
        refused = http.post(f"/jobs/{job_id}/activate", json={})
        assert refused.status_code == 409 and "override" in refused.json()["detail"]
        page.locator(f"input.override[data-job='{job_id}']").check()

    # activation in the console while a person chats: every message gets its answer, none "unavailable"
    chatter = Chatter(stack)
    chatter.start()
    started_at = time.monotonic()
    page.locator(f"button.activate[data-job='{job_id}']").click()
    job_status(page, job_id, "activated")
    keys = chatter.finish()
    print(f"activation {time.monotonic() - started_at:.1f} s, {len(keys)} messages answered meanwhile")
    assert all(k and "utter_unavailable" not in k for k in keys), keys
    assert Path(rasa_model_file(stack)).name == Path(job["model_path"]).name
    # the new model learned the taught word, and the chat answers with the deposit answer
    after = parse(stack, PROBE)
    print(f"probe after: {after['intent']}")
    assert after["intent"]["name"] == "faq_housing"
    with Person(stack, "en") as person:
        replies = person.say(PROBE)["replies"]
        assert any("deposit" in (r.get("key") or "") for r in replies), replies

    # roll back in the console: the previous model again, still without a failed message
    chatter = Chatter(stack)
    chatter.start()
    started_at = time.monotonic()
    page.locator(f"button.rollback[data-job='{job_id}']").click()
    job_status(page, job_id, "rolled_back")
    keys = chatter.finish()
    print(f"roll back {time.monotonic() - started_at:.1f} s, {len(keys)} messages answered meanwhile")
    assert all(k and "utter_unavailable" not in k for k in keys), keys
    assert rasa_model_file(stack) == before_model
    assert parse(stack, PROBE)["intent"]["name"] == before_probe["name"]
    audit = httpx.get(
        f"{stack.app_url}/api/admin/audit", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    actions = {e["action"] for e in audit.raise_for_status().json()}
    assert {"training_started", "model_activated", "model_rolled_back"} <= actions
