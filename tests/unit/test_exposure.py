"""What is exposed beyond this machine: development secrets on public addresses, the internal
endpoints (/nlg, /internal/*), and where Rasa's and the app's tokens travel."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from bot.config import PROJECT_ROOT, Settings
from bot.content.service import seed
from bot.db import session_scope
from bot.rasa_config import RASA_LAUNCHER, endpoints, rasa_command, rasa_env
from bot.web.app import create_app
from tests.conftest import make_settings, migrate

REAL = {"internal_token": "i" * 20, "rasa_token": "r" * 20, "pseudonym_key": "p" * 20}


@pytest.fixture(autouse=True)
def _no_env_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LOTSE_ENV", "LOTSE_APP_HOST", "LOTSE_RASA_URL", *(f"LOTSE_{k.upper()}" for k in REAL)):
        monkeypatch.delenv(name, raising=False)


def test_unset_env_on_loopback_is_development_with_its_secrets() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.env == "development" and settings.secret("internal_token")


@pytest.mark.parametrize(
    "where", [{"app_host": "0.0.0.0"}, {"app_host": "192.0.2.10"}, {"rasa_url": "http://10.0.0.5:5005"}]
)
def test_unset_env_on_a_public_address_is_production(where: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="LOTSE_INTERNAL_TOKEN must be set"):
        Settings(_env_file=None, **where)  # type: ignore[arg-type]
    assert Settings(_env_file=None, **where, **REAL).env == "production"  # type: ignore[arg-type]


def test_development_secrets_are_refused_on_a_public_address_even_in_development() -> None:
    with pytest.raises(ValidationError, match=r"listening on LOTSE_APP_HOST=0\.0\.0\.0"):
        Settings(_env_file=None, env="development", app_host="0.0.0.0")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="real secret"):
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            env="development",
            app_host="0.0.0.0",
            **{**REAL, "rasa_token": "dev-rasa-token-change-me"},  # type: ignore[arg-type]
        )
    assert Settings(_env_file=None, env="development", app_host="0.0.0.0", **REAL)  # type: ignore[arg-type]
    assert Settings(_env_file=None, env="development", app_host="localhost").env == "development"  # type: ignore[call-arg]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('exposure')) / 'lotse.db'}"
    migrate(url)
    with session_scope(url) as session:
        seed(session)
    application = create_app(make_settings(database_url=url, rasa_url="http://127.0.0.1:9"))
    with TestClient(application):  # runs the lifespan once
        yield TestClient(application, client=("127.0.0.1", 40000))


NLG = {"response": "utter_greet", "tracker": {"sender_id": "nobody"}}


@pytest.mark.parametrize("path", ["/nlg", "/internal/handovers"])
def test_internal_endpoints_refuse_other_addresses_even_with_the_token(app: TestClient, path: str) -> None:
    token = {"Authorization": f"Bearer {make_settings().secret('internal_token')}"}
    for client in (("192.0.2.44", 40000), ("testclient", 40000)):
        outside = TestClient(app.app, client=client)
        assert outside.post(path, json=NLG, headers=token).status_code == 403


def test_internal_endpoints_take_the_token_from_the_header_not_the_query(app: TestClient) -> None:
    token = make_settings().secret("internal_token")
    assert app.post(f"/nlg?token={token}", json=NLG).status_code == 401
    answer = app.post("/nlg", json=NLG, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200


def test_rasa_gets_its_tokens_outside_command_lines_and_query_strings(tmp_path: Path) -> None:
    settings = make_settings()
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"")
    argv = rasa_command(settings.model_copy(update={"rasa_model": model}), tmp_path / "endpoints.yml")
    assert settings.secret("rasa_token") not in " ".join(argv) and "--auth-token" not in argv
    assert argv[1] == str(RASA_LAUNCHER)
    assert rasa_env(settings)["LOTSE_RASA_TOKEN"] == settings.secret("rasa_token")
    nlg = endpoints(settings)["nlg"]
    assert "token" not in nlg
    assert nlg["headers"] == {"Authorization": f"Bearer {settings.secret('internal_token')}"}


def test_the_launcher_hands_the_token_to_rasa_inside_the_process(tmp_path: Path) -> None:
    """A stand-in ``rasa`` package records the arguments Rasa's own main() would parse."""
    fake = tmp_path / "rasa"
    fake.mkdir()
    (fake / "__init__.py").write_text("", encoding="utf-8")
    (fake / "__main__.py").write_text(
        "import json, os, sys\n"
        "def main():\n"
        "    print(json.dumps({'argv': sys.argv, 'env': 'LOTSE_RASA_TOKEN' in os.environ}))\n"
        "    return 0\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "LOTSE_RASA_TOKEN": "secret-token-0123456789"}
    out = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "rasa_run.py"), "run", "--enable-api"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    import json

    seen = json.loads(out.stdout)
    assert seen["argv"] == ["rasa", "run", "--enable-api", "--auth-token", "secret-token-0123456789"]
    assert seen["env"] is False  # not passed on to anything Rasa starts


def test_rasa_uses_every_core_only_with_a_shared_lock_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(6)))
    alone = make_settings()
    shared = alone.model_copy(update={"redis_url": "redis://127.0.0.1:6379/0"})
    assert rasa_env(alone)["SANIC_WORKERS"] == "1"  # Rasa's in-memory lock store allows one worker
    assert rasa_env(shared)["SANIC_WORKERS"] == "6"
    assert rasa_env(shared.model_copy(update={"rasa_workers": 2}))["SANIC_WORKERS"] == "2"
    assert rasa_env(alone.model_copy(update={"rasa_workers": 2}))["SANIC_WORKERS"] == "1"
    assert endpoints(shared)["lock_store"]["type"] == "redis"
    # "every core" = every core the process may use: a narrower affinity (systemd CPUAffinity,
    # a container's cpuset, taskset) means fewer workers
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {3})
    assert rasa_env(shared)["SANIC_WORKERS"] == "1"
