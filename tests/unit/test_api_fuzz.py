"""Fuzz the app's HTTP API from its own OpenAPI schema (schemathesis): no 5xx, responses match
the schema. Runs against the real app and a real database; Rasa is not running, so the chat
endpoint answers from the store ("temporarily unavailable") exactly as in production."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from admin_api.staff.models import Role
from admin_api.staff.service import create_user, issue_token
from bot.content.service import seed
from bot.db import session_scope
from bot.web.app import create_app
from tests.conftest import make_settings, migrate

_STATE: dict[str, object] = {}


def _app() -> FastAPI:
    if "app" not in _STATE:
        import tempfile

        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='lotse-fuzz-')) / 'lotse.db'}"
        migrate(url)
        with session_scope(url) as session:
            seed(session)
            admin = create_user(
                session, username="fuzz-admin", password="a long enough password", role=Role.ADMIN
            )
            _STATE["token"] = issue_token(session, user=admin, name="fuzz")[1]
        _STATE["app"] = create_app(make_settings(database_url=url, rasa_url="http://127.0.0.1:9"))
    app = _STATE["app"]
    assert isinstance(app, FastAPI)
    return app


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@pytest.fixture(scope="module", autouse=True)
def _lifespan() -> Iterator[None]:
    from fastapi.testclient import TestClient

    with TestClient(_app()):
        yield


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_fails_on_any_input(case: schemathesis.Case) -> None:
    headers = {"Authorization": f"Bearer {_STATE['token']}"}
    if case.path in {"/nlg"} or case.path.startswith("/internal"):
        headers = {"Authorization": "Bearer test-internal-token-0123456789"}
    case.call_and_validate(
        headers=headers, checks=[not_a_server_error, response_schema_conformance, content_type_conformance]
    )
