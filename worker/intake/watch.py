"""The inbox watcher: a long-lived process beside the inbox that asks for a scan as soon as files
appear (watchfiles, inotify on Linux). Beat's periodic scan is the safety net when it is down."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from worker.core.settings import get_settings

log = logging.getLogger(__name__)
HEARTBEAT_KEY = "heartbeat:watcher"


def _wanted(_change, path: str) -> bool:
    from worker.intake.inbox import is_ignored

    return not is_ignored(Path(path).name)


def heartbeat(key: str) -> None:
    """Record that a long-lived process (watcher, beat) is alive: ServiceMeta[key] = now (UTC ISO)."""
    from worker.core.db import session_scope
    from worker.core.models import ServiceMeta, utcnow

    try:
        with session_scope() as session:
            row = session.get(ServiceMeta, key) or ServiceMeta(key=key, value="")
            row.value = utcnow().isoformat()
            session.add(row)
    except Exception:
        log.exception("heartbeat %s failed", key)


def request_scan() -> bool:
    """Send ``scan_inbox`` to the broker unless a queued scan will do (``coalesce``); False
    (logged) when the broker is unreachable."""
    from worker.core.app import celery_app
    from worker.intake.coalesce import request_scan as coalesced

    try:
        coalesced(get_settings(), lambda c: celery_app.send_task("briefing.scan_inbox", countdown=c))
        return True
    except Exception as exc:  # noqa: BLE001
        log.warning("could not request a scan (%s); beat's scan will take the files", exc)
        return False


def watch_inbox(stop_event: threading.Event | None = None, heartbeat_s: int = 30) -> None:
    """Block, watching ``settings.inbox_dir`` (not recursively); one scan request per debounced
    batch of changes (``BRIEFING_WATCH_DEBOUNCE_MS``). Returns when ``stop_event`` is set."""
    from watchfiles import watch

    from worker.core.logs import configure_logging

    configure_logging()  # the watcher never imports the Celery app first; its log lines must not vanish
    settings = get_settings()
    settings.ensure_dirs()
    log.info("watching %s", settings.inbox_dir)
    heartbeat(HEARTBEAT_KEY)
    request_scan()
    for changes in watch(settings.inbox_dir, watch_filter=_wanted, debounce=settings.watch_debounce_ms,
                         step=20, stop_event=stop_event, recursive=False, yield_on_timeout=True,
                         rust_timeout=heartbeat_s * 1000):
        if changes:
            log.debug("inbox changed: %d event(s)", len(changes))
            request_scan()
        heartbeat(HEARTBEAT_KEY)
