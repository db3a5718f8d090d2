"""Portal sessions, guardian sign-in codes, certificate templates and certificates (issue 20).

Server tables (they exist, empty, on replicas too, like auth_sessions): a portal sign-in's
hashed cookie, expiry, revocation and CSRF token; an administrator's one-time guardian codes.
Synced tables: certificate templates and the certificates issued from them.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 21:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def _synced_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        'certificate_templates',
        *_synced_columns(),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('signatures', sa.Text(), nullable=True),
        sa.Column('logo_path', sa.String(length=500), nullable=True),
        sa.Column('layout', sa.String(length=20), server_default='landscape', nullable=False),
        sa.Column('subject_id', sa.Uuid(), nullable=True),
        sa.Column('auto_issue', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('min_attendance_pct', sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column('min_grade_pct', sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.CheckConstraint("layout IS NULL OR layout IN ('landscape', 'portrait')",
                           name=op.f('ck_certificate_templates_layout_allowed')),
        sa.CheckConstraint('min_attendance_pct IS NULL OR (min_attendance_pct >= 0 AND min_attendance_pct <= 100)',
                           name=op.f('ck_certificate_templates_min_attendance_pct_range')),
        sa.CheckConstraint('min_grade_pct IS NULL OR (min_grade_pct >= 0 AND min_grade_pct <= 100)',
                           name=op.f('ck_certificate_templates_min_grade_pct_range')),
        sa.CheckConstraint("name IS NULL OR length(trim(name)) > 0", name=op.f('ck_certificate_templates_name_not_blank')),
        sa.CheckConstraint("title IS NULL OR length(trim(title)) > 0", name=op.f('ck_certificate_templates_title_not_blank')),
        sa.CheckConstraint("body IS NULL OR length(trim(body)) > 0", name=op.f('ck_certificate_templates_body_not_blank')),
        sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'],
                                name=op.f('fk_certificate_templates_subject_id'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_templates')),
    )
    op.create_index(op.f('ix_certificate_templates_version'), 'certificate_templates', ['version'])
    op.create_table(
        'certificates',
        *_synced_columns(),
        sa.Column('template_id', sa.Uuid(), nullable=False),
        sa.Column('student_id', sa.Uuid(), nullable=False),
        sa.Column('enrollment_id', sa.Uuid(), nullable=True),
        sa.Column('certificate_number', sa.String(length=100), nullable=False),
        sa.Column('verification_token', sa.String(length=64), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('issued_by', sa.Uuid(), nullable=False),
        sa.Column('student_name', sa.String(length=200), nullable=False),
        sa.Column('course_name', sa.String(length=200), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_reason', sa.Text(), nullable=True),
        sa.CheckConstraint("certificate_number IS NULL OR length(trim(certificate_number)) > 0",
                           name=op.f('ck_certificates_certificate_number_not_blank')),
        sa.CheckConstraint("student_name IS NULL OR length(trim(student_name)) > 0", name=op.f('ck_certificates_student_name_not_blank')),
        sa.CheckConstraint("course_name IS NULL OR length(trim(course_name)) > 0", name=op.f('ck_certificates_course_name_not_blank')),
        sa.ForeignKeyConstraint(['template_id'], ['certificate_templates.id'],
                                name=op.f('fk_certificates_template_id')),
        sa.ForeignKeyConstraint(['student_id'], ['students.id'],
                                name=op.f('fk_certificates_student_id'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['enrollment_id'], ['student_subject_enrollments.id'],
                                name=op.f('fk_certificates_enrollment_id'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['issued_by'], ['users.id'], name=op.f('fk_certificates_issued_by')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
        sa.UniqueConstraint('certificate_number', name=op.f('uq_certificates_certificate_number')),
        sa.UniqueConstraint('verification_token', name=op.f('uq_certificates_verification_token')),
    )
    op.create_index(op.f('ix_certificates_version'), 'certificates', ['version'])
    op.create_index('ix_certificates_student_id', 'certificates', ['student_id'])
    op.create_index('ix_certificates_enrollment_id', 'certificates', ['enrollment_id'])
    op.create_table(
        'portal_sessions',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=True),
        sa.Column('student_id', sa.Uuid(), nullable=True),
        sa.Column('csrf_token', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['student_id'], ['students.id'],
                                name=op.f('fk_portal_sessions_student_id'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_portal_sessions_user_id'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_sessions')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_portal_sessions_token_hash')),
    )
    op.create_index('ix_portal_sessions_user_id', 'portal_sessions', ['user_id'], unique=False)
    op.create_table(
        'portal_sign_in_codes',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('student_id', sa.Uuid(), nullable=False),
        sa.Column('created_by', sa.Uuid(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'],
                                name=op.f('fk_portal_sign_in_codes_created_by'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['student_id'], ['students.id'],
                                name=op.f('fk_portal_sign_in_codes_student_id'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_sign_in_codes')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_portal_sign_in_codes_code_hash')),
    )
    op.create_index('ix_portal_sign_in_codes_student_id', 'portal_sign_in_codes',
                    ['student_id'], unique=False)


def downgrade() -> None:
    op.drop_table('certificates')
    op.drop_table('certificate_templates')
    op.drop_index('ix_portal_sign_in_codes_student_id', table_name='portal_sign_in_codes')
    op.drop_table('portal_sign_in_codes')
    op.drop_index('ix_portal_sessions_user_id', table_name='portal_sessions')
    op.drop_table('portal_sessions')
