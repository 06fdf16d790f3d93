"""Runtime settings (pydantic-settings): environment variables with the prefix ``BRIEFING_`` and
an optional ``.env`` file. Defaults suit one machine: SQLite and folders under ``var/``.

Secrets (broker password, SMTP password) come only from the environment or ``.env`` and are
``SecretStr`` so they never print in logs or ``briefing status``.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """All configuration; every field is ``BRIEFING_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="BRIEFING_", env_file=".env", extra="ignore")

    var_dir: Path = PROJECT_ROOT / "var"
    database_url: str | None = None  # default: sqlite:///<var_dir>/briefing.db
    broker_url: str = "redis://localhost:6379/0"
    config_dir: Path = PROJECT_ROOT / "config"
    templates_dir: Path = PROJECT_ROOT / "templates"
    timezone: str = "Asia/Shanghai"

    # Inbox
    stable_seconds: float = Field(1.0, description="size+mtime must be unchanged this long (seconds)")
    max_file_bytes: int = 20 * 1024 * 1024
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    processing_stale_seconds: float = Field(600.0, description="a claimed file older than this is reclaimed")
    watch_debounce_ms: int = 200

    # Processing
    max_attempts: int = 3
    task_soft_time_limit: int = 300
    task_time_limit: int = 360

    # Briefings
    schedule_start: date | None = None  # first due period; default: the day the service first ran

    # E-mail delivery
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: str = "starttls"  # starttls | ssl | none
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str = "briefing@localhost"

    log_format: str = "text"  # text | json
    log_level: str = "INFO"

    @property
    def inbox_dir(self) -> Path:
        return self.var_dir / "inbox"

    @property
    def processing_dir(self) -> Path:
        return self.var_dir / "processing"

    @property
    def archive_dir(self) -> Path:
        return self.var_dir / "archive"

    @property
    def failed_dir(self) -> Path:
        return self.var_dir / "failed"

    @property
    def outbox_dir(self) -> Path:
        return self.var_dir / "outbox"

    @property
    def models_dir(self) -> Path:
        return self.var_dir / "models"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'briefing.db'}"

    def ensure_dirs(self) -> None:
        """Create the working folders (idempotent)."""
        for d in (self.inbox_dir, self.processing_dir, self.archive_dir, self.failed_dir,
                  self.outbox_dir, self.models_dir):
            d.mkdir(parents=True, exist_ok=True)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
