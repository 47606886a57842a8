from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config import Settings


def test_development_fills_secrets() -> None:
    settings = Settings(env="development")
    assert settings.secret("internal_token")
    assert settings.app_url == f"http://{settings.app_host}:{settings.app_port}"


@pytest.mark.parametrize("env", ["test", "production"])
def test_secrets_are_required_outside_development(env: str) -> None:
    with pytest.raises(ValidationError, match="LOTSE_INTERNAL_TOKEN"):
        Settings(env=env, rasa_token="x" * 20, pseudonym_key="y" * 20)  # type: ignore[arg-type]


def test_development_default_is_rejected_in_production() -> None:
    with pytest.raises(ValidationError, match="real secret"):
        Settings(
            env="production",
            internal_token="dev-internal-token-change-me",  # type: ignore[arg-type]
            rasa_token="x" * 20,  # type: ignore[arg-type]
            pseudonym_key="y" * 20,  # type: ignore[arg-type]
        )


def test_short_secret_is_rejected() -> None:
    with pytest.raises(ValidationError, match="16 characters"):
        Settings(
            env="production",
            internal_token="short",  # type: ignore[arg-type]
            rasa_token="x" * 20,  # type: ignore[arg-type]
            pseudonym_key="y" * 20,  # type: ignore[arg-type]
        )
