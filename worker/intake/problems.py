"""Intake problems: inbox files that a scan could not take, and why, for ``briefing status``.

A file that cannot be moved out of the inbox (immutable, another user's file in a sticky-bit
folder, EBUSY, EXDEV …) or whose receipt could not be written (disk full, database down) stays
where it is and is tried again at every scan; the reason is kept here until a scan takes it.
Kept in Redis (a hash per inbox folder), not in the database or on disk: the usual causes are a
full disk or a database that refuses writes, and the reason must survive exactly those.
"""

from __future__ import annotations

import contextlib
import json
import logging

from worker.core.models import utcnow
from worker.core.settings import Settings

log = logging.getLogger(__name__)


def _key(settings: Settings) -> str:
    return f"briefing:intake-problems:{settings.inbox_dir}"


def _client(settings: Settings):
    if not settings.broker_url.startswith(("redis://", "rediss://")):
        return None  # demo (memory://): the log line is the record
    from worker.core.app import redis_client

    return redis_client(settings.broker_url, socket_timeout=2, socket_connect_timeout=2)


def note(settings: Settings, name: str, where: str, reason: str) -> bool:
    """Record that file ``name`` (display name) could not be taken: ``where`` it is now
    (``inbox/NAME`` or ``processing/CLAIM/NAME``), ``reason`` (one sentence). Returns True when
    this is news (first time, or another reason or place than last time): the caller logs a
    warning then, and only a debug line on later scans."""
    import redis

    client = _client(settings)
    if client is None:
        return True
    now = utcnow().isoformat()
    try:
        old = client.hget(_key(settings), name)
        before = json.loads(old) if old else {}
        news = before.get("reason") != reason or before.get("where") != where
        client.hset(_key(settings), name, json.dumps(
            {"file": name, "where": where, "reason": reason, "since": before.get("since", now) if not news
             else now, "last": now, "scans": before.get("scans", 0) + 1}, ensure_ascii=False))
        return news
    except redis.RedisError as exc:
        log.warning("could not record the intake problem of %s in Redis: %s", name, exc)
        return True


def clear(settings: Settings, names: list[str]) -> None:
    """Forget the problems of ``names`` (display names), once taken or gone."""
    import redis

    client = _client(settings)
    if client is None or not names:
        return
    with contextlib.suppress(redis.RedisError):
        client.hdel(_key(settings), *names)


def current(settings: Settings) -> list[dict] | None:
    """Recorded problems, oldest first: dicts with file, where, reason, since, last (UTC ISO) and
    scans (how many scans met it). None when Redis is unreachable or not the broker."""
    import redis

    client = _client(settings)
    if client is None:
        return None
    try:
        rows = [json.loads(v) for v in client.hgetall(_key(settings)).values()]
    except redis.RedisError:
        return None
    return sorted(rows, key=lambda r: r["since"])
