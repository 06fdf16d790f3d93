"""Task history in the database, from Celery signals (received, started, succeeded, failed,
retried), so ``briefing status`` can show what the workers did without Flower or a result backend.

Recording never breaks a task: a database error while writing history is logged and dropped.
"""

from __future__ import annotations

import logging
import time

from celery import signals

from worker.core.models import TaskEvent, utcnow

log = logging.getLogger(__name__)
_started: dict[str, float] = {}


def _summary(args, kwargs) -> str | None:
    parts = [repr(a) for a in (args or ())] + [f"{k}={v!r}" for k, v in (kwargs or {}).items()]
    return ", ".join(parts)[:200] or None


def record_event(task_id: str, name: str, state: str, duration: float | None = None,
                 detail: str | None = None) -> None:
    """Insert one TaskEvent row (duration in seconds).

    On PostgreSQL the insert commits without waiting for the WAL flush (``synchronous_commit =
    off`` for this transaction only, per the PostgreSQL docs "Asynchronous Commit"): a crash may
    lose the last history rows, never data or consistency; it saves an fsync per event, three per
    task (bench/ backfill)."""
    from sqlalchemy import insert, text

    from worker.core.db import session_scope

    try:
        with session_scope() as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SET LOCAL synchronous_commit TO OFF"))
            session.execute(insert(TaskEvent.__table__).values(
                task_id=task_id, name=name, state=state, at=utcnow(), duration=duration, detail=detail))
    except Exception:
        log.exception("could not record task event %s %s", name, state)


@signals.task_received.connect
def _on_received(request=None, **_):
    if request is not None and request.name.startswith("briefing."):
        record_event(request.id, request.name, "received", detail=_summary(request.args, request.kwargs))


@signals.task_prerun.connect
def _on_prerun(task_id=None, task=None, args=None, kwargs=None, **_):
    _started[task_id] = time.perf_counter()
    record_event(task_id, task.name, "started", detail=_summary(args, kwargs))


@signals.task_success.connect
def _on_success(sender=None, result=None, **_):
    task_id = sender.request.id
    began = _started.pop(task_id, None)
    duration = time.perf_counter() - began if began else None
    detail = str(result)[:200] if result is not None else None
    record_event(task_id, sender.name, "succeeded", duration, detail)


@signals.task_failure.connect
def _on_failure(task_id=None, exception=None, sender=None, **_):
    began = _started.pop(task_id, None)
    duration = time.perf_counter() - began if began else None
    record_event(task_id, sender.name if sender else "?", "failed", duration,
                 f"{type(exception).__name__}: {exception}"[:500])


@signals.task_retry.connect
def _on_retry(request=None, reason=None, sender=None, **_):
    record_event(request.id, sender.name if sender else request.task, "retried", detail=str(reason)[:500])
