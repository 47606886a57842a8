"""Retraining from the console, for real: a stack of its own (the production model in Rasa), approved
staged examples that teach a made-up word ("zorblat", a rental deposit), a real ``rasa train`` run
by the app's job (English NLU data only and few epochs, so it takes about a minute; cached by a hash
of its inputs in the model cache, so an unchanged tree does not train it again), the evaluation of
old and new model, activation on the running Rasa while a person chats (no message fails), the new
model answering the taught question, and roll back to the previous model."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

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


def chat_during(stack: Stack, action: threading.Thread) -> list[list[str]]:
    """Send messages while ``action`` runs (and one after it); the reply keys of each."""
    keys = []
    with Person(stack, "en") as person:
        action.start()
        while True:
            running = action.is_alive()
            body = person.say("how do I find a flat")
            keys.append([r.get("key") for r in body["replies"]])
            if not running:
                return keys


def test_retrain_evaluate_activate_while_chatting_and_roll_back(training_stack: Stack) -> None:
    stack = training_stack
    admin = {"Authorization": f"Bearer {staff_token(stack, 'it-trainer', 'admin')}"}
    with session_scope(stack.env["LOTSE_DATABASE_URL"]) as session:
        session.add_all(
            StagedExample(
                language="en", text=text, target_intent="faq_housing/deposit", status=StagedStatus.APPROVED
            )
            for text in TAUGHT
        )
    before_model = rasa_model_file(stack)
    before_probe = parse(stack, PROBE)["intent"]

    http = httpx.Client(base_url=f"{stack.app_url}/api/admin/training", headers=admin, timeout=900)
    started = http.post("/jobs")
    assert started.status_code == 201, started.text
    job_id = started.json()["id"]
    assert http.post("/jobs").status_code == 409  # one at a time
    deadline = time.monotonic() + 1200
    while (job := http.get(f"/jobs/{job_id}").json())["status"] not in ("ready", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(2)
    assert job["status"] == "ready", (job["error"], job["log_tail"])
    assert job["staged_examples"] == len(TAUGHT)
    evaluation = job["evaluation"]
    old, new = evaluation["old"], evaluation["new"]
    assert old is not None and new["n"] == old["n"] == 43
    assert set(new["by_language"]) == {"en"} and "housing" in new["by_topic"]
    print(  # the measured numbers, for the report (pytest -s)
        f"\nold {old['accuracy']:.1%} / new {new['accuracy']:.1%} on {new['n']} English questions; "
        f"by topic: "
        + ", ".join(
            f"{t} {old['by_topic'][t]['accuracy']:.0%}->{m['accuracy']:.0%}"
            for t, m in new["by_topic"].items()
        )
        + f"; probe before: {before_probe}"
    )
    if job["worse"]:
        refused = http.post(f"/jobs/{job_id}/activate", json={})
        assert refused.status_code == 409 and "override" in refused.json()["detail"]

    # activation while a person chats: every message gets its real answer, none "unavailable"
    result: dict[str, httpx.Response] = {}

    def activate() -> None:
        result["r"] = http.post(f"/jobs/{job_id}/activate", json={"override": bool(job["worse"])})

    started_at = time.monotonic()
    keys = chat_during(stack, threading.Thread(target=activate))
    print(f"activation {time.monotonic() - started_at:.1f} s, {len(keys)} messages answered meanwhile")
    assert result["r"].status_code == 200, result["r"].text
    assert result["r"].json()["status"] == "activated"
    assert all(k and "utter_unavailable" not in k for k in keys), keys
    assert Path(rasa_model_file(stack)).name == Path(job["model_path"]).name
    # the new model learned the taught word
    after = parse(stack, PROBE)
    print(f"probe after: {after['intent']}")
    assert after["intent"]["name"] == "faq_housing"
    with Person(stack, "en") as person:
        replies = person.say(PROBE)["replies"]
        assert any("deposit" in (r.get("key") or "") for r in replies), replies

    # roll back: the previous model again, still without a failed message
    result.clear()

    def roll_back() -> None:
        result["r"] = http.post(f"/jobs/{job_id}/rollback")

    started_at = time.monotonic()
    keys = chat_during(stack, threading.Thread(target=roll_back))
    print(f"roll back {time.monotonic() - started_at:.1f} s, {len(keys)} messages answered meanwhile")
    assert result["r"].status_code == 200, result["r"].text
    assert result["r"].json()["status"] == "rolled_back"
    assert all(k and "utter_unavailable" not in k for k in keys), keys
    assert rasa_model_file(stack) == before_model
    assert parse(stack, PROBE)["intent"]["name"] == before_probe["name"]
    http.close()
