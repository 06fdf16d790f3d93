"""console_user.session_epoch: server-side end of console sessions (logout, new password, disable)

Revision ID: 0004
Revises: c19d2a7e4b01
Create Date: 2026-12-04 18:35:00

Existing accounts start at 0; cookies issued before this migration carry no epoch and are
refused, so everyone logs in once more.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = 'c19d2a7e4b01'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('console_user') as batch:
        batch.add_column(sa.Column('session_epoch', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('console_user') as batch:
        batch.drop_column('session_epoch')
