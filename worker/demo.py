"""``briefing demo``: the bundled sample issue through the real tasks, in a real Celery worker
consuming an embedded in-process broker (kombu's ``memory://`` transport), to a finished .docx."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from worker.settings import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "samples" / "000_251c0b359e5127ab.txt"


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError(f"timed out waiting for {what}")


def run_demo(console: Console, broker: str, workdir: Path | None) -> int:
    """Run the demo; returns the process exit status. ``workdir`` (optional) replaces
    ``BRIEFING_VAR_DIR`` for this run, wiped first."""
    os.environ["BRIEFING_BROKER_URL"] = broker
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)
        os.environ["BRIEFING_VAR_DIR"] = str(workdir.resolve())
    from worker.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    settings.ensure_dirs()
    from celery.contrib.testing.worker import start_worker
    from sqlmodel import select

    from worker.app import celery_app
    from worker.db import migrate, session_scope
    from worker.models import Article, Briefing, Issue, Receipt

    migrate()
    console.print(f"working folder: {settings.var_dir}   broker: {broker}")
    with start_worker(celery_app, pool="threads", concurrency=2, queues=["inbox", "ingest", "reports"],
                      perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30):
        tmp = settings.inbox_dir / f".{SAMPLE.name}.part"
        shutil.copyfile(SAMPLE, tmp)
        os.replace(tmp, settings.inbox_dir / SAMPLE.name)
        console.print(f"dropped {SAMPLE.name} into {settings.inbox_dir}")
        began = time.monotonic()
        celery_app.send_task("briefing.scan_inbox")

        def receipt():
            with session_scope() as s:
                return s.exec(select(Receipt).where(Receipt.file_name == SAMPLE.name)
                              .order_by(Receipt.id.desc())).first()

        r = _wait_for(receipt, 30, "the inbox scan")
        console.print(f"receipt {r.id}: {r.outcome} → {r.stored_path}")

        def done():
            with session_scope() as s:
                issue = s.get(Issue, r.issue_id)
                return issue if issue and issue.status in ("processed", "failed") else None

        issue = _wait_for(done, 120, "issue processing")
        if issue.status == "failed":
            console.print(f"[red]processing failed: {issue.error}[/red]")
            return 1
        with session_scope() as s:
            previous = s.exec(select(Briefing.id).where(Briefing.kind == "daily")
                              .order_by(Briefing.id.desc())).first()
        celery_app.send_task("briefing.make_briefing", args=["daily", issue.issue_date.isoformat(), True])

        def briefing():
            with session_scope() as s:
                b = s.exec(select(Briefing).where(Briefing.kind == "daily").order_by(Briefing.id.desc())).first()
                return b if b and b.id != previous else None

        made = _wait_for(briefing, 120, "the briefing")
        with session_scope() as s:
            articles = s.exec(select(Article).where(Article.issue_id == issue.id).order_by(Article.seq)).all()
    table = Table(title=f"Issue {issue.id}: {issue.file_name} ({issue.issue_date}, {issue.encoding})")
    for col in ("#", "title", "category", "places", "figures"):
        table.add_column(col)
    for a in articles:
        table.add_row(str(a.seq), (a.title or "")[:36], a.category, "、".join(a.places[:3]),
                      "、".join(f["text"] for f in a.figures[:3]))
    console.print(table)
    console.print(f"{len(articles)} articles in {time.monotonic() - began:.1f} s; "
                  f"briefing {made.year}年第{made.number}期 (v{made.version})")
    # Last line: the briefing's path alone, unwrapped, so scripts can take it.
    print((settings.var_dir / made.file_path) if made.file_path else made.status, flush=True)
    return 0
