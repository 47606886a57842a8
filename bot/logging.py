"""Logging set-up: one line per event, conversation pseudonyms only (never chat ids or texts).

``LOTSE_LOG_FORMAT=json`` writes one JSON object per line (time, level, logger, message, and the
exception text if any) for a log collector; the default is plain, prefix-friendly lines (honcho adds
the process name).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from bot.config import Settings


class JsonFormatter(logging.Formatter):
    """One JSON object per record. The message is the formatted one: what the code logs (pseudonyms,
    counts, states) — nothing is added from the record's arguments beyond it."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler], force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)
