"""Logging set-up: one line per event, conversation pseudonyms only (never chat ids or texts)."""

from __future__ import annotations

import logging
import os


def configure_logging() -> None:
    """Plain, prefix-friendly log lines (honcho adds the process name)."""
    logging.basicConfig(
        level=os.environ.get("LOTSE_LOG_LEVEL", "INFO").upper(),
        format="%(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
