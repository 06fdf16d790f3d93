"""Periods and the due-period rule (worker/briefing/periods.py): pure, no DB."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from worker.briefing.periods import due_at, due_periods, first_fire_on_or_after, period_containing, period_ordinal

SH = ZoneInfo("Asia/Shanghai")
CRON = {"daily": "30 7 * * *", "weekly": "0 8 * * 1", "monthly": "0 9 1 * *"}


def due(kind, now, start, made=frozenset()):
    return due_periods(kind, now, start, set(made), crontab=CRON[kind], tz="Asia/Shanghai")


def test_period_containing():
    assert period_containing("daily", date(2024, 12, 24)) == (date(2024, 12, 24), date(2024, 12, 24))
    # 2024-12-24 is a Tuesday: Mon 23 – Sun 29
    assert period_containing("weekly", date(2024, 12, 24)) == (date(2024, 12, 23), date(2024, 12, 29))
    assert period_containing("weekly", date(2024, 12, 29)) == (date(2024, 12, 23), date(2024, 12, 29))
    assert period_containing("weekly", date(2025, 1, 1)) == (date(2024, 12, 30), date(2025, 1, 5))
    assert period_containing("monthly", date(2024, 2, 10)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert period_containing("monthly", date(2024, 12, 31)) == (date(2024, 12, 1), date(2024, 12, 31))
    with pytest.raises(ValueError):
        period_containing("yearly", date(2024, 1, 1))


def test_period_ordinal():
    assert period_ordinal("daily", date(2024, 2, 1)) == 32
    assert period_ordinal("monthly", date(2024, 7, 1)) == 7
    assert period_ordinal("weekly", date(2024, 1, 1)) == 1
    assert period_ordinal("weekly", date(2024, 1, 8)) == 2


def test_due_at_from_crontab():
    assert due_at("daily", date(2024, 12, 24), crontab=CRON["daily"], tz="Asia/Shanghai") == \
        datetime(2024, 12, 25, 7, 30, tzinfo=SH)
    assert due_at("weekly", date(2024, 12, 23), crontab=CRON["weekly"], tz="Asia/Shanghai") == \
        datetime(2024, 12, 30, 8, 0, tzinfo=SH)
    assert due_at("monthly", date(2024, 12, 1), crontab=CRON["monthly"], tz="Asia/Shanghai") == \
        datetime(2025, 1, 1, 9, 0, tzinfo=SH)


def test_crontab_fires_in_unix_field_order():
    assert first_fire_on_or_after("*/15 7-9 * * mon-fri", date(2024, 12, 21), SH) == \
        datetime(2024, 12, 23, 7, 0, tzinfo=SH)  # Saturday → Monday 07:00
    assert first_fire_on_or_after("0 8 * * 0", date(2024, 12, 22), SH).date() == date(2024, 12, 22)  # 0 = Sunday
    assert first_fire_on_or_after("0 8 * * sun", date(2024, 12, 22), SH).date() == date(2024, 12, 22)
    with pytest.raises(ValueError):  # beat's parser (Celery) has no day 7, so neither do the periods
        first_fire_on_or_after("0 8 * * 7", date(2024, 12, 22), SH)
    assert first_fire_on_or_after("0 9 1 * *", date(2024, 12, 2), SH) == datetime(2025, 1, 1, 9, 0, tzinfo=SH)
    assert first_fire_on_or_after("0 0 * * *", date(2024, 12, 2), SH) == datetime(2024, 12, 2, 0, 0, tzinfo=SH)
    with pytest.raises(ValueError):
        first_fire_on_or_after("0 8 * *", date(2024, 12, 2), SH)


def test_daily_due_exactly_at_scheduled_time():
    start = date(2024, 12, 24)
    assert due("daily", datetime(2024, 12, 25, 7, 29, tzinfo=SH), start) == []
    assert due("daily", datetime(2024, 12, 25, 7, 30, tzinfo=SH), start) == [start]
    # the same instant given in UTC
    assert due("daily", datetime(2024, 12, 24, 23, 30, tzinfo=UTC), start) == [start]
    assert due("daily", datetime(2024, 12, 24, 23, 29, tzinfo=UTC), start) == []


def test_downtime_returns_each_missed_period_once_in_order():
    start = date(2024, 12, 20)
    now = datetime(2024, 12, 27, 10, 0, tzinfo=SH)
    got = due("daily", now, start)
    assert got == [date(2024, 12, 20) + timedelta(days=i) for i in range(7)]  # 20..26
    assert min(got) >= start
    # Already made ones are not returned again.
    made = {date(2024, 12, 20), date(2024, 12, 23)}
    got2 = due("daily", now, start, made)
    assert got2 == [d for d in got if d not in made]
    assert due("daily", now, start, set(got)) == []


def test_weekly_and_monthly_due():
    # schedule starts mid-week: the first period is the week containing it
    start = date(2024, 12, 18)
    assert due("weekly", datetime(2024, 12, 23, 7, 59, tzinfo=SH), start) == []
    assert due("weekly", datetime(2024, 12, 23, 8, 0, tzinfo=SH), start) == [date(2024, 12, 16)]
    assert due("weekly", datetime(2025, 1, 7, tzinfo=SH), start) == [
        date(2024, 12, 16), date(2024, 12, 23), date(2024, 12, 30)]
    assert due("monthly", datetime(2025, 3, 1, 8, 59, tzinfo=SH), date(2024, 12, 15)) == [
        date(2024, 12, 1), date(2025, 1, 1)]
    assert due("monthly", datetime(2025, 3, 1, 9, 0, tzinfo=SH), date(2024, 12, 15)) == [
        date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1)]


def test_naive_now_refused():
    with pytest.raises(ValueError):
        due("daily", datetime(2024, 12, 25, 8, 0), date(2024, 12, 24))


def test_defaults_read_schedule_yaml():
    # No crontab/tz given: read from config/schedule.yaml (same values as CRON above).
    assert due_periods("daily", datetime(2024, 12, 25, 7, 30, tzinfo=SH), date(2024, 12, 24), set()) \
        == [date(2024, 12, 24)]


def test_one_schedule_loader_for_beat_and_briefings(tmp_path):
    """Beat and the briefing periods read config/schedule.yaml through one loader: a missing file or
    a kind without its crontab is an error for both (it used to fall back to defaults for one)."""
    import shutil

    from worker.core.schedule import beat_schedule, briefing_schedule, load_schedule_config, parse_crontab
    from worker.core.settings import PROJECT_ROOT

    with pytest.raises(FileNotFoundError, match=r"schedule\.yaml"):
        load_schedule_config(tmp_path)
    with pytest.raises(FileNotFoundError):
        briefing_schedule(tmp_path)
    cfg = tmp_path / "cfg"
    shutil.copytree(PROJECT_ROOT / "config", cfg)
    text = (cfg / "schedule.yaml").read_text(encoding="utf-8")
    (cfg / "schedule.yaml").write_text(text.replace('crontab: "0 8 * * 1"', ""), encoding="utf-8")
    with pytest.raises(ValueError, match=r"briefings\.weekly"):
        briefing_schedule(cfg)
    kinds, tz = briefing_schedule(PROJECT_ROOT / "config")
    assert (kinds["weekly"], tz) == ({"label": "周报", "crontab": "0 8 * * 1"}, "Asia/Shanghai")
    assert beat_schedule()["briefing_weekly"]["schedule"] == parse_crontab(kinds["weekly"]["crontab"])
