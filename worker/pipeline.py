"""Issue processing: stored bytes → decoded text → articles → enrichment → database.

Plain functions; the Celery task in ``tasks/ingest.py`` is a thin wrapper. Exactly-once rests on the
database, not the broker: an attempt first takes the Issue with a compare-and-set on its status, so a
duplicate message (re-queued by reconcile, or redelivered after a crash) finds nothing to do, and the
articles are replaced in the same transaction that marks the Issue processed — keeping the ids of
articles the parse produces again and re-attaching people's topic corrections (issue 10).
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, or_, update
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlmodel import Session, select

from worker.core.models import Article, Correction, Issue, IssueLines, utcnow
from worker.core.settings import Settings, get_settings
from worker.enrich import identity, learning
from worker.search.index import index_issue

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """Result of one ``process_issue`` call: ``status`` is processed | duplicate | failed | skipped,
    or retry (the store step met an operational database error; the Issue is pending again)."""

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
            published_on=art.published_on,
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
            last = f"; last error: {issue.error}" if issue.error else ""
            issue.status = "failed"
            issue.error = (f"gave up after {issue.attempts - 1} attempts that did not finish "
                           f"(the worker died or timed out each time{last})")
            issue.text_sha256 = None
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
    shows it, ``briefing retry`` re-runs it); it never raises for bad content. A file whose decoded
    text another Issue holds ends ``duplicate`` with no articles; database errors while storing are
    handled by :func:`store_result`.
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
    from worker.intake.reading import text_sha256

    # the paper's own dates (masthead date line, per-article footer dates) win over the file name
    if parsed.issue_date_source in ("masthead", "article_dates") or file_date is None:
        issue_date = parsed.issue_date or received_local_date(settings, received_at)
        date_source = parsed.issue_date_source if parsed.issue_date else "received"
    else:
        issue_date, date_source = file_date, "file_name"
    values = dict(encoding=decoded.encoding, encoding_confidence=decoded.confidence,
                  warnings=list(decoded.warnings), issue_date=issue_date, issue_date_source=date_source,
                  masthead=parsed.masthead, processed_at=utcnow())
    decisions = [[d.line, d.text, d.became, d.rule] for d in parsed.explain]
    outcome = store_result(session_factory, issue_id, task_id, rows, values, text_sha256(decoded.text),
                           settings, decisions)
    log.info("issue %s %s: %d articles in %.0f ms", issue_id, outcome.status, outcome.articles,
             (time.perf_counter() - began) * 1000)
    return outcome


# Errors that say nothing about the issue (the database went away, a serialization failure, a lock
# timeout): the attempt is counted and the issue is tried again, as after a crash. Every other error
# in the store step (integrity, data, a bug) would recur: the issue fails at once with the reason.
OPERATIONAL_ERRORS = (OperationalError, InterfaceError)


def store_result(session_factory, issue_id: int, task_id: str, rows: list[dict], values: dict,
                 text_hash: str, settings: Settings, decisions: list | None = None) -> Outcome:
    """The store step of ``process_issue``: end the attempt ``processed`` with ``rows`` (article
    columns, ``article_rows``) and ``values`` (Issue columns) and the parser's line ``decisions``
    (``[line, text, became, rule]`` lists, kept for the console's original-vs-parse view), or
    ``duplicate`` when another issue holds ``text_hash``. Never raises for a database
    error and never leaves the Issue in
    ``processing`` while the database answers: an operational error (``OPERATIONAL_ERRORS``) puts it
    back to ``pending`` with the reason (status ``retry``; ``start_attempt`` counts and caps the
    attempts), any other error marks it ``failed`` with the reason."""
    for attempt in (1, 2):
        try:
            with session_factory() as session:
                return _store(session, issue_id, task_id, rows, values, text_hash, decisions)
        except IntegrityError as exc:
            # a copy with the same text stored at the same moment: the next try finds it and ends duplicate
            if attempt == 1 and _text_holder(session_factory, issue_id, text_hash) is not None:
                continue
            return _fail(session_factory, issue_id, task_id, f"could not store the articles: {_db_reason(exc)}")
        except OPERATIONAL_ERRORS as exc:
            return _retry_later(session_factory, issue_id, task_id, _db_reason(exc), settings)
        except DBAPIError as exc:
            if exc.connection_invalidated:
                return _retry_later(session_factory, issue_id, task_id, _db_reason(exc), settings)
            return _fail(session_factory, issue_id, task_id, f"could not store the articles: {_db_reason(exc)}")
        except Exception as exc:
            log.exception("issue %s: storing failed", issue_id)
            reason = f"could not store the articles: {type(exc).__name__}: {exc}"
            return _fail(session_factory, issue_id, task_id, reason)
    raise AssertionError("unreachable")  # pragma: no cover


def _db_reason(exc: DBAPIError) -> str:
    """``IntegrityError: FOREIGN KEY constraint failed`` — the driver's first line, no SQL or parameters."""
    orig = exc.orig if exc.orig is not None else exc
    first = (str(orig).strip().splitlines() or [""])[0][:300]
    return f"{type(exc).__name__}: {first}"


def _text_holder(session_factory, issue_id: int, text_hash: str) -> tuple[int, str] | None:
    with session_factory() as session:
        return _holder(session, issue_id, text_hash)


def _holder(session: Session, issue_id: int, text_hash: str) -> tuple[int, str] | None:
    """(id, file name) of the other Issue that holds ``text_hash``, or None."""
    row = session.execute(select(Issue.id, Issue.file_name)
                          .where(Issue.text_sha256 == text_hash, Issue.id != issue_id)).first()
    return (row[0], row[1]) if row else None


def _store(session: Session, issue_id: int, task_id: str, rows: list[dict], values: dict,
           text_hash: str, decisions: list | None = None) -> Outcome:
    # Compare-and-set first: it locks the Issue row, and only the attempt that still owns the
    # Issue stores articles (one that was taken over as stale finds rowcount 0 and stops).
    mine = update(Issue).where(Issue.id == issue_id, Issue.status == "processing", Issue.task_id == task_id)
    holder = _holder(session, issue_id, text_hash)
    if holder is not None:
        reason = f"same text as issue {holder[0]} (file {holder[1]})"
        owned = session.execute(mine.values(status="duplicate", duplicate_of=holder[0], error=reason,
                                            article_count=0, text_sha256=None, **values)).rowcount
        if owned == 1:
            replace_articles(session, issue_id, [])
            index_issue(session.connection(), issue_id, [])
            log.info("issue %s is a duplicate: %s", issue_id, reason)
            return Outcome(issue_id, "duplicate", reason)
    else:
        owned = session.execute(mine.values(status="processed", error=None, duplicate_of=None,
                                            article_count=len(rows), text_sha256=text_hash, **values)).rowcount
        if owned == 1:
            replace_articles(session, issue_id, rows)
            # the search index changes in the same transaction as the articles it describes
            index_issue(session.connection(), issue_id, rows, values.get("issue_date"))
            store_line_decisions(session, issue_id, decisions)
            return Outcome(issue_id, "processed", articles=len(rows))
    session.rollback()
    log.warning("issue %s: attempt %s was taken over by another one; its result is dropped", issue_id, task_id)
    return Outcome(issue_id, "skipped", "taken over by another attempt")


def store_line_decisions(session: Session, issue_id: int, decisions: list | None) -> None:
    """Keep the parser's line decisions that produced the stored articles (one IssueLines row per
    Issue, replaced), so the console shows what made them rather than a re-run of today's parser."""
    session.execute(delete(IssueLines).where(IssueLines.issue_id == issue_id))
    if decisions is not None:
        session.execute(insert(IssueLines.__table__), [{"issue_id": issue_id, "decisions": decisions}])


def replace_articles(session: Session, issue_id: int, rows: list[dict]) -> None:
    """Make ``rows`` (``article_rows``) the Issue's articles, in the caller's transaction.

    A stored article that the re-parse produces again keeps its id (``identity.match_articles``:
    headline, then first paragraph, then position) and is updated in place; other rows are inserted
    with new ids; stored articles not produced again are deleted. Every Correction of the issue is
    re-attached to the article with its text (``learning.plan_reattachment``), which gets the newest
    correction's topic, confirmed; a correction with no such article stays, unattached.
    """
    old = session.execute(select(Article.id, Article.seq, Article.kicker, Article.title, Article.subtitle,
                                 Article.paragraphs).where(Article.issue_id == issue_id)).all()
    corrections = session.execute(select(Correction.id, Correction.article_id, Correction.headline_key,
                                         Correction.lead_key, Correction.new_category)
                                  .where(Correction.issue_id == issue_id).order_by(Correction.id)).all()
    new_keys = [identity.keys_of(r) for r in rows]
    pairs = identity.match_articles([identity.keys_of(o) for o in old], new_keys) if old else {}
    plan = learning.plan_reattachment(corrections, new_keys, {old[j].id: new_keys[i].seq for i, j in pairs.items()})
    for c in corrections:  # oldest first: the newest correction of an article decides its topic
        if plan[c.id] is not None:
            learning.apply_topic(rows[plan[c.id]], c.new_category)
    if corrections:
        session.execute(update(Correction).where(Correction.issue_id == issue_id).values(article_id=None))
    kept = {old[j].id for j in pairs.values()}
    vanished = [o.id for o in old if o.id not in kept]
    if vanished:
        session.execute(delete(Article).where(Article.id.in_(vanished)))
    if kept:  # out of the way of (issue_id, seq) while kept rows take their new seq one by one
        session.execute(update(Article).where(Article.issue_id == issue_id).values(seq=-Article.seq - 1))
        table = Article.__table__
        session.execute(update(table).where(table.c.id == bindparam("old_id")),
                        [{"old_id": old[j].id, **rows[i]} for i, j in pairs.items()])
    inserts = [row for i, row in enumerate(rows) if i not in pairs]
    if inserts:
        # One Core executemany INSERT without RETURNING: the ORM's add_all asks for every new id back
        # (measured: 16-18 ms an issue on PostgreSQL against 5 ms for this; bench/ backfill).
        session.execute(insert(Article.__table__), inserts)
    if any(i is not None for i in plan.values()):
        id_of_seq = dict(session.execute(select(Article.seq, Article.id).where(Article.issue_id == issue_id)).all())
        corr = Correction.__table__
        session.execute(update(corr).where(corr.c.id == bindparam("cid")).values(article_id=bindparam("aid")),
                        [{"cid": cid, "aid": id_of_seq[rows[i]["seq"]]} for cid, i in plan.items() if i is not None])


def _retry_later(session_factory, issue_id: int, task_id: str, reason: str, settings: Settings) -> Outcome:
    """An operational database error in the store step: back to ``pending`` with the reason while
    attempts remain (the task queues it again; reconcile would too), else ``failed``. When even
    this write fails the Issue stays ``processing`` and is taken over once stale, like a crash."""
    with session_factory() as session:
        attempts = session.execute(select(Issue.attempts).where(Issue.id == issue_id)).scalar_one()
    if attempts >= settings.max_attempts:
        return _fail(session_factory, issue_id, task_id,
                     f"gave up after {attempts} attempts; the database kept failing: {reason}")
    note = f"attempt {attempts} could not store the articles ({reason}); it is tried again"
    with session_factory() as session:
        owned = session.execute(
            update(Issue).where(Issue.id == issue_id, Issue.status == "processing", Issue.task_id == task_id)
            .values(status="pending", error=note, task_id=None, started_at=None)
        ).rowcount
    if owned != 1:
        return Outcome(issue_id, "skipped", "taken over by another attempt")
    log.warning("issue %s: %s", issue_id, note)
    return Outcome(issue_id, "retry", note)


def _fail(session_factory, issue_id: int, task_id: str, reason: str) -> Outcome:
    """Mark the Issue failed with ``reason`` — only while this attempt still owns it."""
    with session_factory() as session:
        owned = session.execute(
            update(Issue).where(Issue.id == issue_id, Issue.status == "processing", Issue.task_id == task_id)
            .values(status="failed", error=reason, text_sha256=None)
        ).rowcount
    if owned != 1:
        return Outcome(issue_id, "skipped", "taken over by another attempt")
    log.warning("issue %s failed: %s", issue_id, reason)
    return Outcome(issue_id, "failed", reason)


def reset_for_rerun(session: Session, issue_ids: list[int]) -> int:
    """Put Issues back to pending with a fresh attempt budget (``briefing retry`` / ``reprocess``).
    A withdrawn Issue stays withdrawn (only an explicit restore brings it back). Returns how many
    were reset."""
    if not issue_ids:
        return 0
    result = session.execute(
        update(Issue).where(Issue.id.in_(issue_ids), Issue.status != "withdrawn")
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


def reclaim_interrupted(session: Session, live_task_ids: set[str], busy_issue_ids: set[int], as_of,
                        grace_s: float = 10.0, min_age_s: float = 0.0) -> list[int]:
    """Issues whose processing was interrupted by a worker that is gone, to be sent again now
    (rather than after ``attempt_stale_seconds`` / ``reconcile_requeue_after_seconds``).

    Args:
        live_task_ids: task ids every answering worker reports active, reserved or scheduled.
        busy_issue_ids: Issues with a ``process_issue`` message in the queue or held by such a worker.
        as_of: UTC datetime taken *before* those were asked for: an attempt that started or an
            Issue that arrived after it may simply be missing from the answers.
        grace_s: a pending Issue younger than this (seconds before ``as_of``) is left alone: its
            scan sends its message just after the commit.
        min_age_s: only attempts started this many seconds before ``as_of`` are reclaimed (the
            periodic reconcile passes 60: a live worker slow to answer must not lose fresh work;
            a starting worker passes 0).

    Returns the Issue ids to send ``process_issue`` for: pending ones nobody holds, and processing
    ones whose attempt no live worker runs — put back to pending first through a compare-and-set
    on (status, task_id), so an attempt that is only slow (stopped, not answering) can no longer
    store its result: its own final compare-and-set finds another task id. Attempts run outside
    Celery (task id ``local-…``) are never reclaimed here; the stale time covers them.
    """
    rows = session.exec(select(Issue.id, Issue.status, Issue.task_id).where(
        or_((Issue.status == "pending") & (Issue.received_at < as_of - timedelta(seconds=grace_s)),
            (Issue.status == "processing") & (Issue.started_at < as_of - timedelta(seconds=min_age_s))))).all()
    again = []
    for issue_id, status, task_id in rows:
        if issue_id in busy_issue_ids:
            continue
        if status == "processing":
            if task_id is None or task_id.startswith("local-") or task_id in live_task_ids:
                continue
            taken = session.execute(
                update(Issue).where(Issue.id == issue_id, Issue.status == "processing", Issue.task_id == task_id)
                .values(status="pending", task_id=None, started_at=None)).rowcount
            session.commit()
            if taken != 1:
                continue
            log.warning("issue %s: attempt %s belongs to a worker that is gone; sending it again",
                        issue_id, task_id)
        again.append(issue_id)
    return again
