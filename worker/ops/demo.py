"""``briefing demo``: the bundled sample issue through the real tasks, in a real Celery worker
consuming an embedded in-process broker (kombu's ``memory://`` transport), to a finished .docx."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from worker.core.settings import PROJECT_ROOT

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
    """Run the demo with ``approval: auto``; returns the process exit status. It works in its own
    var folder, ``workdir`` or by default ``BRIEFING_VAR_DIR/demo``, wiped first."""
    os.environ["BRIEFING_BROKER_URL"] = broker
    # the demo shows the pipeline to a finished .docx: no desk, no 签发 (its own var folder)
    os.environ["BRIEFING_APPROVAL"] = "auto"
    from worker.core.settings import get_settings

    if workdir is None:  # its own var folder: an unsigned demo briefing never joins the service's
        get_settings.cache_clear()
        workdir = get_settings().var_dir / "demo"
    shutil.rmtree(workdir, ignore_errors=True)
    os.environ["BRIEFING_VAR_DIR"] = str(workdir.resolve())

    get_settings.cache_clear()
    settings = get_settings()
    settings.ensure_dirs()
    from celery.contrib.testing.worker import start_worker
    from sqlmodel import select

    from worker.core.app import celery_app
    from worker.core.db import migrate, session_scope
    from worker.core.models import Article, Briefing, Issue, Receipt, TaskEvent

    migrate()
    console.print(f"working folder: {settings.var_dir}   broker: {broker}")
    console.print("approval: auto for the demo (no 签发; the service's default is approval: required)")

    def newest(model, *where):
        with session_scope() as s:
            return s.exec(select(model).where(*where).order_by(model.id.desc())).first()

    def finished(task_id: str):
        """The final TaskEvent of a task we sent (succeeded or failed), else None."""
        return newest(TaskEvent, TaskEvent.task_id == task_id, TaskEvent.state.in_(("succeeded", "failed")))

    mark = newest(Receipt)
    mark_id = mark.id if mark else 0
    try:
        with start_worker(celery_app, pool="threads", concurrency=2, queues=["inbox", "ingest", "reports"],
                          perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30):
            tmp = settings.inbox_dir / f".{SAMPLE.name}.part"
            shutil.copyfile(SAMPLE, tmp)
            os.replace(tmp, settings.inbox_dir / SAMPLE.name)
            console.print(f"dropped {SAMPLE.name} into {settings.inbox_dir}")
            began = time.monotonic()
            celery_app.send_task("briefing.scan_inbox")
            r = _wait_for(lambda: newest(Receipt, Receipt.id > mark_id, Receipt.file_name == SAMPLE.name),
                          30, "the inbox scan")
            console.print(f"receipt {r.id}: {r.outcome} → {r.stored_path}"
                          + (f" ({r.reason})" if r.reason else ""))
            if r.issue_id is None:
                console.print(f"[red]the sample was refused: {r.reason}[/red]")
                return 1
            with session_scope() as s:
                if r.outcome == "duplicate" and s.get(Issue, r.issue_id).status == "pending":
                    celery_app.send_task("briefing.process_issue", args=[r.issue_id])

            def done():
                with session_scope() as s:
                    issue = s.get(Issue, r.issue_id)
                    return issue if issue.status in ("processed", "failed", "duplicate") else None

            issue = _wait_for(done, 120, f"issue {r.issue_id} to be processed")
            if issue.status == "failed":
                console.print(f"[red]processing failed: {issue.error}[/red] (see `briefing status`)")
                return 1
            if issue.status == "duplicate":  # the sample's text was stored before in other bytes
                console.print(f"issue {issue.id}: {issue.error}")
            # force: a demo run again makes a new version rather than nothing
            sent = celery_app.send_task("briefing.make_briefing", args=["daily", issue.issue_date.isoformat(), True])
            event = _wait_for(lambda: finished(sent.id), 120, "the briefing")
            if event.state != "succeeded":
                console.print(f"[red]making the briefing failed: {event.detail}[/red]")
                return 1
            briefing_id = int(event.detail)
            # make_briefing queued the delivery; let it finish so no message is left in the broker
            delivery = _wait_for(lambda: newest(TaskEvent, TaskEvent.name == "briefing.deliver_briefing",
                                                TaskEvent.state == "started", TaskEvent.detail == repr(briefing_id),
                                                TaskEvent.id > event.id), 60, "the delivery task")
            _wait_for(lambda: finished(delivery.task_id) or newest(
                TaskEvent, TaskEvent.task_id == delivery.task_id, TaskEvent.state == "retried"), 60,
                "the delivery task")
            with session_scope() as s:
                made = s.get(Briefing, briefing_id)
                articles = s.exec(select(Article).where(Article.issue_id == issue.id).order_by(Article.seq)).all()
    except TimeoutError as exc:
        console.print(f"[red]{exc}[/red]; `briefing status` shows what the worker did")
        return 1
    from worker.enrich.classify import get_taxonomy

    labels = get_taxonomy().labels
    table = Table(title=f"Issue {issue.id}: {issue.file_name} ({issue.issue_date}, {issue.encoding})")
    for col in ("#", "title", "topic", "places", "figures"):
        table.add_column(col)
    for a in articles:
        table.add_row(str(a.seq), (a.title or "")[:36], labels.get(a.category, a.category), "、".join(a.places[:3]),
                      "、".join(f["text"] for f in a.figures[:3]))
    console.print(table)
    console.print(f"{len(articles)} articles in {time.monotonic() - began:.1f} s; "
                  f"briefing {made.year}年第{made.number}期 (v{made.version})")
    # Last line: the briefing's path alone, unwrapped, so scripts can take it.
    print(made.path_in(settings.var_dir) or made.status, flush=True)
    return 0
