"""A private running stack for the benchmarks: our own ``redis-server`` on a free port, a temporary
``BRIEFING_VAR_DIR``, an SQLite file or a fresh PostgreSQL database, and real ``briefing worker`` /
``briefing run`` subprocesses. Every process started here is stopped here, by its own pid."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bench import ROOT

PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen, timeout: float = 20.0, sig: int = signal.SIGTERM) -> None:
    """Stop one process we started: ``sig``, then SIGKILL after ``timeout``."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(5)


class RedisServer:
    """``redis-server`` on a free port, AOF on (as in docker-compose), data in ``folder``."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if not binary:
            raise RuntimeError("redis-server not found on PATH")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
             "--dir", str(self.folder), "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        import redis

        client = redis.Redis(port=self.port, socket_timeout=1)
        deadline = time.time() + 10
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"redis-server on port {self.port} did not start") from None
                time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        if self.proc:
            stop(self.proc, 10)


@contextlib.contextmanager
def postgres_database(prefix: str = "briefing_bench"):
    """A fresh PostgreSQL database (URL yielded), dropped afterwards."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = PG_ADMIN_URL
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


# ------------------------------------------------------------------------------------------------
# Process memory (Linux /proc)


def _status(pid: int) -> dict[str, str]:
    out = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def kib(pid: int, field_name: str) -> int:
    """A ``/proc/PID/status`` memory field in KiB (VmHWM = peak RSS, VmRSS = current RSS)."""
    try:
        return int(_status(pid)[field_name].split()[0])
    except (OSError, KeyError, ValueError):
        return 0


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (scan of /proc/*/stat)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.append(int(d))
    return sorted(out)


@dataclass
class Memory:
    """Peak RSS (VmHWM) of a worker's main process and of its prefork pool children, in MiB."""

    main_mb: float
    children_mb: list[float] = field(default_factory=list)

    @property
    def child_peak_mb(self) -> float:
        return max(self.children_mb, default=0.0)


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by ``pid`` (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def worker_memory(pid: int, key: str = "VmHWM") -> Memory:
    return Memory(kib(pid, key) / 1024, [kib(c, key) / 1024 for c in children(pid)])


# ------------------------------------------------------------------------------------------------
# The stack


@dataclass
class Stack:
    """A working folder, a broker and a database URL, and the processes started on them."""

    folder: Path
    broker_url: str
    database_url: str
    stable_seconds: float | None = None
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def var_dir(self) -> Path:
        return self.folder / "var"

    @property
    def inbox(self) -> Path:
        return self.var_dir / "inbox"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
        env.update(BRIEFING_VAR_DIR=str(self.var_dir), BRIEFING_DATABASE_URL=self.database_url,
                   BRIEFING_BROKER_URL=self.broker_url, BRIEFING_LOG_LEVEL="INFO",
                   BRIEFING_APPROVAL="auto",  # the figures time finished briefings, not drafts
                   PYTHONUNBUFFERED="1")
        if self.stable_seconds is not None:
            env["BRIEFING_STABLE_SECONDS"] = str(self.stable_seconds)
        return env

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "worker.ops.cli", *args], cwd=ROOT, env=self.env(),
                              capture_output=True, text=True, check=check, timeout=300)

    def migrate(self) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        for sub in ("inbox", "processing", "archive", "failed", "outbox", "models"):
            (self.var_dir / sub).mkdir(exist_ok=True)
        self.cli("migrate")

    def start(self, name: str, *args: str) -> subprocess.Popen:
        """Start ``python -m worker.ops.cli ARGS`` (``briefing ARGS``), output to ``<folder>/<name>.log``."""
        with open(self.folder / f"{name}.log", "wb") as log:  # the child keeps its own descriptor
            proc = subprocess.Popen([sys.executable, "-m", "worker.ops.cli", *args], cwd=ROOT, env=self.env(),
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[name] = proc
        return proc

    def start_worker(self, name: str, queues: str, concurrency: int = 1) -> subprocess.Popen:
        return self.start(name, "worker", "-Q", queues, "-c", str(concurrency), "--hostname", f"{name}@bench")

    def control_app(self):
        """A bare Celery app on our broker, to ping workers and send tasks by name."""
        from celery import Celery

        app = Celery("bench", broker=self.broker_url)
        app.conf.update(task_serializer="json", accept_content=["json"], broker_connection_retry_on_startup=True)
        return app

    def wait_workers(self, n: int, timeout: float = 60.0) -> float:
        """Wait until ``n`` workers answer a ping; returns the seconds waited."""
        app = self.control_app()
        t0 = time.time()
        try:
            while True:
                for name, p in self.procs.items():
                    if p.poll() is not None:
                        raise RuntimeError(f"{name} exited with {p.returncode}: see {self.folder / (name + '.log')}")
                replies = app.control.ping(timeout=0.5) or []
                if len(replies) >= n:
                    return time.time() - t0
                if time.time() - t0 > timeout:
                    raise RuntimeError(f"only {len(replies)} of {n} workers answered within {timeout:.0f} s")
        finally:
            app.close()

    def stop_all(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            stop(p, 30)

    def engine(self, application_name: str | None = None):
        """An engine on the stack's database (for the bench's own queries; on PostgreSQL tagged
        with ``application_name`` so its backend is not counted as the stack's)."""
        from worker.core.db import make_engine

        url = self.database_url
        if application_name and url.startswith("postgresql"):
            url += ("&" if "?" in url else "?") + f"application_name={application_name}"
        return make_engine(url)


@contextlib.contextmanager
def temp_folder(prefix: str, keep: bool = False):
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


# ------------------------------------------------------------------------------------------------
# Other work on the machine


def _busy_jiffies() -> int:
    with open("/proc/stat") as fh:
        f = [int(x) for x in fh.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = f[:8]
    return user + nice + system + irq + softirq + steal


def _tree_jiffies(root: int) -> int:
    """CPU jiffies of ``root`` and its live descendants, including their waited-for children."""
    parents: dict[int, int] = {}
    stats: dict[int, list[str]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(d)] = int(fields[1])
        stats[int(d)] = fields
    total = 0
    for pid, fields in stats.items():
        p = pid
        while p and p != root:
            p = parents.get(p, 0)
        if p == root:
            total += sum(int(x) for x in fields[11:15])
    return total


class OtherLoad:
    """How many cores processes outside the bench's own process tree kept busy while a figure was
    measured (other users' test runs on a shared machine skew every figure; PostgreSQL's server
    processes count as outside)."""

    def __init__(self):
        self.me = os.getpid()
        self.t0 = time.time()
        self.busy0 = _busy_jiffies()
        self.mine0 = _tree_jiffies(self.me)

    def cores(self) -> float:
        elapsed = max(time.time() - self.t0, 1e-6)
        other = (_busy_jiffies() - self.busy0) - (_tree_jiffies(self.me) - self.mine0)
        return max(other, 0) / CLK_TCK / elapsed
