"""Figure 2 — backfill: N issues dropped at once into the inbox of a running stack (our own Redis, an
inbox worker, two ingest worker processes — real ``briefing worker`` subprocesses), on SQLite and on
PostgreSQL. Wall time runs from the first file written to the last ``Issue.processed_at``.

``BRIEFING_STABLE_SECONDS=0`` here: the files are complete when dropped (written under a hidden
``.part`` name and renamed), and a backfill must not measure the stability window. The scan is
requested once, as ``briefing ingest`` does; no watcher and no beat run in this stack."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench.corpus import CorpusIssue
from bench.report import Figure, Printer
from bench.stack import Memory, RedisServer, Stack, children, cpu_seconds, temp_folder, worker_memory

INGEST_WORKERS = 2
OVERHEAD_TARGET_MS = 25.0


def _ts(dt: datetime | None) -> float | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


@dataclass
class Backfill:
    db: str
    n: int
    wall_s: float
    drop_s: float
    processed: int
    failed: int
    articles: int
    scan_s: float | None  # duration of the scan_inbox task(s)
    first_processed_s: float | None  # first Issue.processed_at − drop start
    last_received_s: float | None  # last Issue.received_at − drop start (when the scan ended)
    cpu_s: dict[str, float] = field(default_factory=dict)  # role → CPU seconds used during the run
    ingest_memory: list[Memory] = field(default_factory=list)
    ingest_idle: list[Memory] = field(default_factory=list)
    inbox_memory: Memory | None = None
    task_events: int = 0

    @property
    def issues_per_s(self) -> float:
        return self.n / self.wall_s

    @property
    def articles_per_s(self) -> float:
        return self.articles / self.wall_s

    def overhead_ms(self, pipeline_ms: float) -> float:
        return self.wall_s * INGEST_WORKERS / self.n * 1000 - pipeline_ms


def run_one(db: str, issues: list[CorpusIssue], *, database_url: str | None = None, keep: bool = False,
            timeout_s: float | None = None) -> Backfill:
    """Run the backfill on ``db`` ("sqlite" or "postgresql" with ``database_url``)."""
    from sqlalchemy import func
    from sqlmodel import Session, select

    from worker.core.models import Issue, Receipt, TaskEvent

    n = len(issues)
    timeout_s = timeout_s or max(180.0, n * 1.0)
    with temp_folder(f"bench-backfill-{db}-", keep) as folder, RedisServer(folder / "redis") as redis:
        url = database_url or f"sqlite:///{folder / 'var' / 'briefing.db'}"
        stack = Stack(folder, redis.url, url, stable_seconds=0)
        stack.migrate()
        try:
            stack.start_worker("inbox", "inbox", 1)
            ingest = [stack.start_worker(f"ingest{i + 1}", "ingest", 1) for i in range(INGEST_WORKERS)]
            stack.wait_workers(1 + INGEST_WORKERS)
            time.sleep(0.5)
            idle = [worker_memory(p.pid, "VmRSS") for p in ingest]
            app = stack.control_app()
            roles = _roles(stack, redis, ingest)
            cpu0 = {pid: cpu_seconds(pid) for pids in roles.values() for pid in pids}
            cpu0.update(_pg_backends(database_url))
            t0 = time.time()
            for issue in issues:
                tmp = stack.inbox / f".{issue.name}.part"
                tmp.write_bytes(issue.data)
                os.replace(tmp, stack.inbox / issue.name)
            drop_s = time.time() - t0
            app.send_task("briefing.scan_inbox", queue="inbox")
            engine = stack.engine(application_name="bench")
            deadline = time.time() + timeout_s
            with Session(engine) as s:
                while True:
                    receipts = s.exec(select(func.count()).select_from(Receipt)).one()
                    pending = s.exec(select(func.count()).select_from(Issue).where(
                        Issue.status.notin_(["processed", "failed"]))).one()
                    s.rollback()
                    if receipts >= n and pending == 0:
                        break
                    if time.time() > deadline:
                        raise RuntimeError(f"backfill on {db} not finished after {timeout_s:.0f} s: "
                                           f"{receipts} receipts, {pending} issues unfinished")
                    time.sleep(0.25)
                roles = _roles(stack, redis, ingest)
                if database_url:
                    roles["postgres backends"] = list(_pg_backends(database_url))
                cpu = {role: sum(cpu_seconds(pid) - cpu0.get(pid, 0.0) for pid in pids)
                       for role, pids in roles.items()}
                ingest_mem = [worker_memory(p.pid) for p in ingest]
                inbox_mem = worker_memory(stack.procs["inbox"].pid)
                done = s.exec(select(Issue.status, Issue.received_at, Issue.processed_at, Issue.article_count)).all()
                scans = s.exec(select(TaskEvent.duration).where(
                    TaskEvent.name == "briefing.scan_inbox", TaskEvent.state == "succeeded")).all()
                events = s.exec(select(func.count()).select_from(TaskEvent)).one()
            engine.dispose()
            app.close()
        finally:
            stack.stop_all()
    processed = [r for r in done if r[0] == "processed"]
    last = max(_ts(r[2]) for r in processed) if processed else time.time()
    first = min(_ts(r[2]) for r in processed) if processed else None
    last_recv = max(_ts(r[1]) for r in done) if done else None
    return Backfill(
        db=db, n=n, wall_s=last - t0, drop_s=drop_s, processed=len(processed),
        failed=sum(1 for r in done if r[0] == "failed"), articles=sum(r[3] for r in processed),
        scan_s=sum(d for d in scans if d) if scans else None,
        first_processed_s=(first - t0) if first else None,
        last_received_s=(last_recv - t0) if last_recv else None,
        cpu_s=cpu, ingest_memory=ingest_mem, ingest_idle=idle, inbox_memory=inbox_mem, task_events=events)


def _roles(stack: Stack, redis: RedisServer, ingest) -> dict[str, list[int]]:
    inbox = stack.procs["inbox"].pid
    return {
        "ingest pool children": [c for p in ingest for c in children(p.pid)],
        "ingest worker mains": [p.pid for p in ingest],
        "inbox worker": [inbox, *children(inbox)],
        "redis": [redis.proc.pid],
    }


def _pg_backends(database_url: str | None) -> dict[int, float]:
    """CPU seconds of the PostgreSQL backends serving our database (same machine)."""
    if not database_url:
        return {}
    import psycopg

    from bench.stack import PG_ADMIN_URL

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        pids = [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND application_name <> 'bench'", (name,))]
    return {pid: cpu_seconds(pid) for pid in pids}


def report(printer: Printer, b: Backfill, pipeline_ms: float, articles_per_issue: float,
           parallel_ms: float | None = None) -> None:
    """Print the backfill figures for one database."""
    ideal_wall = b.n * pipeline_ms / 1000 / INGEST_WORKERS
    name = f"backfill {b.db}"
    printer.figure(Figure(f"{name} wall", b.wall_s, "s", ideal_wall, "s",
                          f"ideal ({b.n} x pipeline time per issue / {INGEST_WORKERS} processes)"))
    printer.figure(Figure(f"{name} issues/s", b.issues_per_s, "issues/s", b.n / ideal_wall, "issues/s", "ideal"))
    printer.figure(Figure(f"{name} articles/s", b.articles_per_s, "articles/s",
                          b.n * articles_per_issue / ideal_wall, "articles/s", "ideal"))
    overhead = b.overhead_ms(pipeline_ms)
    printer.figure(Figure(f"{name} stack overhead per issue", overhead, "ms", pipeline_ms, "ms",
                          "single-process pipeline per issue", target=f"<= {OVERHEAD_TARGET_MS:.0f} ms",
                          passed=overhead <= OVERHEAD_TARGET_MS))
    parts = [f"{b.processed} processed, {b.failed} failed, {b.articles} articles",
             f"files written in {b.drop_s:.2f} s"]
    if b.scan_s is not None:
        parts.append(f"scan_inbox ran {b.scan_s:.1f} s")
    if b.last_received_s is not None:
        parts.append(f"last Issue stored at +{b.last_received_s:.1f} s")
    if b.first_processed_s is not None:
        parts.append(f"first Issue processed at +{b.first_processed_s:.1f} s")
    parts.append(f"{b.task_events} TaskEvent rows")
    printer.info("; ".join(parts))
    if parallel_ms is not None:
        stack_only = b.wall_s * INGEST_WORKERS / b.n * 1000 - parallel_ms
        printer.info(f"overhead split: the bare pipeline in {INGEST_WORKERS} processes at once (no broker, no DB) "
                     f"takes {parallel_ms:.1f} ms/issue (wall x {INGEST_WORKERS} / N), i.e. the machine's parallel "
                     f"slowdown is {parallel_ms - pipeline_ms:+.1f} ms; the stack itself adds "
                     f"{stack_only:+.1f} ms/issue")
    if b.cpu_s:
        printer.info("CPU per issue: " + ", ".join(f"{role} {sec / b.n * 1000:.1f} ms" for role, sec in b.cpu_s.items())
                     + f" (pipeline alone: {pipeline_ms:.1f} ms)")
