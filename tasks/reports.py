"""Briefing tasks (queue ``reports``)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from worker.core.app import celery_app

#: While a due period's issues wait for processing, look again this often (seconds), this many times
#: (3 hours); after that the next scheduled run catches the period up.
PENDING_RETRY_S, PENDING_RETRIES = 300, 36


@celery_app.task(name="briefing.make_due_briefings", bind=True, max_retries=PENDING_RETRIES)
def make_due_briefings(self, kind: str) -> list[int]:
    """Make every briefing of ``kind`` that is due and not yet made (oldest first), then queue
    their delivery (``approval: auto``) or e-mail the editors that a draft waits (``approval:
    required``; open drafts are regenerated first when a late issue changed them).
    Safe to run twice: (kind, period, version) is unique. A period whose issues
    are still being processed is not made yet: the task retries every 5 minutes."""
    from worker.briefing.build import IssuesPending
    from worker.briefing.build import make_due_briefings as make_due
    from worker.briefing.desk import notify_editors, refresh_open_drafts
    from worker.core.db import session_scope

    pending = None
    with session_scope() as session:
        try:  # a late issue since the last run changes a waiting draft; never blocks new briefings
            refresh_open_drafts(session)
        except Exception:
            session.rollback()
            logging.getLogger(__name__).exception("refreshing the briefing drafts failed")
        try:
            made = make_due(session, kind, now=datetime.now(UTC))
        except IssuesPending as exc:
            made, pending = exc.made, exc
        ids = [b.id for b in made if b.status == "made"]
        for draft in (b for b in made if b.status == "draft"):
            notify_editors(session, draft)  # approval: required — nothing is sent before 签发
    for briefing_id in ids:
        deliver_briefing.delay(briefing_id)
    if pending is not None:
        if self.request.retries >= PENDING_RETRIES:
            return ids  # the next scheduled run catches the period up
        raise self.retry(countdown=PENDING_RETRY_S, exc=pending)
    return ids


@celery_app.task(name="briefing.make_briefing")
def make_briefing(kind: str, day: str, force: bool = False) -> int | None:
    """Make the briefing of ``kind`` for the period containing ``day`` (ISO date)."""
    from worker.briefing.build import make_briefing as make
    from worker.briefing.desk import notify_editors
    from worker.briefing.periods import period_containing
    from worker.core.db import session_scope

    start, _ = period_containing(kind, date.fromisoformat(day))
    with session_scope() as session:
        made = make(session, kind, start, force=force)
        briefing_id = made.id if made else None
        status = made.status if made else None
        if status == "draft":
            notify_editors(session, made)
    if briefing_id is not None and status != "draft":
        deliver_briefing.delay(briefing_id)
    return briefing_id


@celery_app.task(name="briefing.remind_drafts")
def remind_drafts() -> list[int]:
    """Beat: e-mail the editors once more about drafts waiting past ``remind_after_hours``."""
    from worker.briefing.desk import remind_overdue
    from worker.core.db import session_scope

    with session_scope() as session:
        return remind_overdue(session)


@celery_app.task(name="briefing.refresh_drafts")
def refresh_drafts() -> dict[int, list[str]]:
    """Regenerate the open drafts' generated part after an issue arrived, was re-processed or
    withdrawn (queued by those actions); edits are re-applied and a notice recorded."""
    from worker.briefing.desk import refresh_open_drafts
    from worker.core.db import session_scope

    with session_scope() as session:
        return refresh_open_drafts(session)


@celery_app.task(name="briefing.deliver_briefing", bind=True, max_retries=8)
def deliver_briefing(self, briefing_id: int) -> str:
    """E-mail a briefing to its recipients; retried with exponential backoff (30 s … ~1 h) on
    failure; every attempt is recorded in the Delivery table. The .docx stays in outbox/."""
    from worker.briefing.delivery import deliver

    try:
        return deliver(briefing_id)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 3600)) from exc
