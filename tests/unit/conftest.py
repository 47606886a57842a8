"""Fixtures shared by the unit tests of the guided flows and the features built on them."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.content.service import seed
from tests.conftest import make_settings
from tests.unit.guided_chat import TODAY


@pytest.fixture
def conf(db_url: str) -> Settings:
    """Settings on the test database, with the guided flows' "today" fixed to ``TODAY``."""
    return make_settings(database_url=db_url, guided_today=TODAY)


@pytest.fixture
def seeded(session: Session) -> Session:
    """The session with the content store seeded from translations/."""
    seed(session)
    return session
