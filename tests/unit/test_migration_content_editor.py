"""Migration 0010 (who wrote each content version): up, down and up again, and the table matches the model."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.config import PROJECT_ROOT
from bot.db import make_engine
from bot.models import Base


def _columns(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns("content_translations")}
    finally:
        engine.dispose()


def test_editor_column_upgrades_downgrades_and_matches_the_model(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")
    assert "edited_by" in _columns(url)
    command.downgrade(cfg, "0009")
    assert "edited_by" not in _columns(url)
    command.upgrade(cfg, "head")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
