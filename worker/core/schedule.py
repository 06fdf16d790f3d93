"""The beat schedule, read from ``config/schedule.yaml`` (operators edit the YAML, not code)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from celery.schedules import crontab, schedule

from worker.core.settings import get_settings

KINDS = ("daily", "weekly", "monthly")


@lru_cache
def load_schedule_config(path: Path | None = None) -> dict[str, Any]:
    """Parse ``config/schedule.yaml`` → dict with ``timezone``, ``tasks`` and ``briefings``."""
    path = path or get_settings().config_dir / "schedule.yaml"
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def parse_crontab(expr: str) -> crontab:
    """``"0 8 * * 1"`` in Unix cron field order (minute hour day-of-month month day-of-week, as in
    crontab(5)) → a Celery ``crontab`` via ``crontab.from_string``. Raises ValueError when malformed."""
    if len(expr.split()) != 5:
        raise ValueError(f"crontab needs 5 fields, got {expr!r}")
    return crontab.from_string(expr)


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
