"""Ingest tasks (queue ``ingest``): any machine sharing Redis and the database can run them."""

from __future__ import annotations

from celery import signals

from worker.core.app import celery_app


@signals.worker_init.connect
def _warm_up_ingest(sender=None, **_) -> None:
    """An ingest worker loads dictionaries and models once, before its pool forks, so no task
    (and no file's latency) pays the 1–2 s cold start (bench/ latency: the first file was the p95)."""
    queues = set(getattr(sender.app.amqp.queues, "consume_from", None) or ()) if sender else set()
    if "ingest" in queues:
        import logging
        import time

        from worker.enrich.article import warm_up

        began = time.perf_counter()
        warm_up()
        logging.getLogger(__name__).info("ingest worker warmed up in %.0f ms", (time.perf_counter() - began) * 1000)


STORE_RETRY_SECONDS = 30


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
