"""Logging: one line per event; JSON lines with ``BRIEFING_LOG_FORMAT=json`` (python-json-logger)."""

from __future__ import annotations

import logging
import sys

from worker.settings import get_settings

_configured = False


def configure_logging() -> None:
    """Install one stderr handler on the root logger (idempotent)."""
    global _configured
    if _configured:
        return
    settings = get_settings()
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for noisy in ("alembic", "kombu.connection"):  # migration chatter and memory:// host warnings
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _configured = True
