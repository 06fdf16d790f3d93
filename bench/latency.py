"""Figure 3 — latency: files dropped one at a time into a running ``briefing run`` (real watcher,
inbox worker, processing worker, beat; SQLite, our own Redis). Latency of a file = its articles
committed (``Issue.processed_at``) − its last write (the file's mtime after ``close``). The file is
written in place, as a copy tool would, so the stability window W (``BRIEFING_STABLE_SECONDS``) is
part of what is measured; the target is p95 ≤ W + 0.5 s."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import statistics
import time
from dataclasses import dataclass, field

from bench.corpus import CorpusIssue
from bench.report import Figure, Printer
from bench.stack import Memory, RedisServer, Stack, children, temp_folder, worker_memory

MARGIN_S = 0.5


def default_window() -> float:
    from worker.core.settings import Settings

    return float(Settings.model_fields["stable_seconds"].default)


def percentile(xs: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0…100)."""
    s = sorted(xs)
    k = max(0, min(len(s) - 1, round(p / 100 * len(s) + 0.5) - 1))
    return s[k]


@dataclass
class Latency:
    window_s: float
    latencies: list[float]
    inbox_part: list[float]  # Issue.received_at − last write (stability window, scan, claim, commit)
    ingest_part: list[float]  # processed_at − received_at (queue, decode/parse/enrich, commit)
    startup_s: float
    worker_memory: Memory | None = None
    errors: list[str] = field(default_factory=list)


def _wait_for_watcher(stack: Stack, timeout: float = 60.0) -> None:
    from sqlmodel import Session

    from worker.core.models import ServiceMeta

    engine = stack.engine()
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            with Session(engine) as s:
                try:
                    if s.get(ServiceMeta, "heartbeat:watcher") is not None:
                        return
                except Exception:  # noqa: BLE001 - tables not there yet
                    pass
            time.sleep(0.2)
        raise RuntimeError("the watcher did not start (no heartbeat)")
    finally:
        engine.dispose()


def run(issues: list[CorpusIssue], *, window_s: float | None = None, keep: bool = False,
        seed: int = 0) -> Latency:
    from sqlmodel import Session, select

    from worker.core.models import Issue

    rng = random.Random(f"latency:{seed}")
    with temp_folder("bench-latency-", keep) as folder, RedisServer(folder / "redis") as redis:
        stack = Stack(folder, redis.url, f"sqlite:///{folder / 'var' / 'briefing.db'}", stable_seconds=window_s)
        window = window_s if window_s is not None else default_window()
        stack.migrate()
        t0 = time.time()
        run_proc = stack.start("run", "run")
        started: list[int] = []
        lat, inbox_part, ingest_part, errors = [], [], [], []
        mem = None
        try:
            stack.wait_workers(2, timeout=90)
            _wait_for_watcher(stack)
            startup = time.time() - t0
            started = children(run_proc.pid)
            time.sleep(1.0)
            engine = stack.engine()
            with Session(engine) as s:
                for issue in issues:
                    path = stack.inbox / issue.name
                    with open(path, "wb") as fh:
                        fh.write(issue.data)
                    last_write = os.stat(path).st_mtime
                    sha = issue.sha256
                    deadline = time.time() + 30 + window
                    row = None
                    while time.time() < deadline:
                        row = s.exec(select(Issue.received_at, Issue.processed_at, Issue.status)
                                     .where(Issue.sha256 == sha)).first()
                        s.rollback()
                        if row is not None and row[2] in ("processed", "failed"):
                            break
                        time.sleep(0.01)
                    if row is None or row[1] is None:
                        errors.append(f"{issue.name}: not processed within {30 + window:.0f} s ({row})")
                        continue
                    recv, done = _ts(row[0]), _ts(row[1])
                    lat.append(done - last_write)
                    inbox_part.append(recv - last_write)
                    ingest_part.append(done - recv)
                    time.sleep(rng.uniform(0.2, 0.5))
            engine.dispose()
            worker = next((c for c in children(run_proc.pid) if _is_processing_worker(c)), None)
            mem = worker_memory(worker) if worker else None
        finally:
            with contextlib.suppress(ProcessLookupError):
                run_proc.send_signal(signal.SIGTERM)
            stack.stop_all()
            for pid in started:  # anything `briefing run` failed to stop
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
    return Latency(window, lat, inbox_part, ingest_part, startup, mem, errors)


def _is_processing_worker(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"ingest,reports" in fh.read()
    except OSError:
        return False


def _ts(dt) -> float:
    from datetime import UTC

    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def report(printer: Printer, r: Latency) -> None:
    if not r.latencies:
        printer.info("latency: no file was processed; " + "; ".join(r.errors[:3]))
        return
    w = r.window_s
    p50, p95 = percentile(r.latencies, 50), percentile(r.latencies, 95)
    printer.figure(Figure("latency p50", p50, "s", w, "s", "W stability window"))
    printer.figure(Figure("latency p95", p95, "s", w, "s", "W stability window",
                          target=f"<= W + {MARGIN_S} s = {w + MARGIN_S:.2f} s", passed=p95 <= w + MARGIN_S))
    printer.info(f"W = BRIEFING_STABLE_SECONDS = {w:g} s; {len(r.latencies)} files of ~25,000 chars, one at a time; "
                 f"max {max(r.latencies):.2f} s, mean {statistics.mean(r.latencies):.2f} s; "
                 f"stack started in {r.startup_s:.1f} s")
    printer.info(f"split (p50): last write -> Issue stored {percentile(r.inbox_part, 50):.3f} s "
                 f"(p95 {percentile(r.inbox_part, 95):.3f}); Issue stored -> articles committed "
                 f"{percentile(r.ingest_part, 50):.3f} s (p95 {percentile(r.ingest_part, 95):.3f})")
    for e in r.errors[:5]:
        printer.info(f"error: {e}")
