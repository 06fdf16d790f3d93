"""What operations and admins see: ``briefing status`` and ``briefing health``."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy import func
from sqlmodel import select

from worker.core.app import QUEUES, redis_client
from worker.core.models import Briefing, Issue, Receipt, ServiceMeta, TaskEvent, local_time, utcnow
from worker.core.settings import get_settings

BEAT_LOCK_KEY = "redbeat::lock"


def _local(ts: datetime | None) -> str:
    """A stored UTC time in ``BRIEFING_TIMEZONE`` with its offset shown (``… 08:00:05+08:00``)."""
    return "" if ts is None else local_time(ts, get_settings().timezone)


def queue_lengths() -> dict[str, int] | None:
    """Messages waiting per queue (Redis broker only; None otherwise or when unreachable)."""
    url = get_settings().broker_url
    if not url.startswith(("redis://", "rediss://")):
        return None
    import redis

    try:
        client = redis_client(url, socket_timeout=2, socket_connect_timeout=2)
        return {q: client.llen(q) for q in QUEUES}
    except redis.RedisError:
        return None


def workers_alive(timeout: float = 1.5) -> list[str] | None:
    """Names of workers answering a ping (None when the broker is unreachable)."""
    from worker.core.app import celery_app

    url = get_settings().broker_url
    if url.startswith(("redis://", "rediss://")):  # fail fast: kombu would retry for many seconds
        import redis

        try:
            redis_client(url, socket_timeout=2, socket_connect_timeout=2).ping()
        except redis.RedisError:
            return None

    try:
        replies = celery_app.control.ping(timeout=timeout) or []
    except Exception:  # noqa: BLE001
        return None
    return sorted(name for reply in replies for name in reply)


def beat_alive() -> bool | None:
    """True when a beat holds the RedBeat lock in Redis (None: not a Redis broker / unreachable)."""
    url = get_settings().broker_url
    if not url.startswith(("redis://", "rediss://")):
        return None
    import redis

    try:
        return bool(redis_client(url, socket_timeout=2, socket_connect_timeout=2).exists(BEAT_LOCK_KEY))
    except redis.RedisError:
        return None


def shown(value: str | None, style: str = "") -> Text:
    """``value`` as literal table text: never read as rich markup (a file may be named
    ``[red]x.txt`` or ``a[/b].txt``), control and format characters (newlines, bidi overrides such
    as U+202E that would reverse the rest of the line) shown as escapes like ``\\u202e``."""
    out = "".join(
        ch if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp") else ch.encode("unicode_escape").decode()
        for ch in value or "")
    return Text(out, style=style)


def skip_reason(b: Briefing) -> str:
    """Why a briefing was skipped (``empty_period: skip``): "2024-12-26: no issue received", or
    the whole period for a weekly/monthly one."""
    period = str(b.period_start) if b.period_start == b.period_end else f"{b.period_start}…{b.period_end}"
    return f"{period}: no issue received"


def show_status(console: Console, limit: int = 10) -> int:
    """Print receipts, the issues that are not processed (pending, processing, failed — by id and
    name, failures with reasons), refused files still in failed/, briefings, task history, queues
    and liveness. Times are ``BRIEFING_TIMEZONE`` with the offset shown. Returns the exit code:
    1 when the database is unreachable or not migrated (the broker side is still shown), else 0."""
    from worker.core.db import schema_problem, session_scope

    settings = get_settings()
    problem = schema_problem()
    if problem:  # never the URL: it may hold a password
        console.print(f"[red]{problem}[/red]", highlight=False)
        _show_broker_side(console)
        return 1
    try:
        with session_scope() as s:
            receipts = s.exec(select(Receipt).order_by(Receipt.id.desc()).limit(limit)).all()
            counts = dict(s.exec(select(Issue.status, func.count()).group_by(Issue.status)).all())
            # same text as an earlier issue (final, no articles; issue 10)
            duplicates = s.exec(select(Issue.id, Issue.file_name, Issue.error, Issue.status)
                                .where(Issue.status == "duplicate").order_by(Issue.id.desc()).limit(limit)).all()
            receipt_notes = dict(s.exec(select(Issue.id, Issue.error).where(
                Issue.id.in_([r.issue_id for r in receipts if r.issue_id]), Issue.status == "duplicate")).all())
            open_issues = s.exec(select(Issue.id, Issue.file_name, Issue.status, Issue.attempts, Issue.received_at,
                                        Issue.error).where(Issue.status.in_(UNFINISHED))
                                 .order_by(Issue.id.desc()).limit(limit * 5)).all()
            refused = s.exec(select(Receipt).where(Receipt.outcome == "refused")
                             .order_by(Receipt.id.desc()).limit(limit * 5)).all()
            briefings = s.exec(select(Briefing).order_by(Briefing.id.desc()).limit(limit)).all()
            events = s.exec(select(TaskEvent).order_by(TaskEvent.id.desc()).limit(limit * 2)).all()
            watcher = s.get(ServiceMeta, "heartbeat:watcher")
    except Exception as exc:  # noqa: BLE001 - still show the broker side; no URL (it may hold a password)
        console.print(f"[red]database error: {type(exc).__name__}[/red]")
        _show_broker_side(console)
        return 1
    console.print(f"Times: {settings.timezone} (UTC offset shown)", highlight=False)
    t = Table(title="Receipts (newest first)")
    for col in ("id", "received", "file", "size", "outcome", "issue / reason"):
        t.add_column(col)
    for r in receipts:
        style = {"refused": "red", "duplicate": "yellow"}.get(r.outcome, "green")
        note = f"issue {r.issue_id}" + (f": {receipt_notes[r.issue_id]}" if r.issue_id in receipt_notes else "")
        t.add_row(str(r.id), _local(r.received_at), shown(r.file_name), str(r.size),
                  shown(r.outcome, style), shown(r.reason or note))
    console.print(t)
    console.print("Issues: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) if counts
                  else "Issues: none yet")
    _show_open_issues(console, open_issues)
    if duplicates:
        t = Table(title="Duplicate issues (same text as an earlier issue; no articles)")
        for col in ("id", "file", "status", "why"):
            t.add_column(col)
        for row in duplicates:
            t.add_row(str(row[0]), shown(row[1]), row[3], shown(row[2], "yellow"))
        console.print(t)
    _show_refused(console, [r for r in refused if r.stored_path and (settings.var_dir / r.stored_path).exists()])
    t = Table(title="Briefings")
    for col in ("id", "kind", "period", "第N期", "v", "articles", "status", "file"):
        t.add_column(col)
    for b in briefings:
        number = f"{b.year}年第{b.number}期" if b.number else "—"
        t.add_row(str(b.id), b.kind, f"{b.period_start}…{b.period_end}", number,
                  str(b.version), str(b.article_count), b.status,
                  shown(b.file_path) if b.status != "skipped" else skip_reason(b))
    console.print(t)
    for b in briefings:
        if b.status == "skipped":
            console.print(f"Skipped {b.kind} briefing — {skip_reason(b)}")
    t = Table(title="Task history (newest first)")
    for col in ("time", "task", "state", "seconds", "detail"):
        t.add_column(col)
    for e in events:
        t.add_row(_local(e.at), e.name.removeprefix("briefing."), e.state,
                  f"{e.duration:.2f}" if e.duration is not None else "", shown((e.detail or "")[:60]))
    console.print(t)
    show_intake(console)
    _show_broker_side(console)
    if watcher:
        age = (utcnow() - datetime.fromisoformat(watcher.value)).total_seconds()
        console.print(f"Watcher: last heartbeat {age:.0f} s ago" + (" [red](stale)[/red]" if age > 90 else ""))
    else:
        console.print("Watcher: never ran")
    return 0


UNFINISHED = ("pending", "processing", "failed")


def _show_open_issues(console: Console, rows) -> None:
    """Issues waiting, being processed or failed, by id and file name, with the reason when there
    is one (failed; pending again after a database error in the store step)."""
    if not rows:
        return
    t = Table(title="Issues not processed (failed: fix the cause, then `briefing retry ID` | --all-failed)")
    for col in ("id", "file", "status", "attempts", "received", "reason"):
        t.add_column(col)
    for issue_id, name, status, attempts, received_at, error in rows:
        style = {"failed": "red", "processing": "yellow"}.get(status, "")
        t.add_row(str(issue_id), shown(name), shown(status, style), str(attempts), _local(received_at),
                  shown(error or "", "red" if status == "failed" else "yellow"))
    console.print(t)


def _show_refused(console: Console, receipts: list[Receipt]) -> None:
    """Files refused at the door that are still in failed/ (they have no issue id: there is nothing
    to retry; fix the file and drop it into the inbox again)."""
    if not receipts:
        return
    t = Table(title="Refused files in failed/ (fix the file and drop it into the inbox again)")
    for col in ("receipt", "received", "file", "in", "reason"):
        t.add_column(col)
    for r in receipts:
        t.add_row(str(r.id), _local(r.received_at), shown(r.file_name), shown(r.stored_path), shown(r.reason, "red"))
    console.print(t)


def claimed_unrecorded(limit: int = 50) -> list[dict]:
    """Files sitting in ``processing/CLAIM/``: claimed by a scan but not filed away. Each a dict:
    file (display name), claim, age_s (seconds since the claim), receipt (``"N outcome"`` or None:
    no receipt written), why (the recorded problem, or what this state means)."""
    from worker.core.db import session_scope
    from worker.intake.inbox import display_name
    from worker.intake.problems import current

    settings = get_settings()
    folders = sorted(p for p in settings.processing_dir.iterdir() if p.is_dir()) \
        if settings.processing_dir.exists() else []
    reasons = {row["where"]: row["reason"] for row in current(settings) or []}
    rows = []
    now = utcnow().timestamp()
    for folder in folders[:limit]:
        try:
            with session_scope() as s:
                receipt = s.exec(select(Receipt).where(Receipt.claim_id == folder.name)).first()
        except Exception:  # noqa: BLE001 - the folder listing is what matters here
            receipt = None
        for item in sorted(folder.iterdir()) or [None]:
            name = display_name(item.name) if item else "(empty claim folder)"
            where = f"processing/{folder.name}/{name}"
            why = reasons.get(where) or (
                f"receipt written, not yet moved to {receipt.stored_path}" if receipt else
                "no receipt yet: being taken now, or the scan stopped (worker killed, disk full); "
                f"reconcile returns it to the inbox after {settings.processing_stale_seconds:.0f} s")
            rows.append({"file": name, "claim": folder.name, "age_s": now - folder.stat().st_mtime,
                         "receipt": f"{receipt.id} {receipt.outcome}" if receipt else None, "why": why})
    return rows


def show_intake(console: Console) -> None:
    """Print the inbox files a scan could not take (and why) and the files claimed into
    ``processing/`` but not filed away; nothing when both are empty."""
    from worker.intake.problems import current

    settings = get_settings()
    problems = [p for p in current(settings) or [] if not p["where"].startswith("processing/")]
    if problems:
        t = Table(title="Inbox files that cannot be taken (tried again at every scan)")
        for col in ("file", "where", "since", "scans", "reason"):
            t.add_column(col)
        for p in problems:
            t.add_row(shown(p["file"]), shown(p["where"]), _local(datetime.fromisoformat(p["since"])),
                      str(p["scans"]), shown(p["reason"], "red"))
        console.print(t)
    claimed = claimed_unrecorded()
    if claimed:
        t = Table(title="Claimed into processing/ but not filed away")
        for col in ("file", "claim", "age", "receipt", "why"):
            t.add_column(col)
        for c in claimed:
            t.add_row(shown(c["file"]), shown(c["claim"]), f"{c['age_s']:.0f} s", c["receipt"] or "none",
                      shown(c["why"], "red"))
        console.print(t)


def _show_broker_side(console: Console) -> None:
    q = queue_lengths()
    console.print("Queues: " + (", ".join(f"{k} {v}" for k, v in q.items()) if q is not None
                                else "not available (broker is not Redis or unreachable)"))
    workers = workers_alive()
    console.print("Workers: " + (", ".join(workers) if workers else "[red]none answering[/red]"))
    beat = beat_alive()
    console.print("Beat: " + {True: "running (holds the RedBeat lock)", False: "[red]not running[/red]",
                              None: "unknown"}[beat])


def check_health() -> list[str]:
    """Problems found (empty list: healthy): database, LibreOffice when ``approval: required``,
    broker, at least one worker."""
    from worker.core.db import schema_problem

    problems = []
    db = schema_problem()
    if db:
        problems.append(db)
    from worker.briefing.config import load_briefing_config
    from worker.briefing.delivery import soffice_binary

    if load_briefing_config().get("approval") == "required" and soffice_binary() is None:
        # the desk shows a draft as leadership will see it: the PDF's pages (issue 19)
        problems.append("LibreOffice (soffice) is required when approval: required (config/briefing.yaml) "
                        "and it is missing: install libreoffice-writer")
    from worker.core.app import celery_app

    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
    except Exception as exc:  # noqa: BLE001
        # the URL without its password: the reason alone ("OperationalError") said nothing
        url = celery_app.connection_for_write().as_uri()
        problems.append(f"broker unreachable at {url}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        return problems
    if not workers_alive():
        problems.append("no worker answers a ping")
    return problems
