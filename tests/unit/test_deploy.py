"""What docs/deploy.md tells an operator to use: the systemd units verify, and a pg_dump backup of a
Lotse database restores into an empty database with every row and the schema version."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.orm import Session

from bot.config import PROJECT_ROOT
from bot.conversations.models import Conversation, Direction, Message, MessageStatus
from bot.db import make_engine
from tests.conftest import POSTGRES_URL, own_database

UNITS = PROJECT_ROOT / "deploy" / "systemd"


def test_the_systemd_units_verify(tmp_path: Path) -> None:
    verify = shutil.which("systemd-analyze")
    if verify is None:
        pytest.skip("systemd-analyze is not installed")
    units = sorted(UNITS.glob("lotse*"))
    assert {u.name for u in units} == {
        "lotse.target",
        "lotse-app.service",
        "lotse-rasa.service",
        "lotse-actions.service",
    }
    for unit in units:  # the checkout stands in for /opt/lotse (ExecStart must exist to verify)
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/lotse", str(PROJECT_ROOT)))
        assert "EnvironmentFile=/etc/lotse/lotse.env" in unit.read_text() or unit.suffix == ".target"
    result = subprocess.run(
        [verify, "verify", *(str(tmp_path / u.name) for u in units)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _count_rows(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        tables = sorted(inspect(conn).get_table_names())
        counts = {t: int(conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one()) for t in tables}
    engine.dispose()
    return counts


def test_a_pg_dump_backup_restores(tmp_path_factory: pytest.TempPathFactory) -> None:
    if POSTGRES_URL is None:
        pytest.skip("needs LOTSE_TEST_POSTGRES_URL (CI provides PostgreSQL)")
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    source = own_database("backup", "postgresql", tmp_path_factory, seeded=True)
    engine = make_engine(source)
    with Session(engine) as session, session.begin():
        conv = Conversation(pseudonym="backup-test", channel="web", language="ar")
        session.add(conv)
        session.flush()
        session.add(
            Message(
                conversation_id=conv.id, direction=Direction.IN, text="مرحبا", status=MessageStatus.ANSWERED
            )
        )
    engine.dispose()
    before = _count_rows(source)
    assert before["conversations"] == 1 and before["content_items"] > 100

    target = POSTGRES_URL.rsplit("/", 1)[0] + "/lotse_restore_test"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "lotse_restore_test" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "lotse_restore_test"'))
    admin.dispose()
    libpq = source.replace("postgresql+psycopg://", "postgresql://")
    dump = tmp_path_factory.mktemp("dump") / "lotse.dump"
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", libpq], check=True, capture_output=True)
    subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            f"--dbname={target.replace('postgresql+psycopg://', 'postgresql://')}",
            str(dump),
        ],
        check=True,
        capture_output=True,
    )
    assert _count_rows(target) == before
    restored = make_engine(target)
    with restored.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        text_back = conn.execute(text("SELECT text FROM messages")).scalar_one()
    restored.dispose()
    assert version and text_back == "مرحبا"
