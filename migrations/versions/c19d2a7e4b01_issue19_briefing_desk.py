"""issue 19: the briefing desk — drafts, edits, sign-off (签发)

Briefing: edits, revision, generated, notice, signed_by, signed_at, sign_channel, notified_at,
reminded_at. New table briefingedit (the history of saved edits, for conflict messages).
Existing briefings were sent without review: they keep status made with no signer.

Revision ID: c19d2a7e4b01
Revises: 0003
Create Date: 2026-12-04 18:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision: str = 'c19d2a7e4b01'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("briefing") as batch:
        batch.add_column(sa.Column("edits", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("generated", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("notice", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("signed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.add_column(sa.Column("signed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("sign_channel", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.add_column(sa.Column("notified_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("reminded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_table(
        "briefingedit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("briefing_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("who", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("edits", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["briefing_id"], ["briefing.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("briefing_id", "revision"),
    )
    op.create_index(op.f("ix_briefingedit_briefing_id"), "briefingedit", ["briefing_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_briefingedit_briefing_id"), table_name="briefingedit")
    op.drop_table("briefingedit")
    with op.batch_alter_table("briefing") as batch:
        for col in ("reminded_at", "notified_at", "sign_channel", "signed_at", "signed_by", "notice",
                    "generated", "revision", "edits"):
            batch.drop_column(col)
