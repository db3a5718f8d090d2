"""Branch scoping of the remaining tables (issue 17): batch and faculty transfers kept.

Adds `batch_branch_moves` (a batch moved to another branch, with how many of its students and
their future sessions went along) and `faculty_branch_moves` (a faculty member's home branch
changed, and whether they still teach in the old one) – the history a transfer keeps, like
`student_branch_moves` of 0009. New tables only: no existing row changes, so a replica and the
server agree after upgrading without a sync.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 02:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# table, what moved, its parent table, the history's extra columns
MOVES = (
    ('batch_branch_moves', 'batch_id', 'flexible_batches',
     (('students_moved', sa.Integer(), sa.text('0')),
      ('sessions_moved', sa.Integer(), sa.text('0')))),
    ('faculty_branch_moves', 'faculty_id', 'faculties',
     (('kept_old', sa.Boolean(), sa.false()),)),
)


def upgrade() -> None:
    for table, owner, parent, extra in MOVES:
        op.create_table(
            table,
            sa.Column('id', sa.Uuid(), nullable=False),
            sa.Column('created_at', sa.DateTime(timezone=True),
                      server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
            sa.Column('updated_at', sa.DateTime(timezone=True),
                      server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
            sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
            sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
            sa.Column(owner, sa.Uuid(), nullable=False),
            sa.Column('from_branch_id', sa.Uuid(), nullable=True),
            sa.Column('to_branch_id', sa.Uuid(), nullable=False),
            sa.Column('moved_on', sa.Date(), nullable=False),
            sa.Column('moved_by', sa.Uuid(), nullable=True),
            sa.Column('reason', sa.Text(), nullable=True),
            *(sa.Column(name, kind, server_default=default, nullable=False)
              for name, kind, default in extra),
            sa.CheckConstraint('to_branch_id <> from_branch_id',
                               name=op.f(f'ck_{table}_to_branch_id_not_from_branch_id')),
            sa.ForeignKeyConstraint([owner], [f'{parent}.id'], name=op.f(f'fk_{table}_{owner}'),
                                    ondelete='CASCADE'),
            sa.ForeignKeyConstraint(['from_branch_id'], ['branches.id'],
                                    name=op.f(f'fk_{table}_from_branch_id')),
            sa.ForeignKeyConstraint(['to_branch_id'], ['branches.id'],
                                    name=op.f(f'fk_{table}_to_branch_id')),
            sa.ForeignKeyConstraint(['moved_by'], ['users.id'],
                                    name=op.f(f'fk_{table}_moved_by')),
            sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f'ix_{table}_{owner}', [owner], unique=False)
            batch_op.create_index(batch_op.f(f'ix_{table}_version'), ['version'], unique=False)


def downgrade() -> None:
    for table, owner, _parent, _extra in reversed(MOVES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{table}_{owner}')
            batch_op.drop_index(batch_op.f(f'ix_{table}_version'))
        op.drop_table(table)
