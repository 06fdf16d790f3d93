"""The Alembic migrations build exactly the schema the SQLModel tables describe, on SQLite and on
PostgreSQL, and running them again changes nothing."""

from __future__ import annotations

import json

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


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_issue10_migration_gives_existing_corrections_their_text(backend, tmp_path, request):
    """A database from before issue 10 with a correction: after `briefing migrate` the correction
    knows its issue, text and keys (from its article), and deleting the article no longer fails
    (it leaves the correction unattached)."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text
    from sqlmodel import Session, select

    from worker.core.models import Correction
    from worker.core.settings import PROJECT_ROOT
    from worker.enrich import identity

    url = f"sqlite:///{tmp_path / 'm.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "0001")
    engine = make_engine(url)
    paragraphs = ["走进温州市鹿城区的“暖新驿站”，微波炉、饮水机一应俱全。", "驿站还定期邀请律师坐班。"]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO issue (id, file_name, sha256, size, raw, received_at, status, warnings, "
                          "attempts, article_count) VALUES (5, 'a.txt', 'ab', 1, :raw, '2024-12-24 01:00:00', "
                          "'processed', '[]', 1, 1)"), {"raw": b"x"})
        conn.execute(text("INSERT INTO article (id, issue_id, seq, kind, kicker, title, title_derived, authors, "
                          "paragraphs, captions, category, category_scores, secondary_categories, "
                          "category_confirmed, places, people, organizations, figures, keywords, summary, "
                          "search_text) VALUES (9, 5, 3, 'news', NULL, '温州：工会驿站升级', false, '[]', :p, "
                          "'[]', 'worker_services', '{}', '[]', true, '[]', '[]', '[]', '[]', '[]', '', '')"),
                     {"p": json.dumps(paragraphs, ensure_ascii=False)})
        conn.execute(text("INSERT INTO correction (id, article_id, old_category, new_category, who, at) "
                          "VALUES (1, 9, 'new_employment', 'worker_services', '编辑', '2024-12-25 02:00:00')"))
    engine.dispose()

    migrate(url)
    assert _diff(url) == []
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            c = s.exec(select(Correction)).one()
            assert (c.article_id, c.issue_id, c.new_category) == (9, 5, "worker_services")
            assert c.article_text == {"kicker": None, "title": "温州：工会驿站升级", "subtitle": None,
                                      "title_derived": False, "paragraphs": paragraphs, "captions": []}
            assert c.headline_key == identity.headline_key(None, "温州：工会驿站升级", None)
            assert c.lead_key == identity.lead_key(paragraphs)
            assert c.fingerprint == identity.text_fingerprint(None, "温州：工会驿站升级", None, paragraphs)
        with engine.begin() as conn:  # was: FOREIGN KEY constraint failed
            conn.execute(text("DELETE FROM article WHERE id = 9"))
        with Session(engine) as s:
            c = s.exec(select(Correction)).one()
            assert c.article_id is None and c.issue_id == 5 and c.article_text["title"] == "温州：工会驿站升级"
    finally:
        engine.dispose()
