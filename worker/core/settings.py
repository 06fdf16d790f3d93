"""Runtime settings (pydantic-settings): environment variables with the prefix ``BRIEFING_`` and
an optional ``.env`` file. Defaults suit one machine: SQLite and folders under ``var/``.

Secrets (broker password, SMTP password) come only from the environment or ``.env`` and are
``SecretStr`` so they never print in logs or ``briefing status``.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


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
    truncated_wait_seconds: float = Field(
        60.0, description="a text file whose last character is cut (the decoder's truncation warning) "
                          "is taken only once unchanged this long: a writer may reopen it to append")
    processing_stale_seconds: float = Field(600.0, description="a claimed file older than this is reclaimed")
    watch_debounce_ms: int = 200

    # Processing
    max_attempts: int = 3
    task_soft_time_limit: int = 300
    task_time_limit: int = 360
    attempt_grace_seconds: float = Field(
        30.0, description="an attempt still 'processing' this long after the hard time limit is dead; "
                          "another may take the issue over")

    # Broker, beat and repair
    broker_visibility_timeout: int = Field(
        3600, description="Redis redelivers an unacknowledged message after this many seconds; "
                          "must be above task_time_limit")
    reconcile_requeue_after_seconds: float = Field(
        600.0, description="reconcile re-queues an Issue still pending this long (its message was lost)")
    beat_lock_timeout: int = Field(150, description="RedBeat lock lifetime; a second beat takes over this "
                                                    "long after the first one died")
    beat_max_interval: int = Field(30, description="beat wakes at least this often (and renews its lock)")
    schedule_every: dict[str, float] = Field(
        default_factory=dict,
        description='override beat entries with a fixed interval in seconds, e.g. '
                    '{"scan_inbox": 5, "reconcile": 60} (JSON); names as in config/schedule.yaml, '
                    'briefings as briefing_daily …')
    # TLS for rediss:// broker URLs (certificates are checked unless told otherwise)
    redis_ssl_cert_reqs: str = "required"  # required | optional | none
    redis_ssl_ca_certs: Path | None = None
    redis_ssl_certfile: Path | None = None
    redis_ssl_keyfile: Path | None = None

    # Briefings
    cjk_font: Path | None = None  # chart font file; default: templates/fonts/, then system fonts
    schedule_start: date | None = None  # first due period; default: the day the service first ran

    # E-mail delivery
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: str = "starttls"  # starttls | ssl | none
    smtp_allow_plaintext_login: bool = Field(
        False, description="allow a login (smtp_user) with smtp_security none, i.e. the password in clear; "
                           "only for a relay on a trusted network")
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str = "briefing@localhost"

    # Web console (briefing web)
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    web_secret: SecretStr | None = Field(
        None, description="signs session cookies and CSRF tokens; default: generated into "
                          "var/web-secret (mode 0600) on first start")
    web_secure_cookies: bool = Field(
        False, description="mark the session cookie Secure (set it when the console is served over HTTPS)")
    web_session_hours: float = 12.0
    web_forwarded_allow_ips: str = Field(
        "127.0.0.1", description="reverse proxies whose X-Forwarded-For/-Proto are believed (uvicorn)")
    web_max_files_per_upload: int = 50
    flower_url: str = "http://localhost:5555/"

    log_format: str = "text"  # text | json
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _check_limits(self) -> Settings:
        if not 0 < self.task_soft_time_limit <= self.task_time_limit < self.broker_visibility_timeout:
            raise ValueError("need 0 < task_soft_time_limit <= task_time_limit < broker_visibility_timeout")
        if not 0 < self.beat_max_interval < self.beat_lock_timeout:
            raise ValueError("need 0 < beat_max_interval < beat_lock_timeout (beat renews its lock each tick)")
        if self.redis_ssl_cert_reqs not in ("required", "optional", "none"):
            raise ValueError("redis_ssl_cert_reqs must be required, optional or none")
        check_smtp_security(self)
        return self

    @property
    def attempt_stale_seconds(self) -> float:
        """An attempt that started longer ago than this cannot still be running."""
        return self.task_time_limit + self.attempt_grace_seconds

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


def check_smtp_security(settings: Settings) -> None:
    """Raise ValueError for an SMTP configuration that would send the password in clear: a login
    (``smtp_user``) with ``smtp_security`` none, unless ``smtp_allow_plaintext_login`` is true; or an
    unknown ``smtp_security`` (starttls | ssl | none). Checked when settings load and again by
    delivery right before it connects."""
    security = (settings.smtp_security or "starttls").lower()
    if security not in ("starttls", "ssl", "none"):
        raise ValueError(f"smtp_security must be starttls, ssl or none, not {settings.smtp_security!r}")
    if security == "none" and settings.smtp_user and not settings.smtp_allow_plaintext_login:
        raise ValueError("smtp_security none with smtp_user would send the SMTP password in clear: use "
                         "starttls or ssl, or set BRIEFING_SMTP_ALLOW_PLAINTEXT_LOGIN=true for a trusted relay")
