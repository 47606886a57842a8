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


def test_the_training_script_and_the_settings_share_the_model_cache() -> None:
    """scripts/train.sh reads LOTSE_MODEL_CACHE_DIR itself (a shell script); its default is the settings'."""
    from pathlib import Path

    from bot.config import PROJECT_ROOT

    script = (PROJECT_ROOT / "scripts" / "train.sh").read_text(encoding="utf-8")
    assert 'cache="${LOTSE_MODEL_CACHE_DIR:-$HOME/.cache/lotse/models}"' in script
    assert Settings(_env_file=None).model_cache_dir == Path.home() / ".cache" / "lotse" / "models"
