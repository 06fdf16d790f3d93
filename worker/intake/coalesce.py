"""Scan requests coalesced: at most one ``scan_inbox`` running and one queued, no request lost.

A file appended in 20 writes used to queue 174 scans (each watcher event one, each scan that
saw a file still being written one more). Three Redis keys (redis-py's ``Lock`` for the running
one) keep it to one running and one waiting:

* ``QUEUED`` — a scan message is in the queue: a request while it is set sends nothing (that scan
  has not looked at the inbox yet, so it will see what the request was about). The scan deletes
  it when it starts.
* ``RUNNING`` — the lock a scan holds while it runs (renewed per file, so a killed worker's lock
  expires within ``LOCK_SECONDS``). A scan that finds it taken sets ``AGAIN`` and stops; the
  running one, when done, sends one more scan if ``AGAIN`` was set.
* ``DELAYED`` — when the earliest delayed rescan (a file still being written) is due: a later
  rescan request is dropped, an earlier one is sent.

With a broker that is not Redis (the demo's ``memory://``) every request is sent as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from worker.core.settings import Settings

log = logging.getLogger(__name__)

QUEUED = "briefing:scan:queued"
RUNNING = "briefing:scan:running"
AGAIN = "briefing:scan:again"
DELAYED = "briefing:scan:delayed"
#: A queued message not started within this many seconds is taken as lost (requests send again).
QUEUED_SECONDS = 60
#: The running lock lives this long unless renewed (every file renews it).
LOCK_SECONDS = 30


def _client(settings: Settings):
    if not settings.broker_url.startswith(("redis://", "rediss://")):
        return None
    from worker.core.app import redis_client

    return redis_client(settings.broker_url, socket_timeout=5, socket_connect_timeout=5)


def request_scan(settings: Settings, send: Callable[[float | None], None], countdown: float | None = None) -> bool:
    """Ask for a scan now (``countdown`` None) or in ``countdown`` seconds, unless one that will
    do already waits. ``send(countdown)`` sends the ``scan_inbox`` message. Returns True when a
    message was sent. Redis errors fall back to sending (a spare scan costs little)."""
    import redis

    client = _client(settings)
    if client is None:
        send(countdown)
        return True
    try:
        if countdown is None or countdown <= 0:
            if not client.set(QUEUED, "1", nx=True, ex=QUEUED_SECONDS):
                return False
        else:
            due = time.time() + countdown
            pending = client.get(DELAYED)
            if pending is not None and time.time() <= float(pending) <= due + 0.05:
                return False  # an earlier (or the same) rescan is on its way
            client.set(DELAYED, f"{due:.3f}", ex=int(countdown) + QUEUED_SECONDS)
    except redis.RedisError as exc:
        log.warning("scan coalescing unavailable (%s): sending the scan anyway", exc)
    send(countdown)
    return True


class Gate:
    """The right to run the one scan: ``renew()`` it while scanning (per file), ``finish()`` at
    the end."""

    def __init__(self, client, lock):
        self._client, self._lock = client, lock

    def renew(self) -> None:
        """Push the lock's expiry ``LOCK_SECONDS`` ahead (lost lock: logged, the scan goes on)."""
        if self._lock is None:
            return
        try:
            self._lock.reacquire()
        except Exception as exc:  # noqa: BLE001 - LockError and broker errors alike
            log.warning("scan lock not renewed: %s", exc)

    def finish(self) -> bool:
        """Release the lock; True when another scan was asked for meanwhile (the caller requests
        one). Release first, then read ``AGAIN``: a scan that found the lock taken set ``AGAIN``
        before trying the lock a second time, so one of the two always sees the other."""
        if self._lock is None:
            return False
        import redis

        try:
            self._lock.release()
        except Exception as exc:  # noqa: BLE001 - expired meanwhile: nothing to release
            log.warning("scan lock already gone: %s", exc)
        try:
            return bool(self._client.getdel(AGAIN))
        except redis.RedisError:
            return True


def begin(settings: Settings) -> Gate | None:
    """Start a scan: clear ``QUEUED`` and take the running lock. Returns the Gate, or None when
    another scan is running (``AGAIN`` is set then, so it scans again when done; in case it never
    finishes — its worker was killed — the caller also asks for a scan in :func:`lock_left`
    seconds, when the dead scan's lock has expired)."""
    import redis

    client = _client(settings)
    if client is None:
        return Gate(None, None)
    try:
        client.delete(QUEUED)
        lock = client.lock(RUNNING, timeout=LOCK_SECONDS, blocking=False)
        if lock.acquire():
            return Gate(client, lock)
        client.set(AGAIN, "1", ex=LOCK_SECONDS * 4)
        if lock.acquire():  # the running scan released it in between: run after all
            client.delete(AGAIN)
            return Gate(client, lock)
    except redis.RedisError as exc:
        log.warning("scan coalescing unavailable (%s): scanning anyway", exc)
        return Gate(None, None)
    return None


def lock_left(settings: Settings) -> float:
    """Seconds until the running scan's lock expires unless renewed (0 when free or unknown)."""
    import redis

    client = _client(settings)
    if client is None:
        return 0.0
    try:
        ms = client.pttl(RUNNING)
    except redis.RedisError:
        return 0.0
    return max(ms, 0) / 1000
