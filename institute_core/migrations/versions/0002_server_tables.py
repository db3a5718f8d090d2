"""Sync server bookkeeping: version clock, devices, applied changes, field versions, auth.

The tables exist on SQLite replicas too (one history for both) and simply stay empty there.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:48:26.649084
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('auth_login_failures',
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('email', name=op.f('pk_auth_login_failures'))
    )
    op.create_table('sync_applied_changes',
    sa.Column('change_id', sa.Uuid(), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('change_id', name=op.f('pk_sync_applied_changes'))
    )
    with op.batch_alter_table('sync_applied_changes', schema=None) as batch_op:
        batch_op.create_index('ix_sync_applied_changes_device_id_seq', ['device_id', 'seq'], unique=False)

    op.create_table('sync_clock',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('compacted_version', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_clock'))
    )
    op.create_table('sync_field_versions',
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('row_id', sa.Uuid(), nullable=False),
    sa.Column('meta', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('table_name', 'row_id', name=op.f('pk_sync_field_versions'))
    )
    op.create_table('auth_sessions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=True),
    sa.Column('refresh_hash', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_auth_sessions_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_sessions')),
    sa.UniqueConstraint('refresh_hash', name=op.f('uq_auth_sessions_refresh_hash'))
    )
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_auth_sessions_user_id', ['user_id'], unique=False)

    op.create_table('sync_devices',
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), server_default='', nullable=False),
    sa.Column('last_seq', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('clock_offset_ms', sa.BigInteger(), nullable=True),
    sa.Column('schema_version', sa.Integer(), nullable=True),
    sa.Column('last_pull_version', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sync_devices_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('device_id', name=op.f('pk_sync_devices'))
    )
    with op.batch_alter_table('sync_devices', schema=None) as batch_op:
        batch_op.create_index('ix_sync_devices_user_id', ['user_id'], unique=False)

    # The one clock row every push locks; versions start after 0 ("never synced").
    op.execute("INSERT INTO sync_clock (id, version, compacted_version) VALUES (1, 0, 0)")


def downgrade() -> None:
    with op.batch_alter_table('sync_devices', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_devices_user_id')

    op.drop_table('sync_devices')
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_auth_sessions_user_id')

    op.drop_table('auth_sessions')
    op.drop_table('sync_field_versions')
    op.drop_table('sync_clock')
    with op.batch_alter_table('sync_applied_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_applied_changes_device_id_seq')

    op.drop_table('sync_applied_changes')
    op.drop_table('auth_login_failures')
