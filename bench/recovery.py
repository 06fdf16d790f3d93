"""Figure 6 — recovery after SIGKILL: a processing worker is killed (its whole process group, as an
OOM kill or a power cut would) in the middle of a backlog, with the production time limits (an
attempt is stale after 390 s, reconcile every 5 min, Redis redelivers after an hour). A new worker
is started; recovery = the interrupted issues processed − the new worker answering a ping. Target
(issue 11): ≤ 60 s."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass, field

from bench.corpus import CorpusIssue
from bench.report import Figure, Printer
from bench.stack import RedisServer, Stack, temp_folder

TARGET_S = 60.0


@dataclass
class Recovery:
    recovery_s: float | None  # interrupted issues processed − new worker ready
    since_kill_s: float | None  # the same, counted from the kill
    backlog_s: float | None  # every issue processed − new worker ready
    interrupted: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _statuses(engine) -> dict[int, str]:
    from sqlmodel import Session, select

    from worker.core.models import Issue

    with Session(engine) as s:
        return dict(s.exec(select(Issue.id, Issue.status)).all())


def run(issues: list[CorpusIssue], *, keep: bool = False, timeout_s: float = 600.0) -> Recovery:
    with temp_folder("bench-recovery-", keep) as folder, RedisServer(folder / "redis") as redis:
        stack = Stack(folder, redis.url, f"sqlite:///{folder / 'var' / 'briefing.db'}")
        stack.migrate()
        engine = stack.engine()
        errors: list[str] = []
        try:
            stack.start_worker("inbox", "inbox")
            first = stack.start_worker("ingest1", "ingest")
            stack.wait_workers(2, timeout=120)
            for issue in issues:
                tmp = stack.inbox / f".{issue.name}.part"
                tmp.write_bytes(issue.data)
                os.rename(tmp, stack.inbox / issue.name)
            app = stack.control_app()
            app.send_task("briefing.scan_inbox", queue="inbox")
            app.close()
            deadline = time.time() + 120
            interrupted: list[int] = []
            while time.time() < deadline and not interrupted:
                interrupted = [i for i, st in _statuses(engine).items() if st == "processing"]
                time.sleep(0.005)
            if not interrupted:
                return Recovery(None, None, None, errors=["no issue was seen processing"])
            with contextlib.suppress(ProcessLookupError):
                os.killpg(first.pid, signal.SIGKILL)
            killed = time.time()
            first.wait(30)
            stack.procs.pop("ingest1")  # gone on purpose: wait_workers must not count it as a failure
            stack.start_worker("ingest2", "ingest")
            stack.wait_workers(2, timeout=120)
            ready = time.time()
            recovered = backlog = None
            while time.time() < ready + timeout_s:
                statuses = _statuses(engine)
                if recovered is None and all(statuses.get(i) == "processed" for i in interrupted):
                    recovered = time.time()
                if all(st in ("processed", "failed") for st in statuses.values()):
                    backlog = time.time()
                    break
                time.sleep(0.05)
            if recovered is None:
                errors.append(f"interrupted issues {interrupted} not processed within {timeout_s:.0f} s")
            return Recovery(recovered - ready if recovered else None, recovered - killed if recovered else None,
                            backlog - ready if backlog else None, interrupted, errors)
        finally:
            engine.dispose()
            stack.stop_all()


def report(printer: Printer, r: Recovery) -> None:
    if r.recovery_s is None:
        printer.info("recovery: not measured; " + "; ".join(r.errors[:3]))
        return
    from worker.core.settings import Settings

    stale = Settings().attempt_stale_seconds
    printer.figure(Figure("recovery after SIGKILL", r.recovery_s, "s", stale, "s",
                          "attempt stale time (the way back before issue 11)",
                          target=f"<= {TARGET_S:.0f} s after a worker is back", passed=r.recovery_s <= TARGET_S))
    printer.info(f"counted from the kill: {r.since_kill_s:.1f} s (includes starting the new worker)")
    printer.info(f"interrupted issue(s) {r.interrupted}: processed {r.recovery_s:.1f} s after the new worker "
                 f"answered a ping; whole backlog done {r.backlog_s:.1f} s after it" if r.backlog_s is not None
                 else f"interrupted issue(s) {r.interrupted}; the backlog did not finish")
