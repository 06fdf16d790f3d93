"""Maintenance tasks. Task history is recorded by ``worker.core.events`` (imported here so every
worker process connects the signals)."""

from __future__ import annotations

import worker.core.events  # noqa: F401  (connects the Celery signals that write TaskEvent rows)
