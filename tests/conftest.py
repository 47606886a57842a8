"""Shared fixtures: settings, migrated databases (SQLite always, PostgreSQL when
``LOTSE_TEST_POSTGRES_URL`` is set) with per-test transaction rollback."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from bot.config import PROJECT_ROOT, Settings
from bot.db import make_engine

POSTGRES_URL = os.environ.get("LOTSE_TEST_POSTGRES_URL")
NO_TRAINING = {
    # a retraining started by a unit test (role matrix, API fuzzing) fails at once instead of
    # training a real model for 25 minutes; tests/unit/test_training.py replaces the training command
    "training_config": Path("/nonexistent/no-retraining-in-unit-tests.yml"),
    "training_dir": Path(tempfile.gettempdir()) / f"lotse-test-training-{os.getpid()}",
}


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "internal_token": "test-internal-token-0123456789",
        "rasa_token": "test-rasa-token-0123456789",
        "pseudonym_key": "test-pseudonym-key-0123456789",
        **NO_TRAINING,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def migrate(url: str) -> None:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def own_database(
    name: str, backend: str, tmp_path_factory: pytest.TempPathFactory, *, seeded: bool = False
) -> str:
    """A migrated database of a test module's own (for work that sees the whole database, e.g. a
    background job): a file for SQLite, database ``lotse_<name>_test`` on the test PostgreSQL server.
    ``seeded``: the content store filled from translations/."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'lotse.db'}"
    else:
        assert POSTGRES_URL is not None
        database = f"lotse_{name}_test"
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{database}"'))
        admin.dispose()
        url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{database}"
    migrate(url)
    if seeded:
        from bot.content.service import seed

        engine = make_engine(url)
        with Session(engine) as session, session.begin():
            seed(session)
        engine.dispose()
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database per backend, for the whole test session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'lotse.db'}"
    else:
        assert POSTGRES_URL is not None
        url = POSTGRES_URL
        _reset_postgres(url)
    migrate(url)
    return url


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    conn = engine.connect()
    trans = conn.begin()
    db = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        trans.rollback()
        conn.close()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(database_url=db_url)


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT
