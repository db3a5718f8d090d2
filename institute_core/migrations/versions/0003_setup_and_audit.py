"""Institute setup and the audit trail (issue 5): audit log and the tables setup needs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def _synced_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True),
                  server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True),
                  server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        'import_runs',
        *_synced_columns(),
        sa.Column('user_id', sa.Uuid(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('file_name', sa.String(length=500), nullable=False),
        sa.Column('rows_created', sa.Integer(), server_default='0', nullable=False),
        sa.Column('rows_updated', sa.Integer(), server_default='0', nullable=False),
        sa.Column('rows_unchanged', sa.Integer(), server_default='0', nullable=False),
        sa.Column('status', sa.String(length=20), server_default='applied', nullable=False),
        sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IS NULL OR kind IN ('students', 'faculty', 'subjects', 'inquiries')",
            name=op.f('ck_import_runs_kind_allowed')),
        sa.CheckConstraint("status IS NULL OR status IN ('applied', 'undone')",
                           name=op.f('ck_import_runs_status_allowed')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_import_runs_user_id')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs')),
    )
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_runs_version'), ['version'], unique=False)

    op.create_table(
        'enrollment_faculty_moves',
        *_synced_columns(),
        sa.Column('enrollment_id', sa.Uuid(), nullable=False),
        sa.Column('from_faculty_id', sa.Uuid(), nullable=True),
        sa.Column('to_faculty_id', sa.Uuid(), nullable=False),
        sa.Column('moved_on', sa.Date(), nullable=False),
        sa.Column('moved_by', sa.Uuid(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['enrollment_id'], ['student_subject_enrollments.id'],
                                name=op.f('fk_enrollment_faculty_moves_enrollment_id'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['from_faculty_id'], ['faculties.id'],
                                name=op.f('fk_enrollment_faculty_moves_from_faculty_id')),
        sa.ForeignKeyConstraint(['to_faculty_id'], ['faculties.id'],
                                name=op.f('fk_enrollment_faculty_moves_to_faculty_id')),
        sa.ForeignKeyConstraint(['moved_by'], ['users.id'],
                                name=op.f('fk_enrollment_faculty_moves_moved_by')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_enrollment_faculty_moves')),
    )
    with op.batch_alter_table('enrollment_faculty_moves', schema=None) as batch_op:
        batch_op.create_index('ix_enrollment_faculty_moves_enrollment_id', ['enrollment_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_enrollment_faculty_moves_version'), ['version'],
                              unique=False)

    op.create_table(
        'password_resets',
        *_synced_columns(),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('reset_by', sa.Uuid(), nullable=True),
        sa.Column('verifier', sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_password_resets_user_id'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['reset_by'], ['users.id'],
                                name=op.f('fk_password_resets_reset_by')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_password_resets')),
    )
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.create_index('ix_password_resets_user_id', ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_password_resets_version'), ['version'],
                              unique=False)

    op.create_table(
        'audit_log',
        *_synced_columns(),
        sa.Column('user_id', sa.Uuid(), nullable=True),
        sa.Column('device_id', sa.Uuid(), nullable=True),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('table_name', sa.String(length=64), nullable=False),
        sa.Column('row_id', sa.Uuid(), nullable=True),
        sa.Column('old_values', _JSON, nullable=True),
        sa.Column('new_values', _JSON, nullable=True),
        sa.Column('import_id', sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "action IS NULL OR action IN ('create', 'update', 'delete', 'restore', 'login', "
            "'import', 'undo_import')",
            name=op.f('ck_audit_log_action_allowed')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_user_id', ['user_id'], unique=False)
        batch_op.create_index('ix_audit_log_table_name_row_id', ['table_name', 'row_id'],
                              unique=False)
        batch_op.create_index('ix_audit_log_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_audit_log_action', ['action'], unique=False)
        batch_op.create_index('ix_audit_log_import_id', ['import_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_version'), ['version'], unique=False)


def downgrade() -> None:
    op.drop_table('audit_log')
    op.drop_table('password_resets')
    op.drop_table('enrollment_faculty_moves')
    op.drop_table('import_runs')
