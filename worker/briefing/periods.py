"""Briefing periods and the rule for when a period is due (pure functions, no DB).

Kinds (see ``config/schedule.yaml``):

* ``daily``   – one calendar day D; due at the crontab time after D ends (07:30 on D+1);
* ``weekly``  – Monday–Sunday; due on the following Monday 08:00;
* ``monthly`` – a calendar month; due on the 1st of the next month 09:00.

All bounds are *inclusive* dates. Times are wall-clock in the schedule's time zone
(``Asia/Shanghai`` by default). The crontab strings are in standard Unix cron order
``minute hour day_of_month month day_of_week`` (Sunday = 0 or 7) — the order of the values in
``config/schedule.yaml`` ("0 8 * * 1" = Mondays, "0 9 1 * *" = the 1st), read and evaluated by
worker/core/schedule.py (Celery's crontab, the rule beat applies).
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from worker.core.schedule import KINDS, briefing_schedule, next_fire_after

DEFAULT_TIMEZONE = "Asia/Shanghai"


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown briefing kind {kind!r}; expected one of {KINDS}")


def period_containing(kind: str, d: date) -> tuple[date, date]:
    """The period of ``kind`` that contains day ``d``, as inclusive ``(start, end)`` dates.

    daily → ``(d, d)``; weekly → Monday..Sunday (ISO week); monthly → 1st..last day of the month.
    Raises ``ValueError`` for an unknown kind.
    """
    _check_kind(kind)
    if kind == "daily":
        return d, d
    if kind == "weekly":
        start = d - timedelta(days=d.weekday())
        return start, start + timedelta(days=6)
    last = calendar.monthrange(d.year, d.month)[1]
    return d.replace(day=1), d.replace(day=last)


def period_ordinal(kind: str, start: date) -> int:
    """1-based position of the period starting at ``start`` within its year (day of year, week
    index counted from the first period starting in that year, month). Used for skipped rows."""
    _check_kind(kind)
    if kind == "daily":
        return start.timetuple().tm_yday
    if kind == "monthly":
        return start.month
    return (start.timetuple().tm_yday - 1) // 7 + 1


# --------------------------------------------------------------------------------------------
# Crontab (Unix field order), evaluated by Celery's crontab (worker/core/schedule.py)


def first_fire_on_or_after(crontab: str, day: date, zone: ZoneInfo) -> datetime:
    """The first time at or after midnight of ``day`` (in ``zone``) when ``crontab`` fires, as an
    aware datetime. Raises ``ValueError`` for a malformed crontab."""
    return next_fire_after(crontab, datetime.combine(day, time(0), tzinfo=zone) - timedelta(seconds=1))


def kind_label(kind: str, config_dir: Path | None = None) -> str:
    """The Chinese label of a kind (日报/周报/月报) from the schedule config."""
    _check_kind(kind)
    return briefing_schedule(config_dir)[0][kind]["label"]


def due_at(kind: str, period_start: date, *, crontab: str | None = None,
           tz: str | None = None) -> datetime:
    """The aware datetime at which the period starting at ``period_start`` becomes due: the first
    time the kind's crontab fires after the period has ended (i.e. on/after the day after
    ``period_end``). ``crontab``/``tz`` default to ``config/schedule.yaml``."""
    if crontab is None or tz is None:
        sched, tzname = briefing_schedule()
        crontab = crontab or sched[kind]["crontab"]
        tz = tz or tzname
    _, end = period_containing(kind, period_start)
    return first_fire_on_or_after(crontab, end + timedelta(days=1), ZoneInfo(tz))


def due_periods(kind: str, now: datetime, schedule_start: date, already_made: set[date], *,
                crontab: str | None = None, tz: str | None = None) -> list[date]:
    """Start dates of the periods of ``kind`` that are due at ``now`` and not in ``already_made``.

    The first candidate is the period containing ``schedule_start``; a period is due once it has
    ended *and* its scheduled time (crontab in the schedule time zone) has passed. After downtime
    every missed period is returned once, oldest first. ``now`` must be timezone-aware (a naive
    value raises ``ValueError``); ``already_made`` holds period starts that have a Briefing row.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if crontab is None or tz is None:
        sched, tzname = briefing_schedule()
        crontab = crontab or sched[kind]["crontab"]
        tz = tz or tzname
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    out: list[date] = []
    start = period_containing(kind, schedule_start)[0]
    while True:
        _, end = period_containing(kind, start)
        if first_fire_on_or_after(crontab, end + timedelta(days=1), zone) > local_now:
            break
        if start not in already_made:
            out.append(start)
        start = end + timedelta(days=1)
    return out
