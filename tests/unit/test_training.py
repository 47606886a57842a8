"""Retraining from the console: the job's states, one job at a time, the 'worse model needs
override' rule, activation and roll back, audit, restart recovery, permissions (SQLite, TestClient).

A real ``rasa train`` cannot run in a unit test: the training command is replaced by a tiny Python
script that prints a few lines and writes a model file, the evaluation by fixed figures, and Rasa's
``PUT /model`` by a recorder. tests/integration/test_training.py does all of it for real."""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from admin_api.audit.models import AuditEntry
from admin_api.staff.models import Role
from admin_api.staff.service import create_user, issue_token
from bot.config import Settings
from bot.db import session_scope, utcnow
from bot.evaluation import Case
from bot.insights.models import StagedExample, StagedStatus
from bot.rasa_config import active_model, current_model, rasa_command
from bot.training import service
from bot.training.model_server import served_model
from bot.training.models import JobStatus, TrainingJob
from bot.web.app import create_app
from tests.conftest import make_settings, own_database

FAKE_TRAIN = """
import pathlib, sys, time
out, name, gate = pathlib.Path(sys.argv[1]), sys.argv[2], pathlib.Path(sys.argv[3])
print("Epochs: 1/3", flush=True)
while gate.exists():  # the test holds the job in 'training' while this file exists
    time.sleep(0.05)
if (out.parent / "fail").exists():
    print("training went wrong", flush=True)
    sys.exit(3)
print("Your Rasa model is trained", flush=True)
(out / (name + ".tar.gz")).write_bytes(b"model")
"""


def evaluation(old: float | None, new: float) -> dict[str, Any]:
    def figures(acc: float) -> dict[str, Any]:
        return {
            "n": 10,
            "accuracy": acc,
            "by_language": {"en": {"n": 10, "accuracy": acc}},
            "by_topic": {"housing": {"n": 10, "accuracy": acc}},
        }

    return {
        "set": "eval/questions.jsonl",
        "threshold": 0.8,
        "old": None if old is None else figures(old),
        "old_error": None if old is not None else "Rasa down",
        "new": figures(new),
    }


@dataclass
class Env:
    client: TestClient
    url: str
    settings: Settings
    tokens: dict[str, str]
    gate: Path
    loaded: list[Path] = field(default_factory=list)
    scores: dict[str, float | None] = field(default_factory=lambda: {"old": 0.5, "new": 0.6})

    def headers(self, role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role != "anonymous" else {}

    def wait(self, job_id: int, *statuses: str, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job: dict[str, Any] = self.client.get(
                f"/api/admin/training/jobs/{job_id}", headers=self.headers()
            ).json()
            if job["status"] in statuses:
                return job
            assert time.monotonic() < deadline, job
            time.sleep(0.05)

    def trained(self) -> dict[str, Any]:
        """A job run to its end (ready or failed)."""
        response = self.client.post("/api/admin/training/jobs", headers=self.headers())
        assert response.status_code == 201, response.text
        return self.wait(response.json()["id"], "ready", "failed")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    url = own_database("training", "sqlite", tmp_path_factory, seeded=False)
    tmp = tmp_path_factory.mktemp("training")
    nlu = tmp / "nlu"
    nlu.mkdir()
    (nlu / "en.yml").write_text('version: "3.1"\nnlu: []\n', encoding="utf-8")
    config = tmp / "config.yml"
    config.write_text("pipeline:\n  - name: FallbackClassifier\n    threshold: 0.8\n", encoding="utf-8")
    tokens: dict[str, str] = {}
    with session_scope(url) as session:
        for role in (Role.CASEWORKER, Role.ADMIN):
            user = create_user(
                session, username=f"t-{role.value}", password="a long enough password", role=role
            )
            tokens[role.value] = issue_token(session, user=user, name="test")[1]
    settings = make_settings(
        database_url=url,
        rasa_url="http://127.0.0.1:9",
        training_dir=tmp / "training",
        training_config=config,
        training_nlu_dir=nlu,
        model_cache_dir=tmp / "cache",
    )
    gate = tmp / "gate"
    patch = pytest.MonkeyPatch()
    environment = Env(TestClient(create_app(settings)), url, settings, tokens, gate)

    def command(settings: Settings, *, data: list[Path], out: Path, name: str) -> list[str]:
        return [sys.executable, "-c", FAKE_TRAIN, str(out), name, str(gate)]

    def evaluate(settings: Settings, model: Path) -> dict[str, Any]:
        return evaluation(environment.scores["old"], environment.scores["new"] or 0.0)

    def load(settings: Settings, model: Path) -> None:
        # while the app waits for Rasa, what Rasa's processes get when they ask is this model
        served = served_model(settings)
        assert served is not None and served.path == model.resolve(), (served, model)
        environment.loaded.append(model)

    patch.setattr(service, "training_command", command)
    patch.setattr(service, "evaluate", evaluate)
    patch.setattr(service, "wait_until_rasa_runs", load)
    with environment.client:
        yield environment
    patch.undo()


def audited(env: Env, action: str) -> list[dict[str, Any]]:
    with session_scope(env.url) as session:
        return [
            dict(e.detail) for e in session.scalars(select(AuditEntry).where(AuditEntry.action == action))
        ]


def test_a_job_trains_evaluates_and_only_one_runs_at_a_time(env: Env) -> None:
    with session_scope(env.url) as session:
        session.add(
            StagedExample(
                language="en",
                text="can my landlord keep the deposit",
                target_intent="faq_housing/deposit",
                status=StagedStatus.APPROVED,
            )
        )
    env.gate.touch()
    started = env.client.post("/api/admin/training/jobs", headers=env.headers())
    assert started.status_code == 201
    job_id = started.json()["id"]
    running = env.wait(job_id, "training")
    assert running["started_by"] == "t-admin" and running["staged_examples"] == 1
    # one at a time
    second = env.client.post("/api/admin/training/jobs", headers=env.headers())
    assert second.status_code == 409
    # the log tail shows while it runs
    deadline = time.monotonic() + 10
    while "Epochs" not in env.wait(job_id, "training")["log_tail"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    env.gate.unlink()
    done = env.wait(job_id, "ready")
    assert done["model_path"] and Path(done["model_path"]).read_bytes() == b"model"
    assert "Your Rasa model is trained" in done["log_tail"]
    assert done["evaluation"]["new"]["accuracy"] == 0.6 and done["worse"] is False
    assert done["finished_at"] is not None
    # the staged example went into the training data
    staged = service.job_dir(env.settings, job_id) / "staged" / "staged.yml"
    assert "faq_housing/deposit" in staged.read_text(encoding="utf-8")
    assert audited(env, "training_started")[-1] == {"job": job_id}
    # unchanged inputs: the next job takes the model from the cache without training
    again = env.trained()
    assert again["status"] == "ready" and "taken from the cache" in again["log_tail"]


def test_a_failed_training_frees_the_slot(env: Env) -> None:
    (env.settings.training_dir / "fail").touch()
    with session_scope(env.url) as session:  # new inputs: no cached model
        session.add(
            StagedExample(
                language="en",
                text="flat too small",
                target_intent="faq_housing/size",
                status=StagedStatus.APPROVED,
            )
        )
    try:
        failed = env.trained()
    finally:
        (env.settings.training_dir / "fail").unlink()
    assert failed["status"] == "failed" and "exit code 3" in failed["error"]
    assert "training went wrong" in failed["log_tail"]
    activate = env.client.post(
        f"/api/admin/training/jobs/{failed['id']}/activate", json={}, headers=env.headers()
    )
    assert activate.status_code == 409
    assert env.trained()["status"] == "ready"  # a new job may start


def test_a_worse_model_needs_the_override_then_roll_back_restores(env: Env) -> None:
    env.scores.update(old=0.7, new=0.6)
    with session_scope(env.url) as session:
        session.add(
            StagedExample(
                language="en",
                text="worse model text",
                target_intent="faq_housing/size",
                status=StagedStatus.APPROVED,
            )
        )
    job = env.trained()
    assert job["worse"] is True
    path = f"/api/admin/training/jobs/{job['id']}"
    refused = env.client.post(f"{path}/activate", json={"override": False}, headers=env.headers())
    assert refused.status_code == 409 and "override" in refused.json()["detail"]
    assert env.loaded == []
    before = current_model(env.settings)
    done = env.client.post(f"{path}/activate", json={"override": True}, headers=env.headers())
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "activated" and body["override"] is True and body["activated_by"] == "t-admin"
    assert env.loaded == [Path(job["model_path"])]
    assert service.active_link(env.settings).resolve() == Path(job["model_path"]).resolve()
    # 'lotse run rasa' starts from the activated model
    command = rasa_command(env.settings, Path("endpoints.yml"))
    assert command[command.index("--model") + 1] == str(Path(job["model_path"]).resolve())
    assert audited(env, "model_activated")[-1]["override"] is True
    # activating twice: not a ready job any more
    assert env.client.post(f"{path}/activate", json={}, headers=env.headers()).status_code == 409
    if before is None:  # no model in models/ on this machine: nothing to roll back to
        assert env.client.post(f"{path}/rollback", headers=env.headers()).status_code == 409
        return
    back = env.client.post(f"{path}/rollback", headers=env.headers())
    assert back.status_code == 200 and back.json()["status"] == "rolled_back"
    assert env.loaded[-1] == before
    assert current_model(env.settings) == before.resolve()
    assert audited(env, "model_rolled_back")[-1]["job"] == job["id"]
    assert env.client.post(f"{path}/rollback", headers=env.headers()).status_code == 409


def test_activating_a_second_model_keeps_the_first_for_roll_back(env: Env) -> None:
    env.scores.update(old=0.5, new=0.6)
    first = second = None
    for text in ("first better model", "second better model"):
        with session_scope(env.url) as session:
            session.add(
                StagedExample(
                    language="en", text=text, target_intent="faq_housing/size", status=StagedStatus.APPROVED
                )
            )
        job = env.trained()
        response = env.client.post(
            f"/api/admin/training/jobs/{job['id']}/activate", json={}, headers=env.headers()
        )
        assert response.status_code == 200, response.text
        first, second = second, response.json()
    assert first is not None and second is not None
    assert second["previous_model"] == str(Path(first["model_path"]).resolve())
    earlier = env.client.get(f"/api/admin/training/jobs/{first['id']}", headers=env.headers()).json()
    assert earlier["status"] == "ready"  # superseded, may be activated again
    back = env.client.post(f"/api/admin/training/jobs/{second['id']}/rollback", headers=env.headers())
    assert back.status_code == 200
    assert current_model(env.settings) == Path(first["model_path"]).resolve()


def test_without_a_comparison_activation_needs_the_override(env: Env) -> None:
    env.scores.update(old=None, new=0.9)
    with session_scope(env.url) as session:
        session.add(
            StagedExample(
                language="en",
                text="no comparison",
                target_intent="faq_housing/size",
                status=StagedStatus.APPROVED,
            )
        )
    job = env.trained()
    assert job["worse"] is True
    response = env.client.post(
        f"/api/admin/training/jobs/{job['id']}/activate", json={}, headers=env.headers()
    )
    assert response.status_code == 409


def test_a_rasa_that_does_not_load_the_model_changes_nothing(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.scores.update(old=0.5, new=0.6)
    with session_scope(env.url) as session:
        session.add(
            StagedExample(
                language="en",
                text="rasa refuses",
                target_intent="faq_housing/size",
                status=StagedStatus.APPROVED,
            )
        )
    job = env.trained()
    active = current_model(env.settings)

    def refuse(settings: Settings, model: Path) -> None:
        raise service.RasaLoadFailed("Rasa answered HTTP 500")

    monkeypatch.setattr(service, "wait_until_rasa_runs", refuse)
    response = env.client.post(
        f"/api/admin/training/jobs/{job['id']}/activate", json={}, headers=env.headers()
    )
    assert response.status_code == 503
    assert env.wait(job["id"], "ready")["status"] == "ready"
    assert current_model(env.settings) == active
    served = served_model(env.settings)  # the Rasa processes are sent back to the previous model
    assert (served.path if served else None) == (active.resolve() if active else None)


@pytest.mark.parametrize(("role", "expected"), [("anonymous", 401), ("caseworker", 403), ("admin", 200)])
def test_only_admins(env: Env, role: str, expected: int) -> None:
    assert env.client.get("/api/admin/training/jobs", headers=env.headers(role)).status_code == expected
    start = env.client.post("/api/admin/training/jobs", headers=env.headers(role))
    assert start.status_code == (expected if role != "admin" else start.status_code)
    for action in ("activate", "rollback"):
        response = env.client.post(f"/api/admin/training/jobs/1/{action}", json={}, headers=env.headers(role))
        assert response.status_code == (expected if role != "admin" else response.status_code)
    if role == "admin":
        env.wait(start.json()["id"], "ready", "failed")


def test_the_page_is_for_admins(env: Env) -> None:
    client = TestClient(env.client.app, follow_redirects=False)
    assert client.get("/inbox/training").status_code == 303  # not logged in: to the login page
    for role, expected in (("caseworker", 403), ("admin", 200)):
        client.cookies.clear()
        login = client.post(
            "/api/admin/auth/login", json={"username": f"t-{role}", "password": "a long enough password"}
        )
        assert login.status_code == 200, login.text
        page = client.get("/inbox/training")
        assert page.status_code == expected
    assert "Training starten" in page.text and 'id="training-link"' in page.text
    assert "Genauigkeit" in page.text


def test_a_job_of_a_gone_process_fails_on_restart(env: Env) -> None:
    host, now = socket.gethostname(), utcnow()
    runners = {
        "dead pid here": (f"{host}:999999999:abcd", now, JobStatus.FAILED),
        "this pid, earlier process (restarted container)": (
            f"{host}:{os.getpid()}:old",
            now,
            JobStatus.FAILED,
        ),
        "live on another host": ("another-host:1:x", now, JobStatus.TRAINING),
        "another host, silent for 6 minutes": (
            "another-host:2:x",
            now - timedelta(minutes=6),
            JobStatus.FAILED,
        ),
        "queued, never started": (None, None, JobStatus.FAILED),
    }
    with session_scope(env.url) as session:
        jobs = {
            name: TrainingJob(status=JobStatus.TRAINING, runner=runner, heartbeat_at=beat)
            for name, (runner, beat, _) in runners.items()
        }
        session.add_all(jobs.values())
        session.flush()
        ids = {name: job.id for name, job in jobs.items()}
    with session_scope(env.url) as session:
        assert service.recover_interrupted(session) == 4
    with session_scope(env.url) as session:
        for name, (_, _, expected) in runners.items():
            job = session.get(TrainingJob, ids[name])
            assert job is not None and job.status == expected, name
            if expected == JobStatus.FAILED:
                assert "interrupted" in (job.error or "") and job.slot is None
    # the live one blocks a new job until its heartbeat is 5 minutes old; then a start fails it first
    assert env.client.post("/api/admin/training/jobs", headers=env.headers()).status_code == 409
    with session_scope(env.url) as session:
        live = session.get(TrainingJob, ids["live on another host"])
        assert live is not None
        live.heartbeat_at = now - timedelta(minutes=6)
    started = env.client.post("/api/admin/training/jobs", headers=env.headers())
    assert started.status_code == 201
    env.wait(started.json()["id"], "ready", "failed")
    with session_scope(env.url) as session:
        job = session.get(TrainingJob, ids["live on another host"])
        assert job is not None and job.status == JobStatus.FAILED


def test_summary_per_language_and_topic() -> None:
    cases = [Case("a", "en", "housing"), Case("b", "en", "education"), Case("c", "ar", "housing")]
    out = service.summarize([(cases[0], "housing"), (cases[1], "asked_back"), (cases[2], "education")])
    assert out["n"] == 3 and out["accuracy"] == pytest.approx(1 / 3, abs=1e-3)
    assert out["asked_back"] == pytest.approx(1 / 3, abs=1e-3)
    assert out["by_language"]["en"] == {"n": 2, "accuracy": 0.5, "asked_back": 0.5, "wrong": 0.0}
    assert out["by_topic"]["housing"]["accuracy"] == 0.5
    assert service._worse(evaluation(0.5, 0.49)) and not service._worse(evaluation(0.5, 0.5))


def test_a_production_model_deployed_after_an_activation_wins(tmp_path: Path) -> None:
    settings = make_settings(training_dir=tmp_path / "training")
    candidate, production = tmp_path / "candidate.tar.gz", tmp_path / "lotse.tar.gz"
    candidate.write_bytes(b"c")
    production.write_bytes(b"p")
    os.utime(production, (1_000_000, 1_000_000))  # trained long before the activation
    service._link_active(settings, candidate)
    assert active_model(settings, production) == candidate.resolve()
    later = time.time() + 60
    os.utime(production, (later, later))  # `make train` after the activation (an upgrade, new data)
    assert active_model(settings, production) is None


def test_fallback_threshold_reads_the_tiered_classifier_and_the_shipped_config(tmp_path: Path) -> None:
    """The console's model comparison decides like the served model: it must read the per-intent
    thresholds of Lotse's TieredFallbackClassifier, not only Rasa's plain FallbackClassifier."""
    config = tmp_path / "config.yml"
    config.write_text(
        "pipeline:\n"
        "  - name: WhitespaceTokenizer\n"
        "  - name: lotse_fallback.TieredFallbackClassifier\n"
        "    threshold: 0.7\n"
        "    ambiguity_threshold: 0.08\n"
        "    intent_thresholds:\n"
        "      out_of_scope: 0.2\n",
        encoding="utf-8",
    )
    assert service.fallback_threshold(config) == (0.7, 0.08, {"out_of_scope": 0.2})
    config.write_text("pipeline:\n  - name: FallbackClassifier\n    threshold: 0.4\n", encoding="utf-8")
    assert service.fallback_threshold(config) == (0.4, 0.1, {})
    config.write_text("pipeline:\n  - name: WhitespaceTokenizer\n", encoding="utf-8")
    assert service.fallback_threshold(config) == (0.0, 0.0, {})
    shipped, ambiguity, per_intent = service.fallback_threshold(
        Path(__file__).resolve().parents[2] / "assistant" / "config.yml"
    )
    assert 0.0 < per_intent["out_of_scope"] < shipped and 0.0 < ambiguity < shipped
