"""Typed ids for the console's addresses: a database id is 1 … 2**63-1 (SQLite INTEGER and
PostgreSQL BIGINT are signed 64-bit), so a larger or non-positive number in a path or query is
refused by FastAPI's validation (answered with the Chinese 404 page by ``web.app``) before it
reaches the database driver, which would raise OverflowError (a 500)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from worker.core.models import MAX_ID

#: a database id in the path (``/issues/{issue_id}``)
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
#: a database id in the query string (``?old=3``)
QueryId = Annotated[int, Query(ge=1, le=MAX_ID)]


def form_id(value) -> int | None:
    """A form field as a database id, or None when it is missing, not a number or out of range."""
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number if 1 <= number <= MAX_ID else None
