"""Shared fixtures. Tests talk to real things: a real Redis (127.0.0.1:6379, database 9 by default,
flushed per session), real SQLite files, real Celery workers, real .docx files read back.

Environment knobs: ``BRIEFING_TEST_REDIS_URL``, ``BRIEFING_TEST_POSTGRES_URL``. A service that is
missing skips its tests on a developer machine and fails them in CI (``CI`` set).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

TEST_REDIS_URL = os.environ.get("BRIEFING_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
TEST_POSTGRES_URL = os.environ.get("BRIEFING_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
GOLD = Path(__file__).resolve().parent / "data" / "gold"

# Settings are read when worker.core.app is first imported: point them at throw-away places first.
_session_var = Path(tempfile.mkdtemp(prefix="briefing-tests-"))
os.environ["BRIEFING_VAR_DIR"] = str(_session_var)
os.environ["BRIEFING_BROKER_URL"] = TEST_REDIS_URL
os.environ["BRIEFING_STABLE_SECONDS"] = "0.3"
os.environ.pop("BRIEFING_DATABASE_URL", None)
os.environ.setdefault("BRIEFING_SCHEDULE_START", "2024-01-01")
# Tests written before the briefing desk (issue 19) test approval: auto (numbered and sent at
# once); the desk's tests (tests/test_briefing_desk.py, the browser test) set required.
os.environ.setdefault("BRIEFING_APPROVAL", "auto")


def service_missing(what: str) -> None:
    """Skip on a developer machine, fail in CI: CI must have every service."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        client = redis.Redis.from_url(TEST_REDIS_URL, socket_timeout=2)
        client.ping()
    except redis.RedisError:
        service_missing(f"Redis at {TEST_REDIS_URL}")
    client.flushdb()
    return TEST_REDIS_URL


@pytest.fixture
def var_dir(tmp_path, monkeypatch) -> Path:
    """A fresh BRIEFING_VAR_DIR with its own SQLite database, migrated; settings and engine
    caches reset so every module sees it."""
    from worker.core.db import get_engine, migrate
    from worker.core.settings import get_settings

    var = tmp_path / "var"
    monkeypatch.setenv("BRIEFING_VAR_DIR", str(var))
    get_settings.cache_clear()
    get_engine.cache_clear()
    get_settings().ensure_dirs()
    migrate()
    yield var
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture
def settings(var_dir):
    from worker.core.settings import get_settings

    return get_settings()


@pytest.fixture
def postgres_url():
    """A fresh PostgreSQL database for one test (dropped afterwards)."""
    import uuid

    import psycopg

    name = f"briefing_test_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(TEST_POSTGRES_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        service_missing(f"PostgreSQL at {TEST_POSTGRES_URL}")
    base = TEST_POSTGRES_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(TEST_POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def celery_worker_thread(redis_url, var_dir):
    """A real Celery worker (threads pool) consuming all three queues from the test Redis."""
    from celery.contrib.testing.worker import start_worker

    from worker.core.app import celery_app

    celery_app.conf.broker_url = redis_url
    with celery_app.connection_for_write() as conn:
        for q in ("inbox", "ingest", "reports"):
            conn.default_channel.client.delete(q)
    with start_worker(celery_app, pool="threads", concurrency=2, queues=["inbox", "ingest", "reports"],
                      perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30) as w:
        yield w


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05):
    """Poll ``predicate`` until it returns something truthy; fail the test on timeout."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")
