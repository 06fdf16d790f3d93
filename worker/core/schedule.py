"""The schedule, read from ``config/schedule.yaml`` (operators edit the YAML, not code): beat's
entries and the briefing kinds' labels and crontabs. The one loader of that file and the one cron
parser (Celery's ``crontab``), used by beat and by the briefing periods alike."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from celery.schedules import crontab, schedule

from worker.core.settings import get_settings

KINDS = ("daily", "weekly", "monthly")


@lru_cache(maxsize=8)
def _read(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            cfg = yaml.safe_load(fh) or {}
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"schedule file missing: {path} (BRIEFING_CONFIG_DIR)") from exc
    briefings = cfg.get("briefings") or {}
    for kind in KINDS:
        entry = briefings.get(kind) or {}
        if not entry.get("label") or not entry.get("crontab"):
            raise ValueError(f"{path}: briefings.{kind} needs a label and a crontab")
        parse_crontab(str(entry["crontab"]))
    return cfg


def load_schedule_config(config_dir: Path | None = None) -> dict[str, Any]:
    """Parse ``<config_dir>/schedule.yaml`` (default ``BRIEFING_CONFIG_DIR``) → dict with ``timezone``,
    ``tasks`` and ``briefings`` (read once per path). Raises FileNotFoundError when the file is
    missing and ValueError when a briefing kind lacks its label or crontab, or a crontab is malformed:
    beat and the briefings must never disagree about the schedule."""
    return _read(str(Path(config_dir or get_settings().config_dir) / "schedule.yaml"))


def briefing_schedule(config_dir: Path | None = None) -> tuple[dict[str, dict[str, str]], str]:
    """The briefing kinds from ``schedule.yaml``: ``({kind: {"label": str, "crontab": str}}, timezone
    name)``; the time zone defaults to ``BRIEFING_TIMEZONE``. Errors as :func:`load_schedule_config`."""
    cfg = load_schedule_config(config_dir)
    kinds = {k: {"label": str(cfg["briefings"][k]["label"]), "crontab": str(cfg["briefings"][k]["crontab"])}
             for k in KINDS}
    return kinds, str(cfg.get("timezone") or get_settings().timezone)


def parse_crontab(expr: str) -> crontab:
    """``"0 8 * * 1"`` in Unix cron field order (minute hour day-of-month month day-of-week, as in
    crontab(5)) → a Celery ``crontab`` via ``crontab.from_string``. Raises ValueError when malformed.
    As everywhere in Celery, a day must match both day-of-month and day-of-week when both are set."""
    if len(expr.split()) != 5:
        raise ValueError(f"crontab needs 5 fields, got {expr!r}")
    return crontab.from_string(expr)


def next_fire_after(expr: str, moment: datetime) -> datetime:
    """The first time strictly after the aware datetime ``moment`` when ``expr`` fires, computed by
    Celery's crontab (the rule beat itself applies) in ``moment``'s time zone; an aware datetime.
    Raises ValueError for a naive ``moment`` or a malformed crontab."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    last, delta, _ = parse_crontab(expr).remaining_delta(moment, tz=moment.tzinfo)
    return last + delta


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
