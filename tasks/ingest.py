"""Ingest tasks (queue ``ingest``): any machine sharing Redis and the database can run them."""

from __future__ import annotations

import ast
import contextlib
import logging

from celery import signals

from worker.core.app import celery_app


@signals.worker_init.connect
def _warm_up_ingest(sender=None, **_) -> None:
    """An ingest worker loads dictionaries and models once, before its pool forks, so no task
    (and no file's latency) pays the 1–2 s cold start (bench/ latency: the first file was the p95)."""
    queues = set(getattr(sender.app.amqp.queues, "consume_from", None) or ()) if sender else set()
    if "ingest" in queues:
        import time

        from worker.enrich.article import warm_up

        began = time.perf_counter()
        warm_up()
        logging.getLogger(__name__).info("ingest worker warmed up in %.0f ms", (time.perf_counter() - began) * 1000)


STORE_RETRY_SECONDS = 30


def _queued_issue_ids(queue: str = "ingest") -> set[int] | None:
    """Issue ids of the ``process_issue`` messages waiting in the broker's ``queue`` (Redis
    broker only; None otherwise or when unreachable). Reads kombu's list of JSON envelopes."""
    import base64
    import json

    import redis

    from worker.core.app import redis_client
    from worker.core.settings import get_settings

    url = get_settings().broker_url
    if not url.startswith(("redis://", "rediss://")):
        return None
    ids = set()
    try:
        raw = redis_client(url, socket_timeout=5, socket_connect_timeout=5).lrange(queue, 0, -1)
    except redis.RedisError:
        return None
    for item in raw:
        try:
            msg = json.loads(item)
            if msg.get("headers", {}).get("task") == "briefing.process_issue":
                ids.add(int(json.loads(base64.b64decode(msg["body"]))[0][0]))
        except (ValueError, KeyError, IndexError, TypeError):
            continue
    return ids


def reclaim_interrupted_work(app=None, timeout: float = 1.0, min_age_s: float = 0.0) -> list[int]:
    """Send ``process_issue`` again for Issues a gone worker held (killed mid-task, or reserved
    and never started): every live worker is asked what it runs and holds (``inspect``), the
    queue is read, and ``worker.pipeline.reclaim_interrupted`` decides through its compare-and-set.
    Runs when a processing worker starts (``worker_ready``) and at every reconcile (attempts older
    than ``min_age_s`` only). Returns the ids sent."""
    from worker.core.db import session_scope
    from worker.core.models import utcnow
    from worker.pipeline import reclaim_interrupted

    app = app or celery_app
    as_of = utcnow()
    busy = _queued_issue_ids()  # the queue first: a message taken meanwhile shows up below
    if busy is None:
        return []
    live: set[str] = set()
    # inspect waits its whole timeout unless told how many replies to expect: ask a ping first
    workers = len(app.control.ping(timeout=timeout) or [])
    inspector = app.control.inspect(timeout=timeout, limit=workers or None)
    for method in (inspector.active, inspector.reserved, inspector.scheduled):
        for tasks in (method() or {}).values():
            for task in tasks:
                task = task.get("request", task)  # scheduled() wraps the request
                live.add(task.get("id"))
                if task.get("name") == "briefing.process_issue" and task.get("args"):
                    args = task["args"]
                    with contextlib.suppress(ValueError, TypeError, IndexError, SyntaxError):
                        busy.add(int(args[0] if isinstance(args, list | tuple) else ast.literal_eval(args)[0]))
    with session_scope() as session:
        again = reclaim_interrupted(session, live, busy, as_of, min_age_s=min_age_s)
    for issue_id in again:
        process_issue.delay(issue_id)
    if again:
        logging.getLogger(__name__).warning("re-sent %d interrupted issue(s): %s", len(again), again)
    return again


@signals.worker_ready.connect
def _reclaim_on_start(sender=None, **_) -> None:
    """A processing worker that (re)starts asks for ``reclaim_interrupted`` on its queue, so
    work a gone worker left behind is found within seconds (issue 11: it waited 6½–15 minutes for
    the stale time and reconcile). A task, not a thread: a thread talking to the broker in the
    prefork parent made later pool children hang at fork (tests/test_reliability_crash.py)."""
    if sender is None:
        return
    if "ingest" not in set(getattr(sender.app.amqp.queues, "consume_from", None) or ()):
        return  # only processing workers: an inbox worker (-c 1) must not spend its first seconds on it
    try:
        sender.app.send_task("briefing.reclaim_interrupted", queue="ingest")
    except Exception:  # reconcile and the stale time remain
        logging.getLogger(__name__).exception("could not ask for reclaiming interrupted work")


@celery_app.task(name="briefing.reclaim_interrupted")
def reclaim_interrupted() -> list[int]:
    """Send ``process_issue`` again for Issues that gone workers held (``reclaim_interrupted_work``)."""
    return reclaim_interrupted_work()


@celery_app.task(name="briefing.process_issue", bind=True)
def process_issue(self, issue_id: int) -> dict:
    """Decode, parse, enrich and store one Issue (exactly once; see ``worker.pipeline``)."""
    from worker.pipeline import process_issue as run

    outcome = run(issue_id, task_id=self.request.id)
    if outcome.status == "failed" or outcome.detail.startswith("gave up"):
        # the inbox worker (which owns the folders) puts a copy with the reason into failed/
        self.app.send_task("briefing.sync_failed")
    elif outcome.status == "retry":
        # a database error in the store step: the Issue is pending again; try once the database
        # may be back (if this message is lost, reconcile queues the pending Issue)
        process_issue.apply_async((issue_id,), countdown=STORE_RETRY_SECONDS)
    elif outcome.status == "processed":
        # a late issue changes a draft waiting for 签发 (issue 19); cheap when no draft waits
        self.app.send_task("briefing.refresh_drafts")
    return {"issue": issue_id, "status": outcome.status, "detail": outcome.detail,
            "articles": outcome.articles}


@celery_app.task(name="briefing.retrain_classifier")
def retrain_classifier() -> dict:
    """Retrain the learned topic model when corrections changed since the last one."""
    from worker.core.db import session_scope
    from worker.core.settings import get_settings
    from worker.enrich.learning import retrain_if_changed

    with session_scope() as session:
        return retrain_if_changed(session, get_settings().models_dir)
