"""Fees: an admin corrects or deletes a mistaken expense or salary payment (issue 18).

- `expenses.deleted_reason` and `salary_payments.deleted_reason`: why an admin deleted the row
  (a soft delete, as every synced row's); the audit log keeps it with who deleted it and when.
  Receipts are not touched: they are facts, corrected by a cancellation or a credit note.
- `fee_heads.instalments` and the `instalments` frequency: a fee head (a subject's default or a
  batch's override) may be paid in N instalments, as well as once or monthly.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 05:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

TABLES = ('expenses', 'salary_payments')


FREQUENCIES_BEFORE = "frequency IS NULL OR frequency IN ('one_time', 'monthly')"
FREQUENCIES = "frequency IS NULL OR frequency IN ('one_time', 'monthly', 'instalments')"


def upgrade() -> None:
    with op.batch_alter_table('fee_heads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('instalments', sa.Integer(), nullable=True))
        batch_op.drop_constraint(op.f('ck_fee_heads_frequency_allowed'), type_='check')
        batch_op.create_check_constraint(op.f('ck_fee_heads_frequency_allowed'), FREQUENCIES)
        batch_op.create_check_constraint(
            op.f('ck_fee_heads_instalments_range'),
            'instalments IS NULL OR (instalments >= 1 AND instalments <= 60)')
    for name in TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('deleted_reason', sa.Text(), nullable=True))
            batch_op.create_check_constraint(
                op.f(f'ck_{name}_deleted_reason_not_blank'),
                'deleted_reason IS NULL OR length(trim(deleted_reason)) > 0')


def downgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{name}_deleted_reason_not_blank'), type_='check')
            batch_op.drop_column('deleted_reason')
    # A head paid in instalments had no way to say so before: it becomes a one-time head.
    op.execute("UPDATE fee_heads SET frequency = 'one_time' WHERE frequency = 'instalments'")
    with op.batch_alter_table('fee_heads', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_fee_heads_instalments_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_fee_heads_frequency_allowed'), type_='check')
        batch_op.create_check_constraint(op.f('ck_fee_heads_frequency_allowed'),
                                         FREQUENCIES_BEFORE)
        batch_op.drop_column('instalments')
