"""Databases of their own for the stack tests on PostgreSQL (``LOTSE_TEST_POSTGRES_URL``, CI sets it)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import create_engine, text

BASE = os.environ.get("LOTSE_TEST_POSTGRES_URL")
needs_postgres = pytest.mark.skipif(not BASE, reason="LOTSE_TEST_POSTGRES_URL is not set")


def with_db(url: str, name: str, driver: str | None = None) -> str:
    parts = urlsplit(url)
    scheme = driver or parts.scheme
    return urlunsplit((scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def recreate(name: str) -> None:
    assert BASE is not None
    engine = create_engine(BASE, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def fresh_databases(app_db: str, rasa_db: str) -> dict[str, str]:
    """Empty app and tracker databases; the environment that points a stack at them."""
    assert BASE is not None
    recreate(app_db)
    recreate(rasa_db)
    return {
        "LOTSE_DATABASE_URL": with_db(BASE, app_db),
        "LOTSE_RASA_TRACKER_URL": with_db(BASE, rasa_db, driver="postgresql"),
    }
