"""The Alembic migrations build exactly the schema the SQLModel tables describe, on SQLite and on
PostgreSQL, and running them again changes nothing."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import worker.core.models  # noqa: F401  (registers the tables)
from worker.core.db import make_engine, migrate
from worker.search.index import is_search_table


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """The search index's tables are dialect-specific DDL, outside the SQLModel metadata."""
    return not is_search_table(name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None))


def _diff(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"include_object": include_object})
            return compare_metadata(ctx, SQLModel.metadata)
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_match_models(backend, tmp_path, request):
    url = f"sqlite:///{tmp_path / 'm.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    migrate(url)
    migrate(url)  # idempotent
    assert _diff(url) == []
