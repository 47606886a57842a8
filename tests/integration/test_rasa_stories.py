"""`rasa test` on the test stories, with the trained model (NLU and dialogue predictions)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bot.config import PROJECT_ROOT
from bot.rasa_config import RASA_VENV, latest_model, rasa_env
from tests.conftest import make_settings


def test_test_stories_pass(tmp_path: Path) -> None:
    model = latest_model()
    assert model is not None, "no trained model"
    result = subprocess.run(
        [
            str(RASA_VENV / "bin" / "rasa"),
            "test",
            "core",
            "--stories",
            str(PROJECT_ROOT / "tests" / "rasa" / "test_stories.yml"),
            "--model",
            str(model),
            "--out",
            str(tmp_path),
            "--fail-on-prediction-errors",
        ],
        cwd=PROJECT_ROOT,
        env=rasa_env(make_settings()),
        capture_output=True,
        text=True,
        timeout=600,
    )
    failed = tmp_path / "failed_test_stories.yml"
    detail = failed.read_text() if failed.exists() else result.stdout[-3000:] + result.stderr[-3000:]
    assert result.returncode == 0, detail
