"""A Rasa model trained on Lotse's English NLU data only: a bot that has no Arabic example at all.

Same pipeline, domain and dialogues as the real model; the training data are the English files of
every topic plus the entity lookup tables. Cached by a hash of its inputs in the model cache
(``LOTSE_MODEL_CACHE_DIR``, as ``scripts/train.sh``), so a clean
checkout of an unchanged tree does not train it again; otherwise training takes a few minutes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from bot.config import PROJECT_ROOT, get_settings
from bot.rasa_config import ASSISTANT_DIR, RASA_VENV

NLU_DIR = PROJECT_ROOT / "nlu_data"
DIALOGUES_DIR = PROJECT_ROOT / "dialogues"


def _inputs() -> list[Path]:
    nlu = [*sorted(NLU_DIR.glob("*/en.yml")), NLU_DIR / "conversation" / "entities.yml"]
    rest = sorted(p for d in (ASSISTANT_DIR, DIALOGUES_DIR) for p in d.rglob("*.yml"))
    components = sorted((ASSISTANT_DIR / "components").glob("*.py"))  # Lotse's own NLU components
    return nlu + rest + components


def english_only_model() -> Path:
    """Path of the English-only model, trained now if its inputs changed."""
    inputs = _inputs()
    digest = hashlib.sha256()
    for path in inputs:
        digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    out_dir = get_settings().model_cache_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"english-only-{digest.hexdigest()[:16]}"
    model = out_dir / f"{name}.tar.gz"
    if model.exists():
        return model
    data = out_dir / f"{name}-data"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    for path in inputs:
        if path.is_relative_to(NLU_DIR):
            target = data / path.relative_to(NLU_DIR).as_posix().replace("/", "-")
            shutil.copyfile(path, target)
    env = dict(os.environ)
    env.update(
        {
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "RASA_TELEMETRY_ENABLED": "false",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "MPLCONFIGDIR": str(PROJECT_ROOT / "var" / "mpl"),
        }
    )
    subprocess.run(
        [
            str(RASA_VENV / "bin" / "rasa"),
            "train",
            "--config",
            str(ASSISTANT_DIR / "config.yml"),
            "--domain",
            str(ASSISTANT_DIR / "domain"),
            "--data",
            str(data),
            str(DIALOGUES_DIR),
            "--out",
            str(out_dir),
            "--fixed-model-name",
            name,
            "--num-threads",
            "2",
        ],
        cwd=out_dir,
        env=env,
        check=True,
        capture_output=True,
    )
    shutil.rmtree(data, ignore_errors=True)
    return model
