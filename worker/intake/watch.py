"""The inbox watcher: a long-lived process beside the inbox that asks for a scan as soon as files
appear (watchfiles, inotify on Linux). Beat's periodic scan is the safety net when it is down."""

from __future__ import annotations

import logging
import os
import threading
import time
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


#: While watching by events is impossible, the inbox is listed this often (seconds).
POLL_SECONDS = 1.0
MIN_POLL_SECONDS = 10.0


def watch_inbox(stop_event: threading.Event | None = None, heartbeat_s: int = 30) -> None:
    """Block, watching ``settings.inbox_dir`` (not recursively); one scan request per debounced
    batch of changes (``BRIEFING_WATCH_DEBOUNCE_MS``). Returns when ``stop_event`` is set.

    watchfiles gives up on a file name that is not valid UTF-8 (``WatchfilesRustInternalError:
    Unable to decode path``), even an ignored ``.part`` one, and would fail again at once after a
    restart: the watcher then lists the inbox every ``POLL_SECONDS`` (bytes names, nothing to
    decode) until no such name is left, and watches by events again."""
    from watchfiles import watch

    from worker.core.logs import configure_logging

    configure_logging()  # the watcher never imports the Celery app first; its log lines must not vanish
    settings = get_settings()
    settings.ensure_dirs()
    stop_event = stop_event or threading.Event()
    log.info("watching %s", settings.inbox_dir)
    heartbeat(HEARTBEAT_KEY)
    request_scan()
    while not stop_event.is_set():
        try:
            for changes in watch(settings.inbox_dir, watch_filter=_wanted, debounce=settings.watch_debounce_ms,
                                 step=20, stop_event=stop_event, recursive=False, yield_on_timeout=True,
                                 rust_timeout=heartbeat_s * 1000):
                if changes:
                    log.debug("inbox changed: %d event(s)", len(changes))
                    request_scan()
                heartbeat(HEARTBEAT_KEY)
            return
        except RuntimeError as exc:  # watchfiles' WatchfilesRustInternalError is a RuntimeError
            log.warning("watching by events failed (%s); listing the inbox every %.0f s instead", exc,
                        POLL_SECONDS)
            request_scan()
            _poll(settings.inbox_dir, stop_event, heartbeat_s)
            if not stop_event.is_set():
                log.info("watching %s by events again", settings.inbox_dir)
                request_scan()


def _snapshot(folder: Path) -> tuple[dict[bytes, tuple[int, int]], bool]:
    """(name → (size, mtime ns) of the entries a scan would look at, whether any name is not
    UTF-8). Names are listed as bytes, so nothing needs decoding."""
    from worker.intake.inbox import is_ignored

    seen, undecodable = {}, False
    try:
        entries = list(os.scandir(os.fsencode(folder)))
    except FileNotFoundError:
        return {}, False
    for entry in entries:
        try:
            entry.name.decode("utf-8")
        except UnicodeDecodeError:
            undecodable = True
        if is_ignored(os.fsdecode(entry.name)):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue
        seen[entry.name] = (st.st_size, st.st_mtime_ns)
    return seen, undecodable


def _poll(folder: Path, stop_event: threading.Event, heartbeat_s: int) -> None:
    """List ``folder`` every POLL_SECONDS and request a scan when what a scan would see changed;
    return once no name in it is undecodable, after MIN_POLL_SECONDS at least (or when
    ``stop_event`` is set)."""
    last, undecodable = _snapshot(folder)
    beat = started = time.monotonic()
    # at least MIN_POLL_SECONDS: another cause of failure must not make a busy loop of restarts
    while (undecodable or time.monotonic() - started < MIN_POLL_SECONDS) and not stop_event.wait(POLL_SECONDS):
        now, undecodable = _snapshot(folder)
        if now != last:
            request_scan()
            last = now
        if time.monotonic() - beat >= heartbeat_s:
            heartbeat(HEARTBEAT_KEY)
            beat = time.monotonic()
