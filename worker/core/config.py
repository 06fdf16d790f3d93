"""The one loader of the YAML files in ``config/`` (used by every stage; lives in core so that
parsing and enrichment share it without importing each other)."""

from __future__ import annotations

from pathlib import Path


def config_dir() -> Path:
    """The configuration folder (``BRIEFING_CONFIG_DIR``, default ``<project>/config``)."""
    from worker.core.settings import get_settings

    return Path(get_settings().config_dir)


def load_yaml(name: str) -> dict:
    """Parse ``config/<name>`` (a YAML mapping). Raises FileNotFoundError / yaml.YAMLError."""
    import yaml

    with open(config_dir() / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}
