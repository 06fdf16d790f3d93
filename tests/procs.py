"""Helpers for tests that run the real thing in other processes: throw-away redis-servers, Celery
workers, beat and the watcher as subprocesses (``python -m worker.ops.cli …``) that the tests SIGKILL.

Every process gets its own environment: the test's var dir, database and broker — nothing is
inherited from the developer's ``BRIEFING_*`` variables.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, service_missing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A throw-away ``redis-server`` (no persistence) on its own port, that a test may kill and
    start again (empty, as after a crash without AOF)."""

    def __init__(self, workdir: Path, port: int | None = None, password: str | None = None):
        if not shutil.which("redis-server"):
            service_missing("redis-server binary")
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.password = password
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.workdir)]
        if self.password:
            argv += ["--requirepass", self.password]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_timeout=0.5).ping()
                return self
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=5)


def app_env(var_dir: Path, broker_url: str, database_url: str | None = None, **settings) -> dict[str, str]:
    """Environment for a child process: the parent's, minus every ``BRIEFING_*``, plus ours.
    ``settings``: more settings by field name (dicts are passed as JSON)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    env.update({"BRIEFING_VAR_DIR": str(var_dir), "BRIEFING_BROKER_URL": broker_url,
                "BRIEFING_STABLE_SECONDS": "0.3", "PYTHONUNBUFFERED": "1"})
    if database_url:
        env["BRIEFING_DATABASE_URL"] = database_url
    for key, value in settings.items():
        env[f"BRIEFING_{key.upper()}"] = json.dumps(value) if isinstance(value, dict) else str(value)
    return env


FAULTS_DIR = Path(__file__).resolve().parent / "faults"


def fault_env(env: dict[str, str], pause_at: dict[str, float] | None = None,
              crash_sha256: str | None = None) -> dict[str, str]:
    """``env`` plus the test-only fault hooks of tests/faults/sitecustomize.py (on ``PYTHONPATH``):
    pause ``{point: seconds}`` before a step, or SIGKILL the process that analyses content with
    ``crash_sha256``. The product itself has no such hooks."""
    out = {**env, "PYTHONPATH": os.pathsep.join(p for p in (str(FAULTS_DIR), env.get("PYTHONPATH")) if p)}
    if pause_at:
        out["FAULT_PAUSE_AT"] = json.dumps(pause_at)
    if crash_sha256:
        out["FAULT_CRASH_SHA256"] = crash_sha256
    return out


class Proc:
    """A child process in its own session (so ``kill`` reaches its pool children too), its output
    in a log file."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path, user: str | None = None,
                 prefix: list[str] | None = None):
        argv = [*(prefix or []), *argv]
        self.log = log
        self.argv = argv
        fh = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self._fh = fh
        preexec = None
        if user is not None:
            import pwd

            pw = pwd.getpwnam(user)

            def preexec():  # runs in the child before exec: drop root for good
                os.setgid(pw.pw_gid)
                os.setgroups([])
                os.setuid(pw.pw_uid)

        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                     start_new_session=True, preexec_fn=preexec)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for_output(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.proc.poll() is not None:
                pytest.fail(f"{self.argv} exited with {self.proc.returncode}:\n{self.output()[-4000:]}")
            time.sleep(0.1)
        pytest.fail(f"{text!r} not in the output of {self.argv} within {timeout} s:\n{self.output()[-4000:]}")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to the whole process group (the worker and its pool children)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(20)

    def stop(self) -> None:
        if self.alive():
            self.kill(signal.SIGTERM)
        if self.alive():
            self.kill(signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):  # orphaned pool children, if any
            os.killpg(self.proc.pid, signal.SIGKILL)
        self._fh.close()


CLI = [sys.executable, "-m", "worker.ops.cli"]


def start_worker(env: dict[str, str], log: Path, queues: str = "inbox,ingest", concurrency: int = 1,
                 name: str = "w", user: str | None = None, prefix: list[str] | None = None) -> Proc:
    """A real Celery worker (prefork pool) as ``briefing worker``; returns once it is ready."""
    p = Proc([*CLI, "worker", "-Q", queues, "-c", str(concurrency), "-n", f"{name}@%h"], env, log, user, prefix)
    p.wait_for_output("ready.", 90)
    return p


def start_beat(env: dict[str, str], log: Path) -> Proc:
    return Proc([*CLI, "beat"], env, log)


def start_watcher(env: dict[str, str], log: Path) -> Proc:
    return Proc([*CLI, "watch"], env, log)


def sender(broker_url: str):
    """A Celery app for sending tasks to ``broker_url`` with the project's routes (a fresh app, so
    the test process's own ``worker.core.app`` settings are not touched)."""
    from celery import Celery

    from worker.core.app import celery_app

    app = Celery("test-sender", broker=broker_url)
    app.conf.update(task_routes=celery_app.conf.task_routes, task_serializer="json",
                    broker_connection_retry_on_startup=True)
    return app


def send(broker_url: str, name: str, *args) -> None:
    app = sender(broker_url)
    try:
        app.send_task(name, args=list(args))
    finally:
        app.close()


def procs_cleanup(procs: list) -> None:
    for p in reversed(procs):
        with contextlib.suppress(Exception):
            p.stop() if isinstance(p, Proc) else p.kill()


# ----------------------------------------------------------------------------------------------
# Fixtures (import them into a test module by name)
# ----------------------------------------------------------------------------------------------
@pytest.fixture
def procs():
    """Processes and servers started by the test; stopped (SIGTERM, then SIGKILL) afterwards."""
    started: list = []
    yield started
    procs_cleanup(started)


@pytest.fixture
def own_redis(tmp_path, procs) -> RedisServer:
    server = RedisServer(tmp_path / "redis").start()
    procs.append(server)
    return server


class Db:
    """Read the test's database from the test process (its own engine)."""

    def __init__(self, url: str | None, var_dir: Path):
        from worker.core.db import make_engine

        self.url = url
        self.engine = make_engine(url or f"sqlite:///{var_dir / 'briefing.db'}")

    def all(self, stmt):
        from sqlmodel import Session

        with Session(self.engine) as s:
            return s.exec(stmt).all()

    def one(self, stmt):
        from sqlmodel import Session

        with Session(self.engine) as s:
            return s.exec(stmt).one()


@pytest.fixture(params=["sqlite", "postgres"])
def database(request, var_dir):
    """The test's database, once on SQLite (var_dir/briefing.db) and once on a fresh PostgreSQL
    database; ``database.url`` is None for SQLite (the default under BRIEFING_VAR_DIR)."""
    url = None
    if request.param == "postgres":
        from worker.core.db import migrate

        url = request.getfixturevalue("postgres_url")
        migrate(url)
    db = Db(url, var_dir)
    yield db
    db.engine.dispose()


def chinese_text(i: int) -> bytes:
    """A small, valid, distinct issue text (one short article)."""
    return (f"本报讯 第{i}号 全省工会召开第{i}次工作会议，研究部署职工服务工作。会议强调，"
            f"要把第{i}项任务落到实处，切实维护职工合法权益。\n").encode()
