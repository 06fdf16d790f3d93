"""Benchmarks for union-briefing: ``uv run python -m bench`` (see docs/performance.md)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
