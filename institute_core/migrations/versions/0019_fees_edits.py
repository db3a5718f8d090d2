"""Fees: an admin corrects or deletes a mistaken expense or salary payment (issue 18).

- `expenses.deleted_reason` and `salary_payments.deleted_reason`: why an admin deleted the row
  (a soft delete, as every synced row's); the audit log keeps it with who deleted it and when.
  Receipts are not touched: they are facts, corrected by a cancellation or a credit note.

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


def upgrade() -> None:
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
