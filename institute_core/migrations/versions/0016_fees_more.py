"""Fees per branch, discount approval and money out (issue 18).

- `branches` gets its fee settings: the state it is registered in for GST, how new fee heads
  price GST (mode and rate), and the limits above which a counselor's discount waits for an
  admin (a percentage of the fee, an amount, or both; none: no limit). Its GSTIN is already
  there (0009).
- `fee_heads.branch_id`: fee structures are per branch (the heads before this version: the
  main branch's).
- `payments.branch_id` and `refunds.branch_id`: where the money was taken or paid out, so a
  student who moves keeps their old receipts in the old branch's reports; the rows before this
  version get their student's branch.
- `expenses.branch_id` and `salary_payments.branch_id`: whose money it was (the rows before this
  version, and the fee heads: the main branch, where everything lived).
- `fee_discounts.approved_at`: when an admin decided.
- `fee_follow_ups`: a defaulter to call (or visit) by a time, and the outcome.

Every database (server and replicas) fills the new columns the same way, so they agree without
a sync.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 02:10:00
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

MAIN_BRANCH_ID = uuid.UUID("3b0c5a0e-9d1f-5e7a-8c2b-000000000001")
BRANCHED = ('fee_heads', 'payments', 'refunds', 'expenses', 'salary_payments')


def upgrade() -> None:
    with op.batch_alter_table('branches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gst_state', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('gst_mode', sa.String(length=20), server_default='none',
                                      nullable=False))
        batch_op.add_column(sa.Column('gst_rate', sa.Numeric(precision=5, scale=2),
                                      server_default='18', nullable=False))
        batch_op.add_column(sa.Column('discount_limit_percent', sa.Numeric(precision=5, scale=2),
                                      nullable=True))
        batch_op.add_column(sa.Column('discount_limit_amount',
                                      sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_branches_gst_mode_allowed'),
            "gst_mode IS NULL OR gst_mode IN ('none', 'inclusive', 'exclusive')")
        batch_op.create_check_constraint(
            op.f('ck_branches_gst_rate_range'),
            'gst_rate IS NULL OR (gst_rate >= 0 AND gst_rate <= 100)')
        batch_op.create_check_constraint(
            op.f('ck_branches_discount_limit_percent_range'),
            'discount_limit_percent IS NULL OR (discount_limit_percent >= 0 '
            'AND discount_limit_percent <= 100)')
        batch_op.create_check_constraint(
            op.f('ck_branches_discount_limit_amount_range'),
            'discount_limit_amount IS NULL OR (discount_limit_amount >= 0)')

    for name in BRANCHED:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('branch_id', sa.Uuid(), nullable=True))
            batch_op.create_foreign_key(batch_op.f(f'fk_{name}_branch_id'), 'branches',
                                        ['branch_id'], ['id'], ondelete='CASCADE')
    bind = op.get_bind()
    for name in ('payments', 'refunds'):
        bind.execute(sa.text(
            f"UPDATE {name} SET branch_id = (SELECT s.branch_id FROM students s "
            f"WHERE s.id = {name}.student_id)"))
    for name in ('fee_heads', 'expenses', 'salary_payments'):
        table = sa.table(name, sa.column('branch_id', sa.Uuid()))
        bind.execute(table.update().values(branch_id=MAIN_BRANCH_ID))

    with op.batch_alter_table('fee_discounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('fee_follow_ups',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=False),
    sa.Column('counselor_id', sa.Uuid(), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=20), server_default='call', nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='pending', nullable=False),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("kind IS NULL OR kind IN ('call', 'email', 'visit', 'sms', 'whatsapp')", name=op.f('ck_fee_follow_ups_kind_allowed')),
    sa.CheckConstraint("status IS NULL OR status IN ('completed', 'pending', 'missed')", name=op.f('ck_fee_follow_ups_status_allowed')),
    sa.ForeignKeyConstraint(['counselor_id'], ['users.id'], name=op.f('fk_fee_follow_ups_counselor_id'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_fee_follow_ups_created_by'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_fee_follow_ups_student_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_follow_ups'))
    )
    with op.batch_alter_table('fee_follow_ups', schema=None) as batch_op:
        batch_op.create_index('ix_fee_follow_ups_due_at', ['due_at'], unique=False)
        batch_op.create_index('ix_fee_follow_ups_student_id', ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fee_follow_ups_version'), ['version'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('fee_follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fee_follow_ups_version'))
        batch_op.drop_index('ix_fee_follow_ups_student_id')
        batch_op.drop_index('ix_fee_follow_ups_due_at')
    op.drop_table('fee_follow_ups')
    with op.batch_alter_table('fee_discounts', schema=None) as batch_op:
        batch_op.drop_column('approved_at')
    for name in reversed(BRANCHED):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{name}_branch_id'), type_='foreignkey')
            batch_op.drop_column('branch_id')
    with op.batch_alter_table('branches', schema=None) as batch_op:
        for check in ('discount_limit_amount_range', 'discount_limit_percent_range',
                      'gst_rate_range', 'gst_mode_allowed'):
            batch_op.drop_constraint(op.f(f'ck_branches_{check}'), type_='check')
        for column in ('discount_limit_amount', 'discount_limit_percent', 'gst_rate',
                       'gst_mode', 'gst_state'):
            batch_op.drop_column(column)
