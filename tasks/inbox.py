"""Inbox tasks (queue ``inbox``): the only tasks that touch the folders."""

from __future__ import annotations

from worker.core.app import celery_app
from worker.core.db import session_scope
from worker.core.settings import get_settings


def request_scan(countdown: float | None = None) -> bool:
    """Ask for a scan (now, or in ``countdown`` seconds) unless one that will do already waits
    (``worker.intake.coalesce``). Returns True when a message was sent."""
    from worker.intake.coalesce import request_scan as coalesced

    return coalesced(get_settings(), lambda c: scan_inbox.apply_async(countdown=c), countdown)


@celery_app.task(name="briefing.scan_inbox")
def scan_inbox() -> dict:
    """Take every completely written inbox file; enqueue ``process_issue`` for new Issues after the
    commit; look again shortly when a file was still being written. At most one scan runs: a scan
    that finds another running leaves it a note to scan once more when done."""
    from tasks.ingest import process_issue
    from worker.intake import coalesce, inbox

    settings = get_settings()
    gate = coalesce.begin(settings)
    if gate is None:  # the running scan scans again when done; if its worker died, this one will
        request_scan(coalesce.lock_left(settings) + 0.5)
        return {"skipped": "another scan is running; it scans again when done"}
    try:
        result = inbox.scan(session_scope, settings, on_new_issue=process_issue.delay, before_each=gate.renew)
    finally:
        if gate.finish():
            request_scan()
    if result.rescan_in is not None:
        request_scan(result.rescan_in + 0.05)
    return {"receipts": len(result.receipts), "new_issues": result.new_issue_ids,
            "waiting": len(result.waiting), "problems": len(result.problems)}


@celery_app.task(name="briefing.retry_refused")
def retry_refused(receipt_id: int) -> str:
    """Put a refused file back into the inbox (the console's 重试 on a refused receipt), then scan."""
    from worker.intake import inbox

    name = inbox.retry_refused(session_scope, get_settings(), receipt_id)
    scan_inbox.delay()
    return name


@celery_app.task(name="briefing.sync_failed")
def sync_failed() -> list[str]:
    """Copy Issues that failed in processing into ``failed/`` with their reason (and remove the
    copy once a retry processed them). Sent by ``process_issue`` after a failure; reconcile runs
    it too, in case that message was lost."""
    from worker.intake import inbox

    return inbox.sync_failed(session_scope, get_settings())


@celery_app.task(name="briefing.reconcile")
def reconcile() -> dict:
    """Repair after crashes and lost messages: finish or undo stale claims in ``processing/``,
    re-queue Issues left unprocessed, bring ``failed/`` up to date. The database is the truth; the
    broker is a hint."""
    from worker import pipeline
    from worker.intake import inbox

    settings = get_settings()
    actions = inbox.reconcile_processing(session_scope, settings)
    with session_scope() as session:
        lost = pipeline.lost_issue_ids(session, settings=settings)
    from tasks.ingest import process_issue

    for issue_id in lost:
        process_issue.delay(issue_id)
    from tasks.ingest import reclaim_interrupted_work

    reclaimed = [i for i in reclaim_interrupted_work(min_age_s=60) if i not in lost]
    failed = inbox.sync_failed(session_scope, settings)
    if actions:  # a claim went back to the inbox: take it now rather than at the next scan
        request_scan()
    return {"claims": actions, "requeued": lost + reclaimed, "failed": failed}
