"""Issue processing: stored bytes → decoded text → articles → enrichment → database.

Plain functions; the Celery task in ``tasks/ingest.py`` is a thin wrapper. Exactly-once rests on the
database, not the broker: an attempt first takes the Issue with a compare-and-set on its status, so a
duplicate message (re-queued by reconcile, or redelivered after a crash) finds nothing to do, and the
articles are replaced in the same transaction that marks the Issue processed.
"""

from __future__ import annotations

import logging
import os
import signal
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, insert, or_, update
from sqlmodel import Session, select

from worker.core.models import Article, Issue, utcnow
from worker.core.settings import Settings, get_settings, pause_for_test
from worker.search.index import index_issue

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """Result of one ``process_issue`` call: ``status`` is processed | failed | skipped."""

    issue_id: int
    status: str
    detail: str = ""
    articles: int = 0


def analyse(data: bytes, file_name: str, settings: Settings | None = None) -> dict[str, Any]:
    """Decode, parse and enrich one issue file, with no database and no broker.

    Returns ``{"decoded": DecodedText, "parsed": ParsedIssue, "enrichments": [Enrichment]}`` (one
    Enrichment per parsed article, same order). Raises ``reading.RefusedFile`` for a file that
    cannot be read as an issue.
    """
    from worker.enrich.article import enrich_article
    from worker.intake.reading import read_document
    from worker.parsing.parser import parse_issue

    settings = settings or get_settings()
    decoded = read_document(data, file_name, max_bytes=settings.max_file_bytes,
                            max_uncompressed=settings.max_uncompressed_bytes)
    parsed = parse_issue(decoded.text, file_name=file_name, headline_hints=decoded.headline_hints)
    enrichments = [enrich_article(article) for article in parsed.articles]
    return {"decoded": decoded, "parsed": parsed, "enrichments": enrichments}


def article_rows(issue_id: int, parsed, enrichments) -> list[dict]:
    """Column values of the ``article`` table for parsed + enriched articles, as plain dicts for
    one executemany INSERT (building SQLModel objects cost 7 ms an issue of 44 articles; bench/).
    ``search_text`` is headline + body, for LIKE search."""
    rows = []
    for art, enr in zip(parsed.articles, enrichments, strict=True):
        headline = " ".join(x for x in (art.kicker, art.title, art.subtitle) if x)
        rows.append(dict(
            issue_id=issue_id, seq=art.seq, page=art.page, page_name=art.page_name, kind=art.kind,
            kicker=art.kicker, title=art.title, subtitle=art.subtitle, title_derived=art.title_derived,
            byline=art.byline, source=art.source, dateline=art.dateline,
            authors=[{"name": a.name, "role": a.role} for a in art.authors],
            paragraphs=list(art.paragraphs), captions=list(art.captions),
            category=enr.category, category_scores=enr.category_scores,
            secondary_categories=enr.secondary_categories, places=enr.places, people=enr.people,
            organizations=enr.organizations, figures=[f.to_dict() for f in enr.figures],
            keywords=enr.keywords, summary=enr.summary,
            search_text=headline + "\n" + "\n".join(art.paragraphs), category_confirmed=False,
        ))
    return rows


def start_attempt(session: Session, issue_id: int, task_id: str | None, settings: Settings) -> str | None:
    """Take the Issue for this attempt (compare-and-set). Returns None when taken, else the reason
    to skip: already processed, failed, being processed by another live attempt, or gone.

    An Issue in ``processing`` is taken over when the same task id comes back (redelivery after a
    crash) or the other attempt is older than the hard time limit plus a grace
    (``settings.attempt_stale_seconds``). Each take counts an attempt; past
    ``settings.max_attempts`` the Issue is marked failed (a poison file must not loop forever).
    """
    stale_before = utcnow() - timedelta(seconds=settings.attempt_stale_seconds)
    takeable = or_(
        Issue.status == "pending",
        (Issue.status == "processing") & ((Issue.task_id == task_id) | (Issue.started_at < stale_before)),
    )
    result = session.execute(
        update(Issue).where(Issue.id == issue_id, takeable)
        .values(status="processing", started_at=utcnow(), task_id=task_id, attempts=Issue.attempts + 1)
    )
    session.commit()
    if result.rowcount == 1:
        issue = session.get(Issue, issue_id)
        if issue.attempts > settings.max_attempts:
            issue.status = "failed"
            issue.error = (f"gave up after {issue.attempts - 1} attempts that did not finish "
                           "(the worker died or timed out each time)")
            session.add(issue)
            session.commit()
            return issue.error
        return None
    issue = session.get(Issue, issue_id)
    if issue is None:
        return "no such issue"
    return f"issue is {issue.status}"


def process_issue(issue_id: int, task_id: str | None = None, session_factory=None,
                  settings: Settings | None = None) -> Outcome:
    """Process one stored Issue exactly once: decode, parse, enrich, store its articles.

    Idempotent: a processed Issue is left alone; running it again (``briefing reprocess``) first
    resets it to pending. A bad file marks the Issue failed with the reason (``briefing status``
    shows it, ``briefing retry`` re-runs it); it never raises for bad content.
    """
    from worker.core.db import session_scope
    from worker.intake.reading import RefusedFile

    settings = settings or get_settings()
    session_factory = session_factory or session_scope
    # Every attempt has a token; the final write only lands while the Issue is still this attempt's.
    task_id = task_id or f"local-{uuid.uuid4().hex}"
    with session_factory() as session:
        skip = start_attempt(session, issue_id, task_id, settings)
        if skip:
            return Outcome(issue_id, "skipped", skip)
        issue = session.get(Issue, issue_id)
        data, file_name, received_at = issue.raw, issue.file_name, issue.received_at
        file_date = issue.issue_date if issue.issue_date_source == "file_name" else None
        sha256 = issue.sha256
    if settings.test_crash_sha256 and sha256 == settings.test_crash_sha256:
        log.warning("TEST HOOK: issue %s is the poison file; killing this process", issue_id)
        os.kill(os.getpid(), signal.SIGKILL)
    pause_for_test(settings, "processing")
    began = time.perf_counter()
    try:
        result = analyse(data, file_name, settings)
    except RefusedFile as exc:
        return _fail(session_factory, issue_id, task_id, exc.reason)
    except Exception as exc:
        log.exception("issue %s: processing failed", issue_id)
        return _fail(session_factory, issue_id, task_id, f"{type(exc).__name__}: {exc}")
    decoded, parsed = result["decoded"], result["parsed"]
    rows = article_rows(issue_id, parsed, result["enrichments"])
    from worker.intake.inbox import received_local_date

    if parsed.issue_date_source == "masthead" or file_date is None:
        issue_date = parsed.issue_date or received_local_date(settings, received_at)
        date_source = parsed.issue_date_source if parsed.issue_date else "received"
    else:
        issue_date, date_source = file_date, "file_name"
    with session_factory() as session:
        # Compare-and-set first: it locks the Issue row, and only the attempt that still owns the
        # Issue stores articles (one that was taken over as stale finds rowcount 0 and stops).
        owned = session.execute(
            update(Issue).where(Issue.id == issue_id, Issue.status == "processing", Issue.task_id == task_id)
            .values(status="processed", error=None, processed_at=utcnow(), article_count=len(rows),
                    encoding=decoded.encoding, encoding_confidence=decoded.confidence,
                    warnings=list(decoded.warnings), issue_date=issue_date, issue_date_source=date_source,
                    masthead=parsed.masthead)
        ).rowcount
        if owned != 1:
            session.rollback()
            log.warning("issue %s: attempt %s was taken over by another one; its result is dropped",
                        issue_id, task_id)
            return Outcome(issue_id, "skipped", "taken over by another attempt")
        session.execute(delete(Article).where(Article.issue_id == issue_id))
        # One Core executemany INSERT without RETURNING: the ORM's add_all asks for every new id back
        # (measured: 16-18 ms an issue on PostgreSQL against 5 ms for this; bench/ backfill).
        session.execute(insert(Article.__table__), rows)
        # The search index changes in the same transaction as the articles it describes.
        index_issue(session.connection(), issue_id, rows, issue_date)
    log.info("issue %s processed: %d articles in %.0f ms", issue_id, len(rows),
             (time.perf_counter() - began) * 1000)
    return Outcome(issue_id, "processed", articles=len(rows))


def _fail(session_factory, issue_id: int, task_id: str, reason: str) -> Outcome:
    """Mark the Issue failed with ``reason`` — only while this attempt still owns it."""
    with session_factory() as session:
        owned = session.execute(
            update(Issue).where(Issue.id == issue_id, Issue.status == "processing", Issue.task_id == task_id)
            .values(status="failed", error=reason)
        ).rowcount
    if owned != 1:
        return Outcome(issue_id, "skipped", "taken over by another attempt")
    log.warning("issue %s failed: %s", issue_id, reason)
    return Outcome(issue_id, "failed", reason)


def reset_for_rerun(session: Session, issue_ids: list[int]) -> int:
    """Put Issues back to pending with a fresh attempt budget (``briefing retry`` / ``reprocess``).
    Returns how many were reset."""
    if not issue_ids:
        return 0
    result = session.execute(
        update(Issue).where(Issue.id.in_(issue_ids))
        .values(status="pending", error=None, attempts=0, task_id=None, started_at=None)
    )
    return result.rowcount


def unfinished_issues(session: Session, start: date, end: date) -> int:
    """How many Issues may belong to the period ``start``…``end`` (inclusive dates) but are not
    processed yet: status pending or processing, with ``issue_date`` in the period or not known
    yet (it is read from the masthead while processing). A briefing made now would say 未收到报纸
    or leave them out; failed Issues do not count (they wait for a person)."""
    from sqlalchemy import func

    return session.exec(select(func.count()).select_from(Issue).where(
        Issue.status.in_(("pending", "processing")),
        or_(Issue.issue_date.is_(None), Issue.issue_date.between(start, end)))).one()


def lost_issue_ids(session: Session, older_than_s: float | None = None,
                   settings: Settings | None = None) -> list[int]:
    """Issues whose processing message was probably lost: pending for longer than ``older_than_s``
    seconds (default ``settings.reconcile_requeue_after_seconds``), or processing past the hard time
    limit plus grace (their worker died). Reconcile re-queues them."""
    settings = settings or get_settings()
    if older_than_s is None:
        older_than_s = settings.reconcile_requeue_after_seconds
    now = utcnow()
    pending_before = now - timedelta(seconds=older_than_s)
    stale_before = now - timedelta(seconds=settings.attempt_stale_seconds)
    stmt = select(Issue.id).where(or_(
        (Issue.status == "pending") & (Issue.received_at < pending_before),
        (Issue.status == "processing") & (Issue.started_at < stale_before),
    ))
    return list(session.exec(stmt))
