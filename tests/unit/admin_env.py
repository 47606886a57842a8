"""An app on a database of its own with a caseworker's and an admin's API token: the admin console's tests."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from admin_api.staff.models import Role
from admin_api.staff.service import create_user, issue_token
from bot.db import session_scope
from bot.web.app import create_app
from tests.conftest import make_settings, own_database

PASSWORD = "a long enough password"
_n = itertools.count()


@dataclass
class AdminEnv:
    client: TestClient
    url: str
    tokens: dict[str, str]
    """API tokens by role (``caseworker``, ``admin``)."""
    ids: dict[str, int]
    """Account ids by role."""

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role != "anonymous" else {}

    def browser(self, role: str) -> tuple[TestClient, str, str]:
        """A client logged in through the browser login (cookie), its CSRF token and its username."""
        name = f"{role}-browser-{next(_n)}"
        with session_scope(self.url) as session:
            create_user(session, username=name, password=PASSWORD, role=Role(role))
        client = TestClient(self.client.app)
        login = client.post("/api/admin/auth/login", json={"username": name, "password": PASSWORD})
        assert login.status_code == 200
        return client, login.json()["csrf_token"], name


@contextlib.contextmanager
def admin_env(
    name: str,
    tmp_path_factory: pytest.TempPathFactory,
    *,
    prefix: str,
    seeded: bool = False,
    **settings: Any,
) -> Iterator[AdminEnv]:
    """The running app (lifespan included) on a fresh SQLite database, Rasa unreachable; the two
    accounts are ``<prefix>-caseworker`` and ``<prefix>-admin``."""
    url = own_database(name, "sqlite", tmp_path_factory, seeded=seeded)
    tokens, ids = {}, {}
    with session_scope(url) as session:
        for role in (Role.CASEWORKER, Role.ADMIN):
            user = create_user(session, username=f"{prefix}-{role.value}", password=PASSWORD, role=role)
            tokens[role.value] = issue_token(session, user=user, name="test")[1]
            ids[role.value] = user.id
    app = create_app(make_settings(database_url=url, rasa_url="http://127.0.0.1:9", **settings))
    with TestClient(app) as client:
        yield AdminEnv(client, url, tokens, ids)
