"""Alembic environment: SQLModel metadata, URL from settings unless alembic.ini/caller sets one."""

from alembic import context
from sqlmodel import SQLModel

import worker.core.models  # noqa: F401  (registers the tables)
from worker.core.db import make_engine
from worker.core.settings import get_settings
from worker.search.index import is_search_table

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    return url if url and "driver://" not in url else get_settings().db_url


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Autogenerate leaves the search index alone: its tables are dialect-specific DDL."""
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return not is_search_table(table)


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url())
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True, include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
