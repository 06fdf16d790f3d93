"""issue 10: corrections keep their text and survive a re-parse; issues know their text hash

Correction: ``article_id`` nullable (ON DELETE SET NULL), new ``issue_id``, ``headline_key``,
``lead_key``, ``fingerprint``, ``article_text``; existing corrections get them from the article they
point to. Issue: ``text_sha256`` (unique) and ``duplicate_of`` for text duplicates; existing issues
get their text hash the next time they are processed (``briefing reprocess --all``).

Revision ID: b7e1a0c4d210
Revises: 0001
Create Date: 2026-12-04 17:10:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision: str = 'b7e1a0c4d210'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# SQLite's foreign keys from 0001 have no name; batch mode names them by this convention.
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _fk_name(table: str, column: str) -> str:
    for fk in sa.inspect(op.get_bind()).get_foreign_keys(table):
        if fk["constrained_columns"] == [column]:
            return fk["name"] or f"fk_{table}_{column}_{fk['referred_table']}"
    raise LookupError(f"no foreign key on {table}.{column}")


def upgrade() -> None:
    article_fk = _fk_name("correction", "article_id")
    # plain ALTERs: rebuilding `issue` on SQLite would fail on the tables that point to it
    op.add_column('issue', sa.Column('text_sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':  # SQLite adds a column with its REFERENCES, no constraint ALTER
        op.execute('ALTER TABLE issue ADD COLUMN duplicate_of INTEGER REFERENCES issue (id)')
    else:
        op.add_column('issue', sa.Column('duplicate_of', sa.Integer(),
                                         sa.ForeignKey('issue.id'), nullable=True))
    op.create_index(op.f('ix_issue_text_sha256'), 'issue', ['text_sha256'], unique=True)

    with op.batch_alter_table('correction', schema=None, naming_convention=NAMING) as batch_op:
        batch_op.add_column(sa.Column('issue_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('headline_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('lead_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('article_text', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.alter_column('article_id', existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint(article_fk, type_='foreignkey')
        batch_op.create_foreign_key('fk_correction_article_id_article', 'article', ['article_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_foreign_key('fk_correction_issue_id_issue', 'issue', ['issue_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_correction_issue_id'), ['issue_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_correction_fingerprint'), ['fingerprint'], unique=False)

    _fill_corrections()

    with op.batch_alter_table('correction', schema=None) as batch_op:
        batch_op.alter_column('article_text', existing_type=sa.JSON(), server_default=None)


def _fill_corrections() -> None:
    """Every existing correction gets its issue, text and keys from the article it points to (the
    same functions the running code uses, so a re-parse re-attaches them)."""
    from worker.enrich.learning import article_text, correction_keys

    bind = op.get_bind()
    article = sa.table('article', sa.column('id', sa.Integer), sa.column('issue_id', sa.Integer),
                       sa.column('kicker', sa.String), sa.column('title', sa.String),
                       sa.column('subtitle', sa.String), sa.column('title_derived', sa.Boolean),
                       sa.column('paragraphs', sa.JSON), sa.column('captions', sa.JSON))
    correction = sa.table('correction', sa.column('id', sa.Integer), sa.column('article_id', sa.Integer),
                          sa.column('issue_id', sa.Integer), sa.column('headline_key', sa.String),
                          sa.column('lead_key', sa.String), sa.column('fingerprint', sa.String),
                          sa.column('article_text', sa.JSON))
    rows = bind.execute(sa.select(correction.c.id.label('correction_id'), article.c.issue_id, article.c.kicker,
                                  article.c.title, article.c.subtitle, article.c.title_derived,
                                  article.c.paragraphs, article.c.captions)
                        .join(article, article.c.id == correction.c.article_id)).mappings().all()
    for row in rows:
        text = article_text(dict(row))
        bind.execute(correction.update().where(correction.c.id == row['correction_id'])
                     .values(issue_id=row['issue_id'], article_text=text, **correction_keys(text)))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('PRAGMA foreign_keys=OFF')
    # A correction without an article cannot exist in the old schema: those are dropped.
    op.execute("DELETE FROM correction WHERE article_id IS NULL")
    with op.batch_alter_table('correction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_correction_fingerprint'))
        batch_op.drop_index(batch_op.f('ix_correction_issue_id'))
        batch_op.drop_constraint('fk_correction_issue_id_issue', type_='foreignkey')
        batch_op.drop_constraint('fk_correction_article_id_article', type_='foreignkey')
        batch_op.create_foreign_key('fk_correction_article_id_article', 'article', ['article_id'], ['id'])
        batch_op.alter_column('article_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('article_text')
        batch_op.drop_column('fingerprint')
        batch_op.drop_column('lead_key')
        batch_op.drop_column('headline_key')
        batch_op.drop_column('issue_id')
    op.drop_index(op.f('ix_issue_text_sha256'), table_name='issue')
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite cannot drop a REFERENCES column in place; `issue` is rebuilt (foreign keys off
        # meanwhile, set before the first write of this migration)
        with op.batch_alter_table('issue', schema=None, recreate='always') as batch_op:
            batch_op.drop_column('duplicate_of')
            batch_op.drop_column('text_sha256')
        return
    op.drop_constraint(_fk_name('issue', 'duplicate_of'), 'issue', type_='foreignkey')
    op.drop_column('issue', 'duplicate_of')
    op.drop_column('issue', 'text_sha256')
