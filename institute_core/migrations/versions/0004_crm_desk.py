"""Counselor desk (issue 6): what the inquiry CRM, feedback and rewards need beyond seed 000.

Inquiries get a normalized phone for duplicate checks, a lost reason, the record of a merge and
the link to the student they became; feedback its sentiment score, anonymity and action note;
rewards and penalties their appeal.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 11:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('crm_inquiries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_normalized', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('lost_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('merged_into_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('merged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('student_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('converted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_crm_inquiries_student_id'), 'students',
                                    ['student_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_crm_inquiries_phone_normalized', ['phone_normalized'],
                              unique=False)

    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_anonymous', sa.Boolean(), server_default=sa.false(),
                                      nullable=True))
        batch_op.add_column(sa.Column('sentiment_score', sa.Numeric(precision=5, scale=4),
                                      nullable=True))
        batch_op.add_column(sa.Column('action_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_feedback_sentiment_score_range'),
            'sentiment_score IS NULL OR (sentiment_score >= -1 AND sentiment_score <= 1)')

    with op.batch_alter_table('rewards_penalties', schema=None) as batch_op:
        batch_op.add_column(sa.Column('appeal_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('appeal_accepted', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('appeal_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rewards_penalties', schema=None) as batch_op:
        batch_op.drop_column('resolved_at')
        batch_op.drop_column('appeal_note')
        batch_op.drop_column('appeal_accepted')
        batch_op.drop_column('appeal_reason')

    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_feedback_sentiment_score_range'), type_='check')
        batch_op.drop_column('resolved_at')
        batch_op.drop_column('action_note')
        batch_op.drop_column('sentiment_score')
        batch_op.drop_column('is_anonymous')

    with op.batch_alter_table('crm_inquiries', schema=None) as batch_op:
        batch_op.drop_index('ix_crm_inquiries_phone_normalized')
        batch_op.drop_constraint(batch_op.f('fk_crm_inquiries_student_id'), type_='foreignkey')
        batch_op.drop_column('converted_at')
        batch_op.drop_column('student_id')
        batch_op.drop_column('merged_at')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('lost_reason')
        batch_op.drop_column('phone_normalized')
