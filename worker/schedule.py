"""The beat schedule, read from ``config/schedule.yaml`` (operators edit the YAML, not code)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from celery.schedules import crontab, schedule

from worker.settings import get_settings

KINDS = ("daily", "weekly", "monthly")


@lru_cache
def load_schedule_config(path: Path | None = None) -> dict[str, Any]:
    """Parse ``config/schedule.yaml`` → dict with ``timezone``, ``tasks`` and ``briefings``."""
    path = path or get_settings().config_dir / "schedule.yaml"
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def parse_crontab(expr: str) -> crontab:
    """``"30 7 * * *"`` (minute hour day_of_week day_of_month month_of_year, Celery's field
    order) → a Celery ``crontab``. Raises ValueError on a malformed expression."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"crontab needs 5 fields, got {expr!r}")
    minute, hour, day_of_week, day_of_month, month_of_year = fields
    return crontab(minute=minute, hour=hour, day_of_week=day_of_week,
                   day_of_month=day_of_month, month_of_year=month_of_year)


def _every(entry: dict[str, Any]) -> Any:
    if "every_seconds" in entry:
        return schedule(float(entry["every_seconds"]))
    return parse_crontab(entry["crontab"])


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Celery ``beat_schedule``: inbox scan, reconcile, retraining, and one briefing entry per kind
    (each entry runs ``make_due_briefings(kind)``, which works out from the database what is due)."""
    cfg = load_schedule_config()
    entries: dict[str, dict[str, Any]] = {}
    for name, entry in (cfg.get("tasks") or {}).items():
        entries[name] = {"task": f"briefing.{name}", "schedule": _every(entry)}
    for kind, entry in (cfg.get("briefings") or {}).items():
        entries[f"briefing_{kind}"] = {
            "task": "briefing.make_due_briefings",
            "schedule": parse_crontab(entry["crontab"]),
            "args": [kind],
        }
    return entries
