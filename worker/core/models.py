"""Database tables (SQLModel). The database is the source of truth; the broker only carries hints.

Schema changes go through Alembic (``migrations/``); ``briefing migrate`` applies them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from os import PathLike
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware current time in UTC. SQLModel's UTCDateTime columns store it as
    ``timestamptz`` on PostgreSQL and as UTC text on SQLite, and return aware UTC values."""
    return datetime.now(UTC)


def local_time(ts: datetime, zone: str) -> str:
    """``ts`` (aware, or naive UTC) in the IANA time zone ``zone``, with its offset shown:
    ``"2024-12-24 08:00:05+08:00"`` — what people read in ``briefing status`` and ``.error.json``."""
    from zoneinfo import ZoneInfo

    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(ZoneInfo(zone)).isoformat(sep=" ", timespec="seconds")


class Receipt(SQLModel, table=True):
    """One row per file dropped into the inbox, with its single final outcome.

    ``outcome`` is ``accepted`` (a new Issue), ``duplicate`` (bytes already stored as ``issue_id``)
    or ``refused`` (``reason`` says why; the file sits in ``failed/``). ``size`` is in bytes.
    """

    id: int | None = Field(default=None, primary_key=True)
    file_name: str
    size: int = 0
    sha256: str | None = Field(default=None, index=True)
    received_at: datetime = Field(default_factory=utcnow, index=True)
    outcome: str = Field(index=True)
    reason: str | None = None
    issue_id: int | None = Field(default=None, foreign_key="issue.id", index=True)
    claim_id: str | None = Field(default=None, index=True)  # folder name under processing/
    stored_path: str | None = None  # final place, relative to var_dir


class Issue(SQLModel, table=True):
    """A newspaper issue: the raw bytes as received (so it can be re-processed after a parser
    upgrade) and the processing state. ``status``: pending → processing → processed | failed |
    duplicate. ``duplicate`` (final, no articles) means the decoded text is the same as issue
    ``duplicate_of`` (other bytes: another encoding, line ends, a BOM); ``error`` says so."""

    id: int | None = Field(default=None, primary_key=True)
    file_name: str
    sha256: str = Field(unique=True, index=True)
    size: int = 0
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    encoding: str | None = None
    encoding_confidence: float | None = None
    issue_date: date | None = Field(default=None, index=True)
    issue_date_source: str | None = None
    masthead: str | None = None
    received_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None  # when the current processing attempt began
    task_id: str | None = None  # Celery task id of the current attempt (a redelivery may resume)
    processed_at: datetime | None = None
    status: str = Field(default="pending", index=True)
    error: str | None = None
    warnings: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    attempts: int = 0
    article_count: int = 0
    failed_path: str | None = None  # copy in failed/ (relative to var_dir) while the Issue is failed
    # sha256 of the normalised decoded text (reading.text_sha256), held by the one Issue whose
    # articles stand for that text; unique, so two copies processed at once cannot both keep theirs
    text_sha256: str | None = Field(default=None, unique=True, index=True)
    duplicate_of: int | None = Field(default=None, foreign_key="issue.id")
    # status ``withdrawn`` (console 撤回 / ``briefing withdraw``): out of every future briefing;
    # only an explicit restore brings it back, to ``withdrawn_from`` (processed, or pending for a rerun)
    withdrawn_from: str | None = None
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None
    superseded_by: int | None = None  # the Issue that replaced this one (withdrawn by supersede)


class Article(SQLModel, table=True):
    """One article of an issue, as parsed and enriched. List fields are JSON."""

    __table_args__ = (UniqueConstraint("issue_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    issue_id: int = Field(foreign_key="issue.id", index=True)
    seq: int
    page: int | None = None
    page_name: str | None = None
    kind: str = "news"
    kicker: str | None = None
    title: str | None = None
    subtitle: str | None = None
    title_derived: bool = False
    byline: str | None = None
    source: str | None = None
    dateline: str | None = None
    authors: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    paragraphs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    captions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    category: str = Field(default="other", index=True)
    category_scores: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    secondary_categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    category_confirmed: bool = False
    places: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    people: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    organizations: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    figures: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    keywords: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    summary: str = ""
    search_text: str = ""
    # The article's own date when the page furniture gives one (digital-edition footers; issue 14),
    # else None: the issue's date applies.
    published_on: date | None = Field(default=None, index=True)


class Correction(SQLModel, table=True):
    """A person's topic correction or confirmation for an article (who, when, old, new).

    A training label and a person's decision, so it outlives the article row: it keeps the text it
    was made on (``article_text``: kicker, title, subtitle, title_derived, paragraphs, captions) and
    its keys (``worker.enrich.identity``), and a re-parse of ``issue_id`` re-attaches it to the
    matching new article. ``article_id`` is None while no article matches (``briefing corrections
    --unattached``); the database sets it to None rather than refusing when an article is deleted.
    """

    id: int | None = Field(default=None, primary_key=True)
    article_id: int | None = Field(default=None, foreign_key="article.id", index=True, ondelete="SET NULL")
    old_category: str | None = None
    new_category: str
    who: str
    at: datetime = Field(default_factory=utcnow)
    issue_id: int | None = Field(default=None, foreign_key="issue.id", index=True, ondelete="SET NULL")
    headline_key: str | None = None  # identity.headline_key of the article when corrected
    lead_key: str | None = None  # identity.lead_key (first paragraph)
    fingerprint: str | None = Field(default=None, index=True)  # identity.text_fingerprint (title + body)
    article_text: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Briefing(SQLModel, table=True):
    """A generated briefing (简报). (kind, period_start, version) is unique, so a re-run or a second
    beat never makes the same briefing twice; ``number`` is 第N期 within (kind, year)."""

    __table_args__ = (
        UniqueConstraint("kind", "period_start", "version"),
        UniqueConstraint("kind", "year", "number", "version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)  # daily | weekly | monthly
    period_start: date
    period_end: date  # inclusive
    version: int = 1
    year: int
    number: int | None = None  # 第N期; None for a skipped (empty) period, which takes no number
    status: str = "made"  # made | skipped
    file_path: str | None = None  # relative to BRIEFING_VAR_DIR: outbox/NAME.docx (see path_in)
    created_at: datetime = Field(default_factory=utcnow)
    issue_count: int = 0
    article_count: int = 0
    # The briefing desk (issue 19). status also: draft (waits for review and 签发; no number, no
    # file), signing (a sign-off is under way), discarded. Edits are the editors' changes to the
    # generated content (worker.briefing.edits), re-applied on every re-render; ``revision``
    # counts saves (optimistic concurrency); ``generated`` is the generated part's snapshot;
    # ``notice`` lists what a late change altered and which edits no longer apply.
    edits: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    revision: int = 0
    generated: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    notice: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    signed_by: str | None = None  # the signer's name (签发人)
    signed_at: datetime | None = None
    sign_channel: str | None = None  # console | cli | auto
    notified_at: datetime | None = None  # editors told that the draft waits
    reminded_at: datetime | None = None  # the one reminder after remind_after_hours (flagged)

    def path_in(self, var_dir: str | PathLike[str]) -> Path | None:
        """The .docx on this host: ``var_dir / file_path``. ``file_path`` is stored relative to
        ``BRIEFING_VAR_DIR`` so hosts that mount the shared folder at different places agree; an
        absolute value (rows made before that rule) is returned as is. None for a skipped period."""
        return Path(var_dir) / self.file_path if self.file_path else None


class Delivery(SQLModel, table=True):
    """One delivery attempt series of a briefing over a channel (e-mail)."""

    id: int | None = Field(default=None, primary_key=True)
    briefing_id: int = Field(foreign_key="briefing.id", index=True)
    channel: str = "email"
    recipients: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = "pending"  # pending | sent | failed
    attempts: int = 0
    error: str | None = None
    sent_at: datetime | None = None


class TaskEvent(SQLModel, table=True):
    """Task history from Celery signals: one row per state change of a task run."""

    id: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(index=True)
    name: str = Field(index=True)
    state: str  # received | started | succeeded | failed | retried
    at: datetime = Field(default_factory=utcnow, index=True)
    duration: float | None = None  # seconds
    detail: str | None = None  # short argument summary or error


class ServiceMeta(SQLModel, table=True):
    """Small key/value facts about the installation (e.g. the first day the service ran)."""

    key: str = Field(primary_key=True)
    value: str


class IssueLines(SQLModel, table=True):
    """The parser's line decisions for an Issue, stored when it was processed (the console shows
    the original text beside what each line became, as it was decided for the stored articles).
    ``decisions`` is a list of ``[line (0-based), text, became, rule]``."""

    issue_id: int = Field(foreign_key="issue.id", primary_key=True)
    decisions: list[list[Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class User(SQLModel, table=True):
    """A console account. ``role``: operator (收件) | editor (编辑) | admin (管理员); ``signer`` may
    sign off (签发) briefings. ``password_hash`` is an argon2id hash (argon2-cffi)."""

    __tablename__ = "console_user"  # "user" is a reserved word in PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    email: str
    role: str
    signer: bool = False
    password_hash: str
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    password_changed_at: datetime = Field(default_factory=utcnow)
    # console sessions carry this number; logout, a new password and disabling raise it (enabling
    # never lowers it), so every cookie issued before is refused from then on
    session_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class AuditLog(SQLModel, table=True):
    """Who did what and when, from the console and the account commands: ``action`` is login,
    login_failed, logout, upload, retry, withdraw, restore, supersede, correction, user_add,
    user_passwd, user_disable; ``target`` names the object (``issue 3``, ``article 12``, a file
    name); ``ip`` is the client address when known."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    who: str = Field(index=True)
    action: str = Field(index=True)
    target: str | None = None
    detail: str | None = None
    ip: str | None = Field(default=None, index=True)


class BriefingEdit(SQLModel, table=True):
    """One saved change of a draft's edits (issue 19): the edits as they stood after save
    ``revision`` by ``who``; a conflicting save is shown the change made since its base revision."""

    __table_args__ = (UniqueConstraint("briefing_id", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    briefing_id: int = Field(foreign_key="briefing.id", index=True)
    revision: int
    who: str
    at: datetime = Field(default_factory=utcnow)
    edits: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


#: the largest id a table holds: SQLite INTEGER and PostgreSQL BIGINT are signed 64-bit; the console
#: and the CLI refuse larger ids (the driver would raise OverflowError)
MAX_ID = 2**63 - 1
