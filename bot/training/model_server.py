"""The active model, served to Rasa: Rasa's own "model server" mechanism (``models`` in its
endpoints.yml), with the app as the server.

Every Rasa process — each of Rasa's ``SANIC_WORKERS`` and each Rasa instance of a cluster — asks
``GET /internal/rasa-model`` every ``LOTSE_RASA_MODEL_PULL_S`` seconds with the fingerprint of the
model it runs (``If-None-Match``). The answer is 304 while that is still the active model, else the
model file with its fingerprint (``ETag``) and name (``filename``, what Rasa's ``/status`` then
reports as ``model_file``). Rasa keeps answering with the old model while it loads the new one.

Rasa's ``PUT /model`` reaches only the one worker that happens to accept the request; pulling
reaches all of them, on one machine or many, without a home-made broadcast.

The fingerprint is the SHA-256 of the file's content (computed once per file version), so that
app instances serving the same model give the same answer and an app restart does not make the
Rasa processes load their model again.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.rasa_config import current_model

_lock = threading.Lock()
_fingerprints: dict[tuple[str, int, int], str] = {}


@dataclass(frozen=True, slots=True)
class ServedModel:
    path: Path
    etag: str
    """The quoted fingerprint, as sent in ``ETag`` and returned by Rasa in ``If-None-Match``."""

    @property
    def filename(self) -> str:
        return self.path.name


def fingerprint(path: Path) -> str:
    """SHA-256 of the file, cached by (path, size, modification time)."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _lock:
        known = _fingerprints.get(key)
    if known is not None:
        return known
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    value = digest.hexdigest()
    with _lock:
        _fingerprints[key] = value
    return value


def served_model(settings: Settings) -> ServedModel | None:
    """The model Rasa should run now (the console's active one, else the production model)."""
    model = current_model(settings)
    if model is None or not model.exists():
        return None
    path = model.resolve()
    return ServedModel(path=path, etag=f'"{fingerprint(path)}"')
