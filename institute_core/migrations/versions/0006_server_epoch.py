"""A server epoch that changes on restore; desks keep acknowledged changes to re-send (issue 13).

The server's `sync_clock` row gets a random epoch (a new one on every `institute-sync-server
restore`); replicas get `sync_sent`, the outbox entries the server acknowledged, kept for a
while so that a server restored from an older backup can be given them again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 18:45:00
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sync_clock', schema=None) as batch_op:
        batch_op.add_column(sa.Column('epoch', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('restored_version', sa.BigInteger(), nullable=True))
    # Generated here, not by the database: both dialects run this, and the value only has to
    # differ from every other database's.
    op.execute(sa.text("UPDATE sync_clock SET epoch = :epoch").bindparams(
        epoch=str(uuid.uuid4())))

    op.create_table('sync_sent',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('change_id', sa.Uuid(), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('row_id', sa.Uuid(), nullable=False),
    sa.Column('fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                               'postgresql'), nullable=False),
    sa.Column('hlc', sa.String(length=128), nullable=False),
    sa.Column('author_id', sa.Uuid(), nullable=True),
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('base_version', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_sync_sent'))
    )


def downgrade() -> None:
    op.drop_table('sync_sent')
    with op.batch_alter_table('sync_clock', schema=None) as batch_op:
        batch_op.drop_column('restored_version')
        batch_op.drop_column('epoch')
