"""The briefing's own configuration, ``config/briefing.yaml``: read here once for both the
briefing builder and delivery (so neither imports the other for it)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

DEFAULT_CONFIG: dict[str, Any] = {
    "masthead": {"title": "工会信息简报", "issuing_unit": "浙江省总工会办公室", "internal_mark": True,
                 "internal_mark_text": "内部资料 注意保存"},
    "closing": {"bao": [], "song": [], "fa": [], "copies": None},
    "email": {"daily": [], "weekly": [], "monthly": []},
    "empty_period": "skip",
    "pdf": True,
    "charts": True,
    "chart_font": None,
    "key_figures": 8,
    "figures_per_article": 2,
    "paper_name": "浙江工人日报",
    "contact": {"name": "", "phone": ""},
    "highlights": {"min": 3, "max": 5, "own_organisation": ["省总工会", "浙江省总工会"], "leaders": [],
                   "leader_titles": ["党组书记", "主席", "副主席"], "priority_topics": [],
                   "weights": {"own": 3, "leader": 3, "money": 2, "people": 1, "priority": 2,
                               "same_event": 1},
                   "money_yuan": 1_000_000, "people": 1000},
    "sections": {"order": ["union_building", "new_employment", "rights_protection", "care_and_relief",
                           "worker_services", "model_workers", "skills_competition", "work_safety",
                           "culture", "other", "politics"],
                 "exclude": [], "cap": {"daily": 6, "weekly": 4, "monthly": 4},
                 "wire_sources": ["新华社", "人民日报", "中新社"], "wire_section": "politics",
                 "wire_cap": 2, "exclude_sources": []},
    "aggregation": {"num_perm": 128, "duplicate": 0.5, "same_event": 0.16},
    "appendix": True,
    "approval": "required",
    "remind_after_hours": 24,
}

#: The 关键数据 table never has more rows than this (issue 16).
MAX_KEY_FIGURES = 8


def load_briefing_config(config_dir: Path | None = None) -> dict[str, Any]:
    """``config/briefing.yaml`` merged over :data:`DEFAULT_CONFIG` (one level deep).

    Raises ``ValueError`` if ``empty_period`` is not ``short`` or ``skip``, or ``approval`` (issue
    19; environment variable ``BRIEFING_APPROVAL`` wins over the file) is not ``required`` or ``auto``.
    """
    if config_dir is None:
        from worker.core.settings import get_settings

        config_dir = get_settings().config_dir
    path = Path(config_dir) / "briefing.yaml"
    raw: dict[str, Any] = {}
    if path.is_file():
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    cfg: dict[str, Any] = {}
    for key, default in DEFAULT_CONFIG.items():
        val = raw.get(key, default)
        if isinstance(default, dict):
            val = {**default, **(val or {})}
        cfg[key] = val
    cfg["key_figures"] = min(int(cfg["key_figures"] or 0), MAX_KEY_FIGURES)
    # env BRIEFING_APPROVAL wins (``briefing demo`` runs with auto in its own var folder)
    cfg["approval"] = str(os.environ.get("BRIEFING_APPROVAL") or cfg["approval"]).strip()
    if cfg["approval"] not in ("required", "auto"):
        raise ValueError(f"briefing.yaml: approval must be required or auto, not {cfg['approval']!r}")
    if cfg["empty_period"] not in ("short", "skip"):
        raise ValueError(f"briefing.yaml: empty_period must be short or skip, not {cfg['empty_period']!r}")
    return cfg


def recipients_for(kind: str, config: dict[str, Any]) -> list[str]:
    """E-mail recipients of a briefing kind from the config (``email: {kind: [addr…]}``)."""
    value = (config.get("email") or {}).get(kind) or []
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    return [str(v).strip() for v in value if str(v).strip()]
