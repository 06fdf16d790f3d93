"""``briefing run``: all processes of a one-machine installation, started and stopped together."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time

log = logging.getLogger(__name__)


def commands(concurrency: int) -> dict[str, list[str]]:
    """The child processes: name → argv. The inbox worker runs one process so only one scan
    touches the folders at a time."""
    cli = [sys.executable, "-m", "worker.ops.cli"]
    return {
        "inbox-worker": [*cli, "worker", "-Q", "inbox", "-c", "1", "--hostname", "inbox@%h"],
        "worker": [*cli, "worker", "-Q", "ingest,reports", "-c", str(concurrency),
                   "--hostname", "ingest@%h"],
        "beat": [*cli, "beat"],
        "watcher": [*cli, "watch"],
    }


def run_all(concurrency: int = 2, max_backoff: float = 30.0) -> int:
    """Migrate, start every child, and keep them running until SIGINT/SIGTERM: a child that exits
    (beat exits when Redis goes away, a worker may be OOM-killed) is started again after a pause
    that doubles up to ``max_backoff`` seconds (reset once it has stayed up for a minute), like
    compose's ``restart: unless-stopped``. Returns 0 after a signal."""
    from worker.core.db import migrate
    from worker.core.logs import configure_logging

    configure_logging()
    migrate()
    argvs = commands(concurrency)
    procs = {name: subprocess.Popen(argv) for name, argv in argvs.items()}
    started = dict.fromkeys(procs, time.monotonic())
    backoff = dict.fromkeys(procs, 1.0)
    restart_at: dict[str, float] = {}
    stopping = {"signal": False}

    def _stop(signum, _frame):
        stopping["signal"] = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stopping["signal"]:
            now = time.monotonic()
            for name, p in procs.items():
                if name in restart_at:
                    if now >= restart_at[name]:
                        del restart_at[name]
                        procs[name] = subprocess.Popen(argvs[name])
                        started[name] = now
                    continue
                if p.poll() is not None:
                    if now - started[name] > 60:
                        backoff[name] = 1.0
                    log.error("%s exited with %s; starting it again in %.0f s", name, p.returncode,
                              backoff[name])
                    restart_at[name] = now + backoff[name]
                    backoff[name] = min(max_backoff, backoff[name] * 2)
            time.sleep(0.5)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.terminate()
        deadline = time.time() + 20
        for p in procs.values():
            try:
                p.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
    return 0
