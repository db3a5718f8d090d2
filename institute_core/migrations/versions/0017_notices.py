"""Notice board and staff notifications (issue 19).

Three synced tables: `announcements` (an administrator's notice for everyone, a role or a
batch, optionally in one branch), `announcement_reads` (read receipts, one per announcement and
reader) and `staff_notifications` (a staff member's bell, keyed by user, kind and record).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 02:10:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def _synced(table: str) -> list[Any]:
    """The bookkeeping columns every synced table carries (schema/base.py Synced)."""
    return [
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
    ]


def _check(table: str, name: str, sql: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(sql, name=op.f(f'ck_{table}_{name}'))


def _indexes(table: str, *plain: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in plain:
            batch_op.create_index(f'ix_{table}_{column}', [column], unique=False)
        batch_op.create_index(batch_op.f(f'ix_{table}_version'), ['version'], unique=False)


def upgrade() -> None:
    op.create_table(
        'announcements',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('audience', sa.String(length=10), server_default='everyone', nullable=False),
        sa.Column('audience_role', sa.String(length=50), nullable=True),
        sa.Column('batch_id', sa.Uuid(), nullable=True),
        sa.Column('branch_id', sa.Uuid(), nullable=True),
        sa.Column('pinned', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('send_to_guardians', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('author_id', sa.Uuid(), nullable=True),
        *_synced('announcements'),
        _check('announcements', 'title_not_blank', 'title IS NULL OR length(trim(title)) > 0'),
        _check('announcements', 'body_not_blank', 'body IS NULL OR length(trim(body)) > 0'),
        _check('announcements', 'audience_allowed',
               "audience IS NULL OR audience IN ('everyone', 'role', 'batch')"),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'],
                                name=op.f('fk_announcements_author_id'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['batch_id'], ['flexible_batches.id'],
                                name=op.f('fk_announcements_batch_id'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['branch_id'], ['branches.id'],
                                name=op.f('fk_announcements_branch_id'), ondelete='CASCADE'))
    _indexes('announcements', 'batch_id', 'branch_id')

    op.create_table(
        'announcement_reads',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('announcement_id', sa.Uuid(), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
        *_synced('announcement_reads'),
        sa.ForeignKeyConstraint(['announcement_id'], ['announcements.id'],
                                name=op.f('fk_announcement_reads_announcement_id'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_announcement_reads_user_id'), ondelete='CASCADE'),
        sa.UniqueConstraint('announcement_id', 'user_id',
                            name=op.f('uq_announcement_reads_announcement_id_user_id')))
    _indexes('announcement_reads', 'user_id')

    op.create_table(
        'staff_notifications',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.Column('record_table', sa.String(length=50), nullable=False),
        sa.Column('record_id', sa.Uuid(), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        *_synced('staff_notifications'),
        _check('staff_notifications', 'kind_allowed', "kind IS NULL OR kind IN "
               "('follow_up_due', 'conflict', 'at_risk', 'cheque_bounced')"),
        _check('staff_notifications', 'title_not_blank',
               'title IS NULL OR length(trim(title)) > 0'),
        _check('staff_notifications', 'record_table_not_blank',
               'record_table IS NULL OR length(trim(record_table)) > 0'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_staff_notifications_user_id'), ondelete='CASCADE'),
        sa.UniqueConstraint('user_id', 'kind', 'record_id',
                            name=op.f('uq_staff_notifications_user_id_kind_record_id')))
    _indexes('staff_notifications')


def downgrade() -> None:
    for table in ('staff_notifications', 'announcement_reads', 'announcements'):
        op.drop_table(table)
