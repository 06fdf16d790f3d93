"""The Celery application: JSON only, late acks, one message prefetched per process, time limits
below the Redis visibility timeout, three queues, task events on for Flower.

Rules from Celery's docs ("Tasks → Acks late", "Using Redis → Visibility timeout") and
paperless-ngx's consumer: acknowledge after the work is done, so a worker killed mid-task leaves the
message to be redelivered; the database decides whether the work was already done.
"""

from __future__ import annotations

import ssl

from celery import Celery
from celery.schedules import schedule
from kombu import Queue

from worker.core.logs import configure_logging
from worker.core.schedule import beat_schedule, load_schedule_config
from worker.core.settings import Settings, get_settings

QUEUES = ("inbox", "ingest", "reports")
_CERT_REQS = {"required": ssl.CERT_REQUIRED, "optional": ssl.CERT_OPTIONAL, "none": ssl.CERT_NONE}


def transport_options(broker: str, settings: Settings | None = None) -> dict:
    """Broker transport options: Redis's visibility timeout (above every task time limit, so a
    long task is not redelivered while it runs) and how often abandoned messages are looked for;
    the demo's ``memory://`` transport polls, 1 s by default, so it is asked to poll every 50 ms."""
    if broker.startswith("memory://"):
        return {"polling_interval": 0.05}
    settings = settings or get_settings()
    timeout = settings.broker_visibility_timeout
    return {"visibility_timeout": timeout,
            # look for abandoned (unacknowledged) messages about every visibility_timeout/10
            "unacked_restore_interval": max(1, min(10, timeout // 10)), "unacked_restore_throttle": 1}


def redis_ssl_options(broker: str, settings: Settings | None = None) -> dict | None:
    """For a ``rediss://`` broker: the TLS options for kombu (``broker_use_ssl``), RedBeat and
    redis-py. Without them kombu falls back to *not* checking the server certificate, so they are
    always given: certificates are required unless ``BRIEFING_REDIS_SSL_CERT_REQS`` says otherwise.
    None for a plain ``redis://`` broker."""
    if not broker.startswith("rediss://"):
        return None
    settings = settings or get_settings()
    opts: dict = {"ssl_cert_reqs": _CERT_REQS[settings.redis_ssl_cert_reqs]}
    for key in ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile"):
        value = getattr(settings, f"redis_{key}")
        if value is not None:
            opts[key] = str(value)
    return opts


def redis_client(url: str | None = None, **kwargs):
    """A redis-py client for the broker URL (TLS options applied for ``rediss://``)."""
    import redis

    url = url or get_settings().broker_url
    return redis.Redis.from_url(url, **(redis_ssl_options(url) or {}), **kwargs)


def effective_beat_schedule(settings: Settings | None = None) -> dict:
    """``config/schedule.yaml``'s entries, with ``BRIEFING_SCHEDULE_EVERY`` overrides (fixed
    intervals in seconds) applied."""
    settings = settings or get_settings()
    entries = beat_schedule()
    for name, seconds in settings.schedule_every.items():
        if name not in entries:
            raise ValueError(f"BRIEFING_SCHEDULE_EVERY: no beat entry {name!r} (have {sorted(entries)})")
        entries[name] = {**entries[name], "schedule": schedule(float(seconds))}
    return entries


def create_app() -> Celery:
    """Build the Celery app from settings (``BRIEFING_BROKER_URL`` etc.)."""
    settings = get_settings()
    app = Celery("union_briefing", include=["tasks.inbox", "tasks.ingest", "tasks.reports",
                                             "tasks.maintenance"])
    broker = settings.broker_url
    app.conf.update(
        broker_url=broker,
        broker_connection_retry_on_startup=True,
        # After a lost broker connection the worker shuts down (warm) instead of reconnecting in
        # place: in-process reconnection to Redis sometimes leaves a worker connected but no longer
        # consuming (celery/celery#8030, #8091, #9054; reproduced by tests/test_reliability_redis.py).
        # Compose (restart: unless-stopped) and `briefing run` start it again, and a fresh worker
        # waits for Redis (retry on startup) and consumes reliably.
        broker_connection_retry=False,
        broker_transport_options=transport_options(broker, settings),
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
            "briefing.sync_failed": {"queue": "inbox"},
            "briefing.retry_refused": {"queue": "inbox"},
            "briefing.process_issue": {"queue": "ingest"},
            "briefing.reclaim_interrupted": {"queue": "ingest"},
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
        beat_schedule=effective_beat_schedule(settings),
        beat_max_loop_interval=settings.beat_max_interval,  # Celery's name for beat's max sleep
    )
    ssl_opts = redis_ssl_options(broker, settings)
    if ssl_opts is not None:
        app.conf.update(broker_use_ssl=ssl_opts, redbeat_redis_use_ssl=ssl_opts)
    if broker.startswith(("redis://", "rediss://")):
        # One beat at a time: RedBeat holds a lock in Redis (key ``redbeat::lock``), renewed at every
        # tick (at least every beat_max_interval); a second beat started by mistake waits for it.
        # RedBeat's own client options, given explicitly: the broker's transport options are kombu's
        # (RedBeat ≥ 2.5 stops falling back to them); timeouts so a hung Redis cannot stall beat's
        # lock renewal forever (the error stops beat; its supervisor restarts it).
        app.conf.update(redbeat_redis_url=broker, redbeat_lock_timeout=settings.beat_lock_timeout,
                        redbeat_redis_options={"socket_connect_timeout": 5, "socket_timeout": 30},
                        beat_scheduler="redbeat.RedBeatScheduler")
    return app


configure_logging()
celery_app = create_app()
