"""Logging: one line per event; JSON lines with ``BRIEFING_LOG_FORMAT=json`` (python-json-logger).

Tracebacks stay on the event's line (newlines shown as `` | `` in text, inside the JSON string in
JSON), and secrets known to the settings (broker, database and SMTP passwords) are masked as
``***`` in every line, whoever logged it (our code, Celery, kombu, SQLAlchemy).
"""

from __future__ import annotations

import logging
import sys
from urllib.parse import unquote, urlsplit

from worker.core.settings import Settings, get_settings

_configured = False
MASK = "***"


def secrets_of(settings: Settings) -> list[str]:
    """The secret strings that must never be printed: URL passwords and the SMTP password (also
    percent-decoded), longest first."""
    found: set[str] = set()
    for url in (settings.broker_url, settings.database_url or ""):
        try:
            password = urlsplit(url).password
        except ValueError:
            password = None
        if password:
            found |= {password, unquote(password)}
    if settings.smtp_password is not None and settings.smtp_password.get_secret_value():
        found.add(settings.smtp_password.get_secret_value())
    return sorted((s for s in found if len(s) >= 3), key=len, reverse=True)


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


class OneLineFormatter(logging.Formatter):
    """``time LEVEL logger: message`` on one line (a traceback joined with `` | ``), secrets masked."""

    def __init__(self, secrets: list[str]):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets).replace("\r", "").replace("\n", " | ")


def _json_formatter(secrets: list[str]) -> logging.Formatter:
    import json

    from pythonjsonlogger.json import JsonFormatter

    secrets = sorted({*secrets, *(json.dumps(s)[1:-1] for s in secrets)}, key=len, reverse=True)

    class RedactingJsonFormatter(JsonFormatter):
        def format(self, record: logging.LogRecord) -> str:
            return redact(super().format(record), secrets)

    return RedactingJsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")


def configure_logging() -> None:
    """Install one stderr handler on the root logger (idempotent)."""
    global _configured
    if _configured:
        return
    settings = get_settings()
    secrets = secrets_of(settings)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_json_formatter(secrets) if settings.log_format == "json" else OneLineFormatter(secrets))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for noisy in ("alembic", "kombu.connection"):  # migration chatter and memory:// host warnings
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _configured = True
