"""Fees, payments and receipts (issue 18), and each device's series of document numbers.

Ten synced tables (docs/schema.md, "Fees"): fee heads, fee plans with their instalments and
discounts, payments with their allocations and later events (cheque steps, cancellation),
refunds (credit notes), expenses and salary payments. `sync_devices.series_code` gives every
registered device a short code of its own ("D07") for receipt and credit-note numbers; on
PostgreSQL a sequence hands them out and the devices registered before this version get theirs
here.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 21:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

SERIES_SEQUENCE = 'sync_device_series'


def upgrade() -> None:
    op.create_table('expenses',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('spent_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('entered_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("category IS NULL OR category IN ('rent', 'utilities', 'marketing', 'supplies', 'maintenance', 'other')", name=op.f('ck_expenses_category_allowed')),
    sa.CheckConstraint('amount IS NULL OR amount > 0', name=op.f('ck_expenses_amount_positive')),
    sa.ForeignKeyConstraint(['entered_by'], ['users.id'], name=op.f('fk_expenses_entered_by'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expenses'))
    )
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.create_index('ix_expenses_spent_on', ['spent_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_expenses_version'), ['version'], unique=False)

    op.create_table('salary_payments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('basis', sa.String(length=20), server_default='fixed', nullable=False),
    sa.Column('hours', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.Column('rate', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('entered_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("basis IS NULL OR basis IN ('fixed', 'hourly')", name=op.f('ck_salary_payments_basis_allowed')),
    sa.CheckConstraint('amount IS NULL OR amount > 0', name=op.f('ck_salary_payments_amount_positive')),
    sa.CheckConstraint('hours IS NULL OR (hours >= 0)', name=op.f('ck_salary_payments_hours_range')),
    sa.CheckConstraint('rate IS NULL OR (rate >= 0)', name=op.f('ck_salary_payments_rate_range')),
    sa.ForeignKeyConstraint(['entered_by'], ['users.id'], name=op.f('fk_salary_payments_entered_by'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_salary_payments_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_salary_payments'))
    )
    with op.batch_alter_table('salary_payments', schema=None) as batch_op:
        batch_op.create_index('ix_salary_payments_paid_on', ['paid_on'], unique=False)
        batch_op.create_index('ix_salary_payments_user_id', ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_salary_payments_version'), ['version'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=False),
    sa.Column('receipt_no', sa.String(length=32), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=True),
    sa.Column('card_last4', sa.String(length=4), nullable=True),
    sa.Column('bank', sa.String(length=100), nullable=True),
    sa.Column('instrument_date', sa.Date(), nullable=True),
    sa.Column('taxable', sa.Numeric(precision=12, scale=2), server_default='0', nullable=False),
    sa.Column('cgst', sa.Numeric(precision=12, scale=2), server_default='0', nullable=False),
    sa.Column('sgst', sa.Numeric(precision=12, scale=2), server_default='0', nullable=False),
    sa.Column('igst', sa.Numeric(precision=12, scale=2), server_default='0', nullable=False),
    sa.Column('received_by', sa.Uuid(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("mode IS NULL OR mode IN ('cash', 'upi', 'card', 'cheque', 'dd', 'bank_transfer')", name=op.f('ck_payments_mode_allowed')),
    sa.CheckConstraint('amount IS NULL OR amount > 0', name=op.f('ck_payments_amount_positive')),
    sa.CheckConstraint('cgst IS NULL OR (cgst >= 0)', name=op.f('ck_payments_cgst_range')),
    sa.CheckConstraint('igst IS NULL OR (igst >= 0)', name=op.f('ck_payments_igst_range')),
    sa.CheckConstraint('receipt_no IS NULL OR length(trim(receipt_no)) > 0', name=op.f('ck_payments_receipt_no_not_blank')),
    sa.CheckConstraint('sgst IS NULL OR (sgst >= 0)', name=op.f('ck_payments_sgst_range')),
    sa.CheckConstraint('taxable IS NULL OR (taxable >= 0)', name=op.f('ck_payments_taxable_range')),
    sa.ForeignKeyConstraint(['received_by'], ['users.id'], name=op.f('fk_payments_received_by'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_payments_student_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('receipt_no', name=op.f('uq_payments_receipt_no'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_paid_on', ['paid_on'], unique=False)
        batch_op.create_index('ix_payments_student_id', ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_version'), ['version'], unique=False)

    op.create_table('fee_heads',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=True),
    sa.Column('batch_id', sa.Uuid(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), server_default='course', nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('frequency', sa.String(length=20), server_default='one_time', nullable=False),
    sa.Column('gst_mode', sa.String(length=20), server_default='none', nullable=False),
    sa.Column('gst_rate', sa.Numeric(precision=5, scale=2), server_default='0', nullable=False),
    sa.Column('status', sa.String(length=20), server_default='active', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("frequency IS NULL OR frequency IN ('one_time', 'monthly')", name=op.f('ck_fee_heads_frequency_allowed')),
    sa.CheckConstraint("gst_mode IS NULL OR gst_mode IN ('none', 'inclusive', 'exclusive')", name=op.f('ck_fee_heads_gst_mode_allowed')),
    sa.CheckConstraint("kind IS NULL OR kind IN ('course', 'registration', 'exam', 'material', 'other')", name=op.f('ck_fee_heads_kind_allowed')),
    sa.CheckConstraint("status IS NULL OR status IN ('active', 'inactive')", name=op.f('ck_fee_heads_status_allowed')),
    sa.CheckConstraint('amount IS NULL OR (amount >= 0)', name=op.f('ck_fee_heads_amount_range')),
    sa.CheckConstraint('gst_rate IS NULL OR (gst_rate >= 0 AND gst_rate <= 100)', name=op.f('ck_fee_heads_gst_rate_range')),
    sa.CheckConstraint('name IS NULL OR length(trim(name)) > 0', name=op.f('ck_fee_heads_name_not_blank')),
    sa.ForeignKeyConstraint(['batch_id'], ['flexible_batches.id'], name=op.f('fk_fee_heads_batch_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_fee_heads_subject_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_heads'))
    )
    with op.batch_alter_table('fee_heads', schema=None) as batch_op:
        batch_op.create_index('ix_fee_heads_batch_id', ['batch_id'], unique=False)
        batch_op.create_index('ix_fee_heads_subject_id', ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fee_heads_version'), ['version'], unique=False)

    op.create_table('payment_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('payment_id', sa.Uuid(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("kind IS NULL OR kind IN ('deposited', 'cleared', 'bounced', 'cancelled')", name=op.f('ck_payment_events_kind_allowed')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_events_payment_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_payment_events_recorded_by'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_payment_events_student_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_events'))
    )
    with op.batch_alter_table('payment_events', schema=None) as batch_op:
        batch_op.create_index('ix_payment_events_payment_id', ['payment_id'], unique=False)
        batch_op.create_index('ix_payment_events_student_id', ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_events_version'), ['version'], unique=False)

    op.create_table('refunds',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=False),
    sa.Column('payment_id', sa.Uuid(), nullable=True),
    sa.Column('credit_note_no', sa.String(length=32), nullable=False),
    sa.Column('refunded_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('refunded_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("mode IS NULL OR mode IN ('cash', 'upi', 'card', 'cheque', 'dd', 'bank_transfer')", name=op.f('ck_refunds_mode_allowed')),
    sa.CheckConstraint('amount IS NULL OR amount > 0', name=op.f('ck_refunds_amount_positive')),
    sa.CheckConstraint('credit_note_no IS NULL OR length(trim(credit_note_no)) > 0', name=op.f('ck_refunds_credit_note_no_not_blank')),
    sa.CheckConstraint('reason IS NULL OR length(trim(reason)) > 0', name=op.f('ck_refunds_reason_not_blank')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_refunds_payment_id'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['refunded_by'], ['users.id'], name=op.f('fk_refunds_refunded_by'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_refunds_student_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds')),
    sa.UniqueConstraint('credit_note_no', name=op.f('uq_refunds_credit_note_no'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index('ix_refunds_student_id', ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refunds_version'), ['version'], unique=False)

    op.create_table('fee_plans',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=False),
    sa.Column('enrollment_id', sa.Uuid(), nullable=True),
    sa.Column('fee_head_id', sa.Uuid(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), server_default='one_time', nullable=False),
    sa.Column('total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('gst_mode', sa.String(length=20), server_default='none', nullable=False),
    sa.Column('gst_rate', sa.Numeric(precision=5, scale=2), server_default='0', nullable=False),
    sa.Column('inter_state', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("gst_mode IS NULL OR gst_mode IN ('none', 'inclusive', 'exclusive')", name=op.f('ck_fee_plans_gst_mode_allowed')),
    sa.CheckConstraint("kind IS NULL OR kind IN ('one_time', 'monthly', 'instalments')", name=op.f('ck_fee_plans_kind_allowed')),
    sa.CheckConstraint('gst_rate IS NULL OR (gst_rate >= 0 AND gst_rate <= 100)', name=op.f('ck_fee_plans_gst_rate_range')),
    sa.CheckConstraint('name IS NULL OR length(trim(name)) > 0', name=op.f('ck_fee_plans_name_not_blank')),
    sa.CheckConstraint('total IS NULL OR (total >= 0)', name=op.f('ck_fee_plans_total_range')),
    sa.ForeignKeyConstraint(['enrollment_id'], ['student_subject_enrollments.id'], name=op.f('fk_fee_plans_enrollment_id'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['fee_head_id'], ['fee_heads.id'], name=op.f('fk_fee_plans_fee_head_id'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_fee_plans_student_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_plans'))
    )
    with op.batch_alter_table('fee_plans', schema=None) as batch_op:
        batch_op.create_index('ix_fee_plans_enrollment_id', ['enrollment_id'], unique=False)
        batch_op.create_index('ix_fee_plans_student_id', ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fee_plans_version'), ['version'], unique=False)

    op.create_table('fee_discounts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('plan_id', sa.Uuid(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('value', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='pending', nullable=False),
    sa.Column('requested_by', sa.Uuid(), nullable=True),
    sa.Column('approved_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("kind IS NULL OR kind IN ('percentage', 'fixed')", name=op.f('ck_fee_discounts_kind_allowed')),
    sa.CheckConstraint("reason IS NULL OR reason IN ('scholarship', 'sibling', 'early_bird', 'referral', 'staff', 'other')", name=op.f('ck_fee_discounts_reason_allowed')),
    sa.CheckConstraint("status IS NULL OR status IN ('pending', 'approved', 'rejected')", name=op.f('ck_fee_discounts_status_allowed')),
    sa.CheckConstraint('amount IS NULL OR (amount >= 0)', name=op.f('ck_fee_discounts_amount_range')),
    sa.CheckConstraint('value IS NULL OR (value >= 0)', name=op.f('ck_fee_discounts_value_range')),
    sa.ForeignKeyConstraint(['approved_by'], ['users.id'], name=op.f('fk_fee_discounts_approved_by'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_id'], ['fee_plans.id'], name=op.f('fk_fee_discounts_plan_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by'], ['users.id'], name=op.f('fk_fee_discounts_requested_by'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_fee_discounts_student_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_discounts'))
    )
    with op.batch_alter_table('fee_discounts', schema=None) as batch_op:
        batch_op.create_index('ix_fee_discounts_plan_id', ['plan_id'], unique=False)
        batch_op.create_index('ix_fee_discounts_student_id', ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fee_discounts_version'), ['version'], unique=False)

    op.create_table('fee_instalments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('plan_id', sa.Uuid(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint('amount IS NULL OR (amount >= 0)', name=op.f('ck_fee_instalments_amount_range')),
    sa.CheckConstraint('number IS NULL OR number > 0', name=op.f('ck_fee_instalments_number_positive')),
    sa.ForeignKeyConstraint(['plan_id'], ['fee_plans.id'], name=op.f('fk_fee_instalments_plan_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_fee_instalments_student_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_instalments')),
    sa.UniqueConstraint('plan_id', 'number', name=op.f('uq_fee_instalments_plan_id_number'))
    )
    with op.batch_alter_table('fee_instalments', schema=None) as batch_op:
        batch_op.create_index('ix_fee_instalments_due_on', ['due_on'], unique=False)
        batch_op.create_index('ix_fee_instalments_student_id', ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fee_instalments_version'), ['version'], unique=False)

    op.create_table('payment_allocations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('payment_id', sa.Uuid(), nullable=False),
    sa.Column('instalment_id', sa.Uuid(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint('amount IS NULL OR amount > 0', name=op.f('ck_payment_allocations_amount_positive')),
    sa.ForeignKeyConstraint(['instalment_id'], ['fee_instalments.id'], name=op.f('fk_payment_allocations_instalment_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_allocations_payment_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_payment_allocations_student_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_allocations'))
    )
    with op.batch_alter_table('payment_allocations', schema=None) as batch_op:
        batch_op.create_index('ix_payment_allocations_instalment_id', ['instalment_id'], unique=False)
        batch_op.create_index('ix_payment_allocations_payment_id', ['payment_id'], unique=False)
        batch_op.create_index('ix_payment_allocations_student_id', ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_allocations_version'), ['version'], unique=False)

    with op.batch_alter_table('sync_devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_code', sa.String(length=8), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_sync_devices_series_code'),
                                          ['series_code'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(sa.text(f'CREATE SEQUENCE IF NOT EXISTS {SERIES_SEQUENCE} START 1'))
        # Devices registered before: a code each, in the order they registered.
        op.execute(sa.text(
            "UPDATE sync_devices SET series_code = "
            "'D' || CASE WHEN n < 10 THEN '0' ELSE '' END || n::text "
            "FROM (SELECT device_id AS d, nextval('" + SERIES_SEQUENCE + "') AS n "
            "FROM (SELECT device_id FROM sync_devices ORDER BY registered_at, device_id) o) s "
            "WHERE sync_devices.device_id = s.d"))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(sa.text(f'DROP SEQUENCE IF EXISTS {SERIES_SEQUENCE}'))
    with op.batch_alter_table('sync_devices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_sync_devices_series_code'), type_='unique')
        batch_op.drop_column('series_code')

    with op.batch_alter_table('payment_allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_allocations_version'))
        batch_op.drop_index('ix_payment_allocations_student_id')
        batch_op.drop_index('ix_payment_allocations_payment_id')
        batch_op.drop_index('ix_payment_allocations_instalment_id')

    op.drop_table('payment_allocations')
    with op.batch_alter_table('fee_instalments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fee_instalments_version'))
        batch_op.drop_index('ix_fee_instalments_student_id')
        batch_op.drop_index('ix_fee_instalments_due_on')

    op.drop_table('fee_instalments')
    with op.batch_alter_table('fee_discounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fee_discounts_version'))
        batch_op.drop_index('ix_fee_discounts_student_id')
        batch_op.drop_index('ix_fee_discounts_plan_id')

    op.drop_table('fee_discounts')
    with op.batch_alter_table('fee_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fee_plans_version'))
        batch_op.drop_index('ix_fee_plans_student_id')
        batch_op.drop_index('ix_fee_plans_enrollment_id')

    op.drop_table('fee_plans')
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refunds_version'))
        batch_op.drop_index('ix_refunds_student_id')

    op.drop_table('refunds')
    with op.batch_alter_table('payment_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_events_version'))
        batch_op.drop_index('ix_payment_events_student_id')
        batch_op.drop_index('ix_payment_events_payment_id')

    op.drop_table('payment_events')
    with op.batch_alter_table('fee_heads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fee_heads_version'))
        batch_op.drop_index('ix_fee_heads_subject_id')
        batch_op.drop_index('ix_fee_heads_batch_id')

    op.drop_table('fee_heads')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_version'))
        batch_op.drop_index('ix_payments_student_id')
        batch_op.drop_index('ix_payments_paid_on')

    op.drop_table('payments')
    with op.batch_alter_table('salary_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_salary_payments_version'))
        batch_op.drop_index('ix_salary_payments_user_id')
        batch_op.drop_index('ix_salary_payments_paid_on')

    op.drop_table('salary_payments')
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expenses_version'))
        batch_op.drop_index('ix_expenses_spent_on')

    op.drop_table('expenses')
