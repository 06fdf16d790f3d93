"""The Celery application: JSON only, late acks, one message prefetched per process, time limits
below the Redis visibility timeout, three queues, task events on for Flower.

Rules from Celery's docs ("Tasks → Acks late", "Using Redis → Visibility timeout") and
paperless-ngx's consumer: acknowledge after the work is done, so a worker killed mid-task leaves the
message to be redelivered; the database decides whether the work was already done.
"""

from __future__ import annotations

from celery import Celery
from kombu import Queue

from worker.logs import configure_logging
from worker.schedule import beat_schedule, load_schedule_config
from worker.settings import get_settings

QUEUES = ("inbox", "ingest", "reports")
VISIBILITY_TIMEOUT_S = 3600


def transport_options(broker: str) -> dict:
    """Broker transport options: Redis's visibility timeout (above every task time limit, so a
    long task is not redelivered while it runs); the demo's ``memory://`` transport polls, 1 s by
    default, so it is asked to poll every 50 ms."""
    if broker.startswith("memory://"):
        return {"polling_interval": 0.05}
    return {"visibility_timeout": VISIBILITY_TIMEOUT_S}


def create_app() -> Celery:
    """Build the Celery app from settings (``BRIEFING_BROKER_URL`` etc.)."""
    settings = get_settings()
    app = Celery("union_briefing", include=["tasks.inbox", "tasks.ingest", "tasks.reports",
                                             "tasks.maintenance"])
    broker = settings.broker_url
    app.conf.update(
        broker_url=broker,
        broker_connection_retry_on_startup=True,
        broker_transport_options=transport_options(broker),
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        event_serializer="json",
        task_ignore_result=True,
        result_backend=None,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        task_soft_time_limit=settings.task_soft_time_limit,
        task_time_limit=settings.task_time_limit,
        task_queues=[Queue(q) for q in QUEUES],
        task_default_queue="ingest",
        task_routes={
            "briefing.scan_inbox": {"queue": "inbox"},
            "briefing.reconcile": {"queue": "inbox"},
            "briefing.process_issue": {"queue": "ingest"},
            "briefing.retrain_classifier": {"queue": "ingest"},
            "briefing.make_due_briefings": {"queue": "reports"},
            "briefing.make_briefing": {"queue": "reports"},
            "briefing.deliver_briefing": {"queue": "reports"},
        },
        worker_send_task_events=True,
        task_send_sent_event=True,
        worker_hijack_root_logger=False,
        timezone=load_schedule_config().get("timezone", settings.timezone),
        enable_utc=True,
        beat_schedule=beat_schedule(),
    )
    if broker.startswith(("redis://", "rediss://")):
        # One beat at a time: RedBeat holds a lock in Redis, so a second beat started by mistake waits.
        app.conf.update(redbeat_redis_url=broker, redbeat_lock_timeout=300,
                        beat_scheduler="redbeat.RedBeatScheduler")
    return app


configure_logging()
celery_app = create_app()
