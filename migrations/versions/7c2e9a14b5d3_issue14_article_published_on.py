"""issue 14: Article.published_on — an article's own date from page furniture

Revision ID: 7c2e9a14b5d3
Revises: 0001
Create Date: 2026-12-04 17:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '7c2e9a14b5d3'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add article.published_on (nullable date, indexed)."""
    with op.batch_alter_table('article') as batch:
        batch.add_column(sa.Column('published_on', sa.Date(), nullable=True))
        batch.create_index('ix_article_published_on', ['published_on'], unique=False)


def downgrade() -> None:
    """Drop article.published_on."""
    with op.batch_alter_table('article') as batch:
        batch.drop_index('ix_article_published_on')
        batch.drop_column('published_on')
