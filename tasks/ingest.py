"""Ingest tasks (queue ``ingest``): any machine sharing Redis and the database can run them."""

from __future__ import annotations

from worker.app import celery_app


@celery_app.task(name="briefing.process_issue", bind=True)
def process_issue(self, issue_id: int) -> dict:
    """Decode, parse, enrich and store one Issue (exactly once; see ``worker.pipeline``)."""
    from worker.pipeline import process_issue as run

    outcome = run(issue_id, task_id=self.request.id)
    if outcome.status == "failed" or outcome.detail.startswith("gave up"):
        # the inbox worker (which owns the folders) puts a copy with the reason into failed/
        self.app.send_task("briefing.sync_failed")
    return {"issue": issue_id, "status": outcome.status, "detail": outcome.detail,
            "articles": outcome.articles}


@celery_app.task(name="briefing.retrain_classifier")
def retrain_classifier() -> dict:
    """Retrain the learned topic model when corrections changed since the last one."""
    from worker.db import session_scope
    from worker.learning import retrain_if_changed
    from worker.settings import get_settings

    with session_scope() as session:
        return retrain_if_changed(session, get_settings().models_dir)
