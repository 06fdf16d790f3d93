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
    cli = [sys.executable, "-m", "worker.cli"]
    return {
        "inbox-worker": [*cli, "worker", "-Q", "inbox", "-c", "1", "--hostname", "inbox@%h"],
        "worker": [*cli, "worker", "-Q", "ingest,reports", "-c", str(concurrency),
                   "--hostname", "ingest@%h"],
        "beat": [*cli, "beat"],
        "watcher": [*cli, "watch"],
    }


def run_all(concurrency: int = 2) -> int:
    """Migrate, start every child, and wait; when one exits or on SIGINT/SIGTERM stop the rest.
    Returns the exit status of the first child that ended (0 after a signal)."""
    from worker.db import migrate

    migrate()
    procs = {name: subprocess.Popen(argv) for name, argv in commands(concurrency).items()}
    stopping = {"signal": False}

    def _stop(signum, _frame):
        stopping["signal"] = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    code = 0
    try:
        while not stopping["signal"]:
            ended = [(n, p.returncode) for n, p in procs.items() if p.poll() is not None]
            if ended:
                name, code = ended[0]
                log.error("%s exited with %s; stopping the others", name, code)
                break
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
    return code
