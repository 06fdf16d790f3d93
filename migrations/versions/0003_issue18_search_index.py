"""search index: PostgreSQL article_search (tsvector + GIN), SQLite FTS5 article_fts; built for existing rows

Revision ID: 0003
Revises: 7c2e9a14b5d3
Create Date: 2026-12-04 17:00:00

The DDL and the segmentation live in worker.search.index (one implementation, shared with the
pipeline); these tables are not in the SQLModel metadata (the comparison skips them, see
worker.search.index.is_search_table).
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '7c2e9a14b5d3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    from worker.search.index import create_index, rebuild_index

    conn = op.get_bind()
    create_index(conn, indexes=False)
    rebuild_index(conn)  # then builds PostgreSQL's GIN index once, over all rows


def downgrade() -> None:
    from worker.search.index import drop_index

    drop_index(op.get_bind())
