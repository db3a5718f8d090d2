"""Devices remember their last failed push (issue 13): when, why and the server's reference.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 18:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


_COLUMNS = ('last_push_at', 'push_failing_since', 'push_failed_at', 'push_failure_ref',
            'push_failure_reason')


def upgrade() -> None:
    with op.batch_alter_table('sync_devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_push_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('push_failing_since', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('push_failed_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('push_failure_ref', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('push_failure_reason', sa.String(length=500),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sync_devices', schema=None) as batch_op:
        for name in reversed(_COLUMNS):
            batch_op.drop_column(name)
