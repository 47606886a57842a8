"""The app as Rasa's model server: what a Rasa process gets when it asks for the active model."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.config import Settings
from bot.ops.metrics import MODEL_DOWNLOADS
from bot.rasa_config import endpoints
from bot.training import service
from bot.training.model_server import served_model
from bot.web.app import create_app
from tests.conftest import make_settings, migrate

URL = "/internal/rasa-model"


def _model(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def _downloads(name: str) -> float:
    return MODEL_DOWNLOADS.labels(name)._value.get()


@pytest.fixture
def production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The production model (``models/`` in a checkout), older than anything activated later."""
    model = _model(tmp_path / "models" / "lotse.tar.gz", b"production model bytes")
    os.utime(model, (1_000_000, 1_000_000))
    monkeypatch.setattr("bot.rasa_config.latest_model", lambda: model)
    return model


@pytest.fixture
def settings(tmp_path: Path, production: Path) -> Settings:
    url = f"sqlite:///{tmp_path / 'lotse.db'}"
    migrate(url)
    return make_settings(database_url=url, rasa_url="http://127.0.0.1:9", training_dir=tmp_path / "training")


@pytest.fixture
def rasa(settings: Settings) -> Iterator[TestClient]:
    """A client from loopback with the internal token, as Rasa's model pulling sends it."""
    application = create_app(settings)
    token = {"Authorization": f"Bearer {settings.secret('internal_token')}"}
    with TestClient(application, client=("127.0.0.1", 40000), headers=token) as client:
        yield client


def test_a_rasa_process_gets_the_model_then_not_modified_until_it_changes(
    rasa: TestClient, settings: Settings, production: Path, tmp_path: Path
) -> None:
    before = _downloads("lotse.tar.gz")
    first = rasa.get(URL)
    assert first.status_code == 200 and first.content == b"production model bytes"
    etag = first.headers["etag"]
    assert etag == f'"{hashlib.sha256(b"production model bytes").hexdigest()}"'
    assert first.headers["filename"] == "lotse.tar.gz"  # what Rasa's /status reports as model_file
    assert _downloads("lotse.tar.gz") == before + 1
    # Rasa asks again with the fingerprint it runs: nothing to fetch, nothing counted
    again = rasa.get(URL, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert _downloads("lotse.tar.gz") == before + 1
    # a process that runs something else (a model loaded by hand, a fresh start) gets it
    assert rasa.get(URL, headers={"If-None-Match": '"something else"'}).status_code == 200

    # an activation in the console: the next question gets the new model, with a new fingerprint
    candidate = _model(tmp_path / "training" / "job-1" / "lotse-job-1.tar.gz", b"candidate bytes")
    service._link_active(settings, candidate)
    switched = rasa.get(URL, headers={"If-None-Match": etag})
    assert switched.status_code == 200 and switched.content == b"candidate bytes"
    assert switched.headers["filename"] == "lotse-job-1.tar.gz" and switched.headers["etag"] != etag

    # the production model retrained after the activation wins again (an upgrade), same file name
    production.write_bytes(b"retrained production model")
    later = service.active_link(settings).lstat().st_mtime + 10
    os.utime(production, (later, later))
    retrained = rasa.get(URL, headers={"If-None-Match": switched.headers["etag"]})
    assert retrained.status_code == 200 and retrained.content == b"retrained production model"
    assert retrained.headers["etag"] not in {etag, switched.headers["etag"]}


def test_the_model_is_only_for_internal_clients_with_the_token(rasa: TestClient, settings: Settings) -> None:
    token = {"Authorization": f"Bearer {settings.secret('internal_token')}"}
    outside = TestClient(rasa.app, client=("192.0.2.44", 40000))
    assert outside.get(URL, headers=token).status_code == 403
    loopback = TestClient(rasa.app, client=("127.0.0.1", 40000))
    assert loopback.get(URL).status_code == 401
    assert loopback.get(URL, headers={"Authorization": "Bearer wrong-token"}).status_code == 401


def test_no_model_is_a_404(rasa: TestClient, production: Path) -> None:
    production.unlink()
    assert rasa.get(URL).status_code == 404


def test_rasa_is_told_to_ask_the_app_with_the_token_in_a_header(settings: Settings) -> None:
    models = endpoints(settings.model_copy(update={"rasa_model_pull_s": 7}))["models"]
    assert models["url"] == f"{settings.app_url}/internal/rasa-model"
    assert models["headers"] == {"Authorization": f"Bearer {settings.secret('internal_token')}"}
    assert models["wait_time_between_pulls"] == 7 and "token" not in models


def test_a_failed_activation_sends_the_processes_back_to_the_previous_model(
    settings: Settings, production: Path, tmp_path: Path
) -> None:
    first = _model(tmp_path / "training" / "job-1" / "first.tar.gz", b"first")
    second = _model(tmp_path / "training" / "job-2" / "second.tar.gz", b"second")
    service.switch_model(settings, first, wait=lambda s, m: None)
    assert served_model(settings).path == first.resolve()  # type: ignore[union-attr]
    seen: list[Path] = []

    def never(s: Settings, model: Path) -> None:
        seen.append(served_model(s).path)  # type: ignore[union-attr]
        raise service.RasaLoadFailed("not loaded in time")

    with pytest.raises(service.RasaLoadFailed):
        service.switch_model(settings, second, wait=never)
    assert seen == [second.resolve()]  # offered while waiting
    assert served_model(settings).path == first.resolve()  # type: ignore[union-attr]
    # without an earlier activation, a failure leaves the production model
    service.active_link(settings).unlink()
    with pytest.raises(service.RasaLoadFailed):
        service.switch_model(settings, second, wait=never)
    assert not service.active_link(settings).exists()
    assert served_model(settings).path == production.resolve()  # type: ignore[union-attr]
