"""Database engine and sessions. SQLite gets WAL, a busy timeout and foreign keys so several
worker processes can write without "database is locked"; PostgreSQL is used by URL as is."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from worker.core.settings import PROJECT_ROOT, get_settings

SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://…``).

    SQLite connections get ``journal_mode=WAL``, ``busy_timeout`` (ms), ``foreign_keys=ON`` and
    ``synchronous=NORMAL`` (safe under WAL, per the SQLite docs).
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        engine = create_engine(url, json_serializer=_json_dumps,
                               connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                                             "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")  # first: WAL switch may wait
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=_json_dumps)


def _json_dumps(value) -> str:
    """JSON columns keep Chinese as UTF-8 (3 bytes a character) instead of ``\\uXXXX`` escapes (6)."""
    return json.dumps(value, ensure_ascii=False)


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine for the configured database (one pool per process)."""
    return make_engine(get_settings().db_url)


def _forget_parent_pool() -> None:
    """In a forked child (Celery's prefork pool replaces a dead child by forking the main process,
    which has used the database for task events): never reuse the parent's pooled connections — two
    processes on one PostgreSQL socket corrupt each other's conversation. ``close=False`` leaves the
    parent's sockets alone; the child opens its own."""
    if get_engine.cache_info().currsize:
        get_engine().dispose(close=False)


os.register_at_fork(after_in_child=_forget_parent_pool)


def session_factory(engine: Engine):
    """A ``session_scope``-like context manager factory bound to ``engine`` (for code that holds an
    engine of its own: benchmarks, tests on several databases): each ``with factory() as s`` is one
    session that commits on success and rolls back on error."""

    @contextmanager
    def scope() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    return scope


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session of the configured database (``get_engine``) that commits on success and rolls
    back on error."""
    with session_factory(get_engine())() as session:
        yield session


def migrate(url: str | None = None) -> None:
    """Bring the schema to the newest Alembic revision (idempotent)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url or get_settings().db_url)
    command.upgrade(cfg, "head")
    record_first_run(url)


def schema_problem(engine: Engine | None = None) -> str | None:
    """Why the database cannot be used yet, or None: unreachable, or not at the newest Alembic
    revision ("run `briefing migrate`"). Compares ``alembic_version`` with the migrations' head."""
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    try:
        with (engine or get_engine()).connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except Exception as exc:  # noqa: BLE001 - any driver error means "unreachable"
        return f"database unreachable: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    if current != head:
        state = "has no tables yet" if current is None else f"is at revision {current}, not {head}"
        return f"the database {state}: run `briefing migrate`"
    return None


def record_first_run(url: str | None = None) -> None:
    """Remember the first day (local time zone) the service ran, once: ServiceMeta ``first_run``.
    Briefings start from it unless ``BRIEFING_SCHEDULE_START`` says otherwise, so loading old
    issues never floods old briefings."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from sqlalchemy.exc import IntegrityError

    from worker.core.models import ServiceMeta

    settings = get_settings()
    engine = make_engine(url) if url else get_engine()
    today = datetime.now(ZoneInfo(settings.timezone)).date().isoformat()
    try:
        with Session(engine) as session:
            if session.get(ServiceMeta, "first_run") is None:
                session.add(ServiceMeta(key="first_run", value=today))
                session.commit()
    except IntegrityError:
        pass  # another process recorded it first
    finally:
        if url:
            engine.dispose()
