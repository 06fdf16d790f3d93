"""What a person does to a stored Issue, shared by the console and the command line: withdraw
(撤回), restore (恢复), supersede (a corrected file replaces an issue), re-queue, and spotting a
possible replacement.

A withdrawn Issue keeps its row, raw bytes and articles, but briefings select only ``processed``
Issues, so its articles leave every briefing made from then on. ``reprocess`` leaves it withdrawn
(``worker.pipeline.reset_for_rerun``); only :func:`restore` brings it back.
"""

from __future__ import annotations

import re
from collections import defaultdict

from sqlmodel import Session, select

from worker.core.models import Article, Issue, utcnow
from worker.pipeline import reset_for_rerun

#: A new issue is a possible replacement of an older one of the same date when at least this share
#: of the smaller headline set appears in both (a re-sent, corrected file keeps most headlines).
REPLACEMENT_SHARE = 0.6
_NOT_WORD = re.compile(r"[\W_]+")


def withdraw(session: Session, issue_id: int, who: str, superseded_by: int | None = None) -> Issue:
    """Mark the Issue withdrawn (from any status), remembering the status to restore.
    Raises LookupError for an unknown id, ValueError when it is withdrawn already."""
    issue = session.get(Issue, issue_id)
    if issue is None:
        raise LookupError(f"no issue {issue_id}")
    if issue.status == "withdrawn":
        raise ValueError(f"issue {issue_id} is withdrawn already")
    issue.withdrawn_from = issue.status
    issue.status = "withdrawn"
    issue.withdrawn_at = utcnow()
    issue.withdrawn_by = who
    issue.superseded_by = superseded_by
    session.add(issue)
    session.flush()
    return issue


def restore(session: Session, issue_id: int) -> bool:
    """Bring a withdrawn Issue back: to ``processed`` when it was processed (its articles are still
    stored), to ``failed`` when it had failed, otherwise to ``pending`` for a new processing run.
    Returns True when the caller must queue ``briefing.process_issue`` for it.
    Raises LookupError for an unknown id, ValueError when it is not withdrawn."""
    issue = session.get(Issue, issue_id)
    if issue is None:
        raise LookupError(f"no issue {issue_id}")
    if issue.status != "withdrawn":
        raise ValueError(f"issue {issue_id} is {issue.status}, not withdrawn")
    back = issue.withdrawn_from if issue.withdrawn_from in ("processed", "failed") else "pending"
    issue.status = back
    issue.withdrawn_from = issue.withdrawn_at = issue.withdrawn_by = issue.superseded_by = None
    session.add(issue)
    session.flush()
    if back == "pending":
        reset_for_rerun(session, [issue_id])
        return True
    return False


def supersede(session: Session, new_id: int, old_id: int, who: str) -> Issue:
    """Issue ``new_id`` replaces ``old_id``: the old one is withdrawn with ``superseded_by``.
    Raises LookupError for unknown ids, ValueError when they are the same or ``new_id`` is itself
    withdrawn."""
    if new_id == old_id:
        raise ValueError("an issue cannot replace itself")
    new = session.get(Issue, new_id)
    if new is None:
        raise LookupError(f"no issue {new_id}")
    if new.status == "withdrawn":
        raise ValueError(f"issue {new_id} is withdrawn; restore it first")
    return withdraw(session, old_id, who, superseded_by=new_id)


def _headline_key(title: str | None) -> str:
    return _NOT_WORD.sub("", title or "")


def possible_replacements(session: Session) -> dict[int, int]:
    """``{newer issue id: older issue id}`` for processed Issues of the same issue date whose
    headlines (主题, punctuation and spaces ignored) mostly match (:data:`REPLACEMENT_SHARE` of the
    smaller set). Withdrawn Issues take no part."""
    dates = defaultdict(list)
    for issue_id, day in session.exec(select(Issue.id, Issue.issue_date).where(
            Issue.status == "processed", Issue.issue_date.is_not(None))):
        dates[day].append(issue_id)
    shared = [ids for ids in dates.values() if len(ids) > 1]
    if not shared:
        return {}
    wanted = [i for ids in shared for i in ids]
    heads: dict[int, set[str]] = defaultdict(set)
    for issue_id, title in session.exec(select(Article.issue_id, Article.title).where(Article.issue_id.in_(wanted))):
        if key := _headline_key(title):
            heads[issue_id].add(key)
    found = {}
    for ids in shared:
        ids = sorted(ids)
        for pos, new in enumerate(ids):
            for old in reversed(ids[:pos]):
                a, b = heads[new], heads[old]
                if a and b and len(a & b) >= REPLACEMENT_SHARE * min(len(a), len(b)):
                    found[new] = old
                    break
    return found


def queue_processing(issue_ids: list[int]) -> bool:
    """Send ``briefing.process_issue`` for each id; False when the broker is unreachable (the
    Issues stay pending in the database and reconcile queues them later)."""
    from worker.core.app import celery_app

    try:
        for issue_id in issue_ids:
            celery_app.send_task("briefing.process_issue", args=[issue_id])
    except Exception:  # noqa: BLE001 - kombu raises many kinds
        return False
    return True


def refresh_drafts() -> dict[int, list[str]]:
    """After a withdraw, restore or supersede: regenerate the briefing drafts waiting for 签发
    (their notice lists what changed; issue 19). Returns ``{draft id: notice}``; a failure is
    logged, not raised (the desk refreshes a draft again when it is opened)."""
    import logging

    from worker.briefing.desk import refresh_open_drafts
    from worker.core.db import session_scope

    try:
        with session_scope() as session:
            return refresh_open_drafts(session)
    except Exception:
        logging.getLogger(__name__).exception("refreshing the briefing drafts failed")
        return {}
