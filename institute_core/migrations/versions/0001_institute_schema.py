"""The institute schema of seed 000 (with the documented deviations) and sync bookkeeping.

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 10:39:29.344440
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('local_credentials',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('verifier', sa.String(length=255), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_local_credentials')),
    sa.UniqueConstraint('email', name=op.f('uq_local_credentials_email'))
    )
    op.create_table('subjects',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('duration_hours', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=True),
    sa.Column('difficulty_level', sa.String(length=20), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='active', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("difficulty_level IS NULL OR difficulty_level IN ('beginner', 'intermediate', 'advanced')", name=op.f('ck_subjects_difficulty_level_allowed')),
    sa.CheckConstraint("status IS NULL OR status IN ('active', 'inactive')", name=op.f('ck_subjects_status_allowed')),
    sa.CheckConstraint('code IS NULL OR length(trim(code)) > 0', name=op.f('ck_subjects_code_not_blank')),
    sa.CheckConstraint('duration_hours IS NULL OR duration_hours > 0', name=op.f('ck_subjects_duration_hours_positive')),
    sa.CheckConstraint('name IS NULL OR length(trim(name)) > 0', name=op.f('ck_subjects_name_not_blank')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subjects')),
    sa.UniqueConstraint('code', name=op.f('uq_subjects_code'))
    )
    with op.batch_alter_table('subjects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subjects_version'), ['version'], unique=False)

    op.create_table('sync_conflicts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('row_id', sa.Uuid(), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('kept_value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('lost_value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('kept_by', sa.Uuid(), nullable=True),
    sa.Column('lost_by', sa.Uuid(), nullable=True),
    sa.Column('kept_hlc', sa.String(length=128), nullable=True),
    sa.Column('lost_hlc', sa.String(length=128), nullable=True),
    sa.Column('kept_device', sa.Uuid(), nullable=True),
    sa.Column('lost_device', sa.Uuid(), nullable=True),
    sa.Column('server_version', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.Uuid(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_conflicts'))
    )
    with op.batch_alter_table('sync_conflicts', schema=None) as batch_op:
        batch_op.create_index('ix_sync_conflicts_server_version', ['server_version'], unique=False)
        batch_op.create_index('ix_sync_conflicts_table_name_row_id', ['table_name', 'row_id'], unique=False)

    op.create_table('sync_outbox',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('change_id', sa.Uuid(), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('row_id', sa.Uuid(), nullable=False),
    sa.Column('fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('hlc', sa.String(length=128), nullable=False),
    sa.Column('author_id', sa.Uuid(), nullable=True),
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('base_version', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_sync_outbox')),
    sa.UniqueConstraint('change_id', name=op.f('uq_sync_outbox_change_id'))
    )
    with op.batch_alter_table('sync_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_sync_outbox_table_name_row_id', ['table_name', 'row_id'], unique=False)

    op.create_table('sync_state',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sync_state'))
    )
    op.create_table('users',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('avatar_url', sa.String(length=500), nullable=True),
    sa.Column('role', sa.String(length=50), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='active', nullable=False),
    sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("role IS NULL OR role IN ('super_admin', 'admin', 'counselor', 'faculty', 'student')", name=op.f('ck_users_role_allowed')),
    sa.CheckConstraint("status IS NULL OR status IN ('active', 'inactive', 'suspended')", name=op.f('ck_users_status_allowed')),
    sa.CheckConstraint('email IS NULL OR length(trim(email)) > 0', name=op.f('ck_users_email_not_blank')),
    sa.CheckConstraint('first_name IS NULL OR length(trim(first_name)) > 0', name=op.f('ck_users_first_name_not_blank')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index('ix_users_role', ['role'], unique=False)
        batch_op.create_index('ix_users_status', ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_version'), ['version'], unique=False)

    op.create_table('crm_inquiries',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('counselor_id', sa.Uuid(), nullable=True),
    sa.Column('student_name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('source', sa.String(length=30), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='new', nullable=False),
    sa.Column('priority', sa.String(length=10), server_default='medium', nullable=True),
    sa.Column('next_follow_up_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("priority IS NULL OR priority IN ('low', 'medium', 'high')", name=op.f('ck_crm_inquiries_priority_allowed')),
    sa.CheckConstraint("source IS NULL OR source IN ('website', 'referral', 'walk_in', 'social_media', 'campaign')", name=op.f('ck_crm_inquiries_source_allowed')),
    sa.CheckConstraint("status IS NULL OR status IN ('new', 'contacted', 'follow_up_scheduled', 'enrolled', 'lost')", name=op.f('ck_crm_inquiries_status_allowed')),
    sa.CheckConstraint('student_name IS NULL OR length(trim(student_name)) > 0', name=op.f('ck_crm_inquiries_student_name_not_blank')),
    sa.ForeignKeyConstraint(['counselor_id'], ['users.id'], name=op.f('fk_crm_inquiries_counselor_id'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_inquiries'))
    )
    with op.batch_alter_table('crm_inquiries', schema=None) as batch_op:
        batch_op.create_index('ix_crm_inquiries_counselor_id', ['counselor_id'], unique=False)
        batch_op.create_index('ix_crm_inquiries_status', ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_inquiries_version'), ['version'], unique=False)

    op.create_table('faculties',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('employee_id', sa.String(length=50), nullable=False),
    sa.Column('specialization', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('qualification', sa.Text(), nullable=True),
    sa.Column('experience_years', sa.Numeric(precision=3, scale=1), nullable=True),
    sa.Column('hourly_rate', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('max_hours_per_day', sa.Integer(), server_default='8', nullable=True),
    sa.Column('max_students_per_day', sa.Integer(), server_default='10', nullable=True),
    sa.Column('available_time_slots', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('performance_rating', sa.Numeric(precision=3, scale=2), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='active', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("status IS NULL OR status IN ('active', 'inactive', 'on_leave')", name=op.f('ck_faculties_status_allowed')),
    sa.CheckConstraint('employee_id IS NULL OR length(trim(employee_id)) > 0', name=op.f('ck_faculties_employee_id_not_blank')),
    sa.CheckConstraint('experience_years IS NULL OR (experience_years >= 0 AND experience_years <= 99.9)', name=op.f('ck_faculties_experience_years_range')),
    sa.CheckConstraint('hourly_rate IS NULL OR (hourly_rate >= 0)', name=op.f('ck_faculties_hourly_rate_range')),
    sa.CheckConstraint('max_hours_per_day IS NULL OR (max_hours_per_day >= 1 AND max_hours_per_day <= 24)', name=op.f('ck_faculties_max_hours_per_day_range')),
    sa.CheckConstraint('max_students_per_day IS NULL OR (max_students_per_day >= 1)', name=op.f('ck_faculties_max_students_per_day_range')),
    sa.CheckConstraint('performance_rating IS NULL OR (performance_rating >= 0 AND performance_rating <= 5)', name=op.f('ck_faculties_performance_rating_range')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_faculties_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faculties')),
    sa.UniqueConstraint('employee_id', name=op.f('uq_faculties_employee_id'))
    )
    with op.batch_alter_table('faculties', schema=None) as batch_op:
        batch_op.create_index('ix_faculties_status', ['status'], unique=False)
        batch_op.create_index('ix_faculties_user_id', ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_faculties_version'), ['version'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # Searching faculty by specialization; SQLite has no GIN and scans instead.
        op.create_index('ix_faculties_specialization', 'faculties', ['specialization'],
                        postgresql_using='gin')

    op.create_table('students',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('enrollment_no', sa.String(length=50), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('emergency_contact_name', sa.String(length=100), nullable=True),
    sa.Column('emergency_contact_phone', sa.String(length=20), nullable=True),
    sa.Column('admission_date', sa.Date(), nullable=False),
    sa.Column('counselor_id', sa.Uuid(), nullable=True),
    sa.Column('learning_style', sa.String(length=50), nullable=True),
    sa.Column('preferred_schedule', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='active', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("learning_style IS NULL OR learning_style IN ('visual', 'auditory', 'kinesthetic', 'reading')", name=op.f('ck_students_learning_style_allowed')),
    sa.CheckConstraint("status IS NULL OR status IN ('active', 'completed', 'dropped', 'hold', 'graduated')", name=op.f('ck_students_status_allowed')),
    sa.CheckConstraint('enrollment_no IS NULL OR length(trim(enrollment_no)) > 0', name=op.f('ck_students_enrollment_no_not_blank')),
    sa.ForeignKeyConstraint(['counselor_id'], ['users.id'], name=op.f('fk_students_counselor_id')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_students_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_students')),
    sa.UniqueConstraint('enrollment_no', name=op.f('uq_students_enrollment_no'))
    )
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.create_index('ix_students_admission_date', ['admission_date'], unique=False)
        batch_op.create_index('ix_students_counselor_id', ['counselor_id'], unique=False)
        batch_op.create_index('ix_students_status', ['status'], unique=False)
        batch_op.create_index('ix_students_user_id', ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_students_version'), ['version'], unique=False)

    op.create_table('subject_prerequisites',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('prerequisite_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint('prerequisite_id <> subject_id', name=op.f('ck_subject_prerequisites_prerequisite_id_not_subject_id')),
    sa.ForeignKeyConstraint(['prerequisite_id'], ['subjects.id'], name=op.f('fk_subject_prerequisites_prerequisite_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_subject_prerequisites_subject_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject_prerequisites')),
    sa.UniqueConstraint('subject_id', 'prerequisite_id', name=op.f('uq_subject_prerequisites_subject_id_prerequisite_id'))
    )
    with op.batch_alter_table('subject_prerequisites', schema=None) as batch_op:
        batch_op.create_index('ix_subject_prerequisites_prerequisite_id', ['prerequisite_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subject_prerequisites_version'), ['version'], unique=False)

    op.create_table('topics',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('order_index', sa.Integer(), nullable=False),
    sa.Column('estimated_duration_minutes', sa.Integer(), nullable=False),
    sa.Column('difficulty_level', sa.String(length=20), nullable=True),
    sa.Column('learning_objectives', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('resources', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='active', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("difficulty_level IS NULL OR difficulty_level IN ('easy', 'medium', 'hard')", name=op.f('ck_topics_difficulty_level_allowed')),
    sa.CheckConstraint("status IS NULL OR status IN ('active', 'inactive')", name=op.f('ck_topics_status_allowed')),
    sa.CheckConstraint('estimated_duration_minutes IS NULL OR estimated_duration_minutes > 0', name=op.f('ck_topics_estimated_duration_minutes_positive')),
    sa.CheckConstraint('name IS NULL OR length(trim(name)) > 0', name=op.f('ck_topics_name_not_blank')),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_topics_subject_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topics'))
    )
    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.create_index('ix_topics_subject_id', ['subject_id'], unique=False)
        batch_op.create_index('ix_topics_subject_id_order_index', ['subject_id', 'order_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_topics_version'), ['version'], unique=False)

    op.create_table('assessments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=False),
    sa.Column('topic_id', sa.Uuid(), nullable=True),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('assessment_type', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('total_marks', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('marks_obtained', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('percentage', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('grade', sa.String(length=10), nullable=True),
    sa.Column('assessment_date', sa.Date(), nullable=False),
    sa.Column('faculty_id', sa.Uuid(), nullable=False),
    sa.Column('feedback', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='pending', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("assessment_type IS NULL OR assessment_type IN ('quiz', 'assignment', 'project', 'exam', 'practical')", name=op.f('ck_assessments_assessment_type_allowed')),
    sa.CheckConstraint("status IS NULL OR status IN ('pending', 'completed', 'graded')", name=op.f('ck_assessments_status_allowed')),
    sa.CheckConstraint('marks_obtained IS NULL OR (marks_obtained >= 0)', name=op.f('ck_assessments_marks_obtained_range')),
    sa.CheckConstraint('marks_obtained IS NULL OR total_marks IS NULL OR marks_obtained <= total_marks', name=op.f('ck_assessments_marks_obtained_order')),
    sa.CheckConstraint('percentage IS NULL OR (percentage >= 0 AND percentage <= 100)', name=op.f('ck_assessments_percentage_range')),
    sa.CheckConstraint('title IS NULL OR length(trim(title)) > 0', name=op.f('ck_assessments_title_not_blank')),
    sa.CheckConstraint('total_marks IS NULL OR total_marks > 0', name=op.f('ck_assessments_total_marks_positive')),
    sa.ForeignKeyConstraint(['faculty_id'], ['faculties.id'], name=op.f('fk_assessments_faculty_id')),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_assessments_student_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_assessments_subject_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_assessments_topic_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments'))
    )
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_index('ix_assessments_student_id', ['student_id'], unique=False)
        batch_op.create_index('ix_assessments_subject_id', ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessments_version'), ['version'], unique=False)

    op.create_table('faculty_reports',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('faculty_id', sa.Uuid(), nullable=False),
    sa.Column('report_type', sa.String(length=30), nullable=False),
    sa.Column('report_period_start', sa.Date(), nullable=False),
    sa.Column('report_period_end', sa.Date(), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('generated_by', sa.Uuid(), nullable=False),
    sa.Column('generated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='generated', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("report_type IS NULL OR report_type IN ('performance', 'utilization', 'student_progress', 'time_management')", name=op.f('ck_faculty_reports_report_type_allowed')),
    sa.CheckConstraint("status IS NULL OR status IN ('generated', 'sent', 'viewed')", name=op.f('ck_faculty_reports_status_allowed')),
    sa.CheckConstraint('report_period_start IS NULL OR report_period_end IS NULL OR report_period_start <= report_period_end', name=op.f('ck_faculty_reports_report_period_start_order')),
    sa.ForeignKeyConstraint(['faculty_id'], ['faculties.id'], name=op.f('fk_faculty_reports_faculty_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['generated_by'], ['users.id'], name=op.f('fk_faculty_reports_generated_by')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faculty_reports'))
    )
    with op.batch_alter_table('faculty_reports', schema=None) as batch_op:
        batch_op.create_index('ix_faculty_reports_faculty_id', ['faculty_id'], unique=False)
        batch_op.create_index('ix_faculty_reports_report_type', ['report_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_faculty_reports_version'), ['version'], unique=False)

    op.create_table('flexible_batches',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('faculty_id', sa.Uuid(), nullable=False),
    sa.Column('batch_type', sa.String(length=20), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('schedule', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('max_students', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='active', nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("batch_type IS NULL OR batch_type IN ('temporary', 'workshop', 'project', 'peer_learning')", name=op.f('ck_flexible_batches_batch_type_allowed')),
    sa.CheckConstraint("status IS NULL OR status IN ('active', 'completed', 'cancelled')", name=op.f('ck_flexible_batches_status_allowed')),
    sa.CheckConstraint('max_students IS NULL OR max_students > 0', name=op.f('ck_flexible_batches_max_students_positive')),
    sa.CheckConstraint('name IS NULL OR length(trim(name)) > 0', name=op.f('ck_flexible_batches_name_not_blank')),
    sa.CheckConstraint('start_date IS NULL OR end_date IS NULL OR start_date <= end_date', name=op.f('ck_flexible_batches_start_date_order')),
    sa.ForeignKeyConstraint(['faculty_id'], ['faculties.id'], name=op.f('fk_flexible_batches_faculty_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_flexible_batches_subject_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flexible_batches'))
    )
    with op.batch_alter_table('flexible_batches', schema=None) as batch_op:
        batch_op.create_index('ix_flexible_batches_faculty_id', ['faculty_id'], unique=False)
        batch_op.create_index('ix_flexible_batches_subject_id', ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_flexible_batches_version'), ['version'], unique=False)

    op.create_table('follow_ups',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('inquiry_id', sa.Uuid(), nullable=False),
    sa.Column('counselor_id', sa.Uuid(), nullable=False),
    sa.Column('follow_up_date', sa.DateTime(timezone=True), nullable=False),
    sa.Column('follow_up_type', sa.String(length=20), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('next_follow_up_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='pending', nullable=False),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("follow_up_type IS NULL OR follow_up_type IN ('call', 'email', 'visit', 'sms', 'whatsapp')", name=op.f('ck_follow_ups_follow_up_type_allowed')),
    sa.CheckConstraint("status IS NULL OR status IN ('completed', 'pending', 'missed')", name=op.f('ck_follow_ups_status_allowed')),
    sa.ForeignKeyConstraint(['counselor_id'], ['users.id'], name=op.f('fk_follow_ups_counselor_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['inquiry_id'], ['crm_inquiries.id'], name=op.f('fk_follow_ups_inquiry_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index('ix_follow_ups_follow_up_date', ['follow_up_date'], unique=False)
        batch_op.create_index('ix_follow_ups_inquiry_id', ['inquiry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_version'), ['version'], unique=False)

    op.create_table('inquiry_subjects',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('inquiry_id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['inquiry_id'], ['crm_inquiries.id'], name=op.f('fk_inquiry_subjects_inquiry_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_inquiry_subjects_subject_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inquiry_subjects')),
    sa.UniqueConstraint('inquiry_id', 'subject_id', name=op.f('uq_inquiry_subjects_inquiry_id_subject_id'))
    )
    with op.batch_alter_table('inquiry_subjects', schema=None) as batch_op:
        batch_op.create_index('ix_inquiry_subjects_subject_id', ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inquiry_subjects_version'), ['version'], unique=False)

    op.create_table('learning_sessions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=False),
    sa.Column('faculty_id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('session_date', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('session_type', sa.String(length=20), server_default='individual', nullable=False),
    sa.Column('location', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='scheduled', nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("session_type IS NULL OR session_type IN ('individual', 'group', 'workshop')", name=op.f('ck_learning_sessions_session_type_allowed')),
    sa.CheckConstraint("status IS NULL OR status IN ('scheduled', 'completed', 'cancelled', 'no_show')", name=op.f('ck_learning_sessions_status_allowed')),
    sa.CheckConstraint('duration_minutes IS NULL OR duration_minutes > 0', name=op.f('ck_learning_sessions_duration_minutes_positive')),
    sa.CheckConstraint('start_time IS NULL OR end_time IS NULL OR start_time < end_time', name=op.f('ck_learning_sessions_start_time_order')),
    sa.ForeignKeyConstraint(['faculty_id'], ['faculties.id'], name=op.f('fk_learning_sessions_faculty_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_learning_sessions_student_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_learning_sessions_subject_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learning_sessions'))
    )
    with op.batch_alter_table('learning_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_learning_sessions_faculty_id', ['faculty_id'], unique=False)
        batch_op.create_index('ix_learning_sessions_session_date', ['session_date'], unique=False)
        batch_op.create_index('ix_learning_sessions_student_id', ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_learning_sessions_version'), ['version'], unique=False)

    op.create_table('rewards_penalties',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=False),
    sa.Column('faculty_id', sa.Uuid(), nullable=True),
    sa.Column('type', sa.String(length=10), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='active', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("category IS NULL OR category IN ('attendance', 'performance', 'behavior', 'assignment', 'other')", name=op.f('ck_rewards_penalties_category_allowed')),
    sa.CheckConstraint("status IS NULL OR status IN ('active', 'appealed', 'resolved')", name=op.f('ck_rewards_penalties_status_allowed')),
    sa.CheckConstraint("type IS NULL OR type IN ('reward', 'penalty')", name=op.f('ck_rewards_penalties_type_allowed')),
    sa.CheckConstraint('points IS NULL OR points > 0', name=op.f('ck_rewards_penalties_points_positive')),
    sa.CheckConstraint('reason IS NULL OR length(trim(reason)) > 0', name=op.f('ck_rewards_penalties_reason_not_blank')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_rewards_penalties_created_by')),
    sa.ForeignKeyConstraint(['faculty_id'], ['faculties.id'], name=op.f('fk_rewards_penalties_faculty_id')),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_rewards_penalties_student_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rewards_penalties'))
    )
    with op.batch_alter_table('rewards_penalties', schema=None) as batch_op:
        batch_op.create_index('ix_rewards_penalties_student_id', ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rewards_penalties_version'), ['version'], unique=False)

    op.create_table('student_reports',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=False),
    sa.Column('report_type', sa.String(length=30), nullable=False),
    sa.Column('report_period_start', sa.Date(), nullable=False),
    sa.Column('report_period_end', sa.Date(), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('generated_by', sa.Uuid(), nullable=False),
    sa.Column('generated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='generated', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("report_type IS NULL OR report_type IN ('progress', 'attendance', 'performance', 'final')", name=op.f('ck_student_reports_report_type_allowed')),
    sa.CheckConstraint("status IS NULL OR status IN ('generated', 'sent', 'viewed')", name=op.f('ck_student_reports_status_allowed')),
    sa.CheckConstraint('report_period_start IS NULL OR report_period_end IS NULL OR report_period_start <= report_period_end', name=op.f('ck_student_reports_report_period_start_order')),
    sa.ForeignKeyConstraint(['generated_by'], ['users.id'], name=op.f('fk_student_reports_generated_by')),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_student_reports_student_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_student_reports'))
    )
    with op.batch_alter_table('student_reports', schema=None) as batch_op:
        batch_op.create_index('ix_student_reports_report_type', ['report_type'], unique=False)
        batch_op.create_index('ix_student_reports_student_id', ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_student_reports_version'), ['version'], unique=False)

    op.create_table('student_subject_enrollments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('faculty_id', sa.Uuid(), nullable=False),
    sa.Column('enrollment_date', sa.Date(), nullable=False),
    sa.Column('expected_completion_date', sa.Date(), nullable=True),
    sa.Column('actual_completion_date', sa.Date(), nullable=True),
    sa.Column('completion_percentage', sa.Numeric(precision=5, scale=2), server_default='0', nullable=True),
    sa.Column('status', sa.String(length=20), server_default='active', nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("status IS NULL OR status IN ('active', 'completed', 'paused', 'dropped')", name=op.f('ck_student_subject_enrollments_status_allowed')),
    sa.CheckConstraint('completion_percentage IS NULL OR (completion_percentage >= 0 AND completion_percentage <= 100)', name=op.f('ck_student_subject_enrollments_completion_percentage_range')),
    sa.CheckConstraint('enrollment_date IS NULL OR expected_completion_date IS NULL OR enrollment_date <= expected_completion_date', name=op.f('ck_student_subject_enrollments_enrollment_date_order')),
    sa.ForeignKeyConstraint(['faculty_id'], ['faculties.id'], name=op.f('fk_student_subject_enrollments_faculty_id')),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_student_subject_enrollments_student_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_student_subject_enrollments_subject_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_student_subject_enrollments')),
    sa.UniqueConstraint('student_id', 'subject_id', name=op.f('uq_student_subject_enrollments_student_id_subject_id'))
    )
    with op.batch_alter_table('student_subject_enrollments', schema=None) as batch_op:
        batch_op.create_index('ix_student_subject_enrollments_faculty_id', ['faculty_id'], unique=False)
        batch_op.create_index('ix_student_subject_enrollments_status', ['status'], unique=False)
        batch_op.create_index('ix_student_subject_enrollments_student_id', ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_student_subject_enrollments_version'), ['version'], unique=False)

    op.create_table('student_topic_progress',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=False),
    sa.Column('topic_id', sa.Uuid(), nullable=False),
    sa.Column('competency_level', sa.Integer(), server_default='0', nullable=True),
    sa.Column('status', sa.String(length=20), server_default='not_started', nullable=False),
    sa.Column('first_introduced_date', sa.Date(), nullable=True),
    sa.Column('completion_date', sa.Date(), nullable=True),
    sa.Column('time_spent_minutes', sa.Integer(), server_default='0', nullable=True),
    sa.Column('session_count', sa.Integer(), server_default='0', nullable=True),
    sa.Column('assessment_scores', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('last_updated_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("status IS NULL OR status IN ('not_started', 'in_progress', 'completed', 'mastered', 'needs_review')", name=op.f('ck_student_topic_progress_status_allowed')),
    sa.CheckConstraint('competency_level IS NULL OR (competency_level >= 0 AND competency_level <= 5)', name=op.f('ck_student_topic_progress_competency_level_range')),
    sa.CheckConstraint('first_introduced_date IS NULL OR completion_date IS NULL OR first_introduced_date <= completion_date', name=op.f('ck_student_topic_progress_first_introduced_date_order')),
    sa.CheckConstraint('session_count IS NULL OR (session_count >= 0)', name=op.f('ck_student_topic_progress_session_count_range')),
    sa.CheckConstraint('time_spent_minutes IS NULL OR (time_spent_minutes >= 0)', name=op.f('ck_student_topic_progress_time_spent_minutes_range')),
    sa.ForeignKeyConstraint(['last_updated_by'], ['faculties.id'], name=op.f('fk_student_topic_progress_last_updated_by')),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_student_topic_progress_student_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_student_topic_progress_topic_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_student_topic_progress')),
    sa.UniqueConstraint('student_id', 'topic_id', name=op.f('uq_student_topic_progress_student_id_topic_id'))
    )
    with op.batch_alter_table('student_topic_progress', schema=None) as batch_op:
        batch_op.create_index('ix_student_topic_progress_status', ['status'], unique=False)
        batch_op.create_index('ix_student_topic_progress_student_id', ['student_id'], unique=False)
        batch_op.create_index('ix_student_topic_progress_topic_id', ['topic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_student_topic_progress_version'), ['version'], unique=False)

    op.create_table('topic_prerequisites',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('topic_id', sa.Uuid(), nullable=False),
    sa.Column('prerequisite_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint('prerequisite_id <> topic_id', name=op.f('ck_topic_prerequisites_prerequisite_id_not_topic_id')),
    sa.ForeignKeyConstraint(['prerequisite_id'], ['topics.id'], name=op.f('fk_topic_prerequisites_prerequisite_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_topic_prerequisites_topic_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topic_prerequisites')),
    sa.UniqueConstraint('topic_id', 'prerequisite_id', name=op.f('uq_topic_prerequisites_topic_id_prerequisite_id'))
    )
    with op.batch_alter_table('topic_prerequisites', schema=None) as batch_op:
        batch_op.create_index('ix_topic_prerequisites_prerequisite_id', ['prerequisite_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_topic_prerequisites_version'), ['version'], unique=False)

    op.create_table('batch_members',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('batch_id', sa.Uuid(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=False),
    sa.Column('joined_on', sa.Date(), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint('joined_on IS NULL OR left_on IS NULL OR joined_on <= left_on', name=op.f('ck_batch_members_joined_on_order')),
    sa.ForeignKeyConstraint(['batch_id'], ['flexible_batches.id'], name=op.f('fk_batch_members_batch_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_batch_members_student_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batch_members')),
    sa.UniqueConstraint('batch_id', 'student_id', name=op.f('uq_batch_members_batch_id_student_id'))
    )
    with op.batch_alter_table('batch_members', schema=None) as batch_op:
        batch_op.create_index('ix_batch_members_student_id', ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_batch_members_version'), ['version'], unique=False)

    op.create_table('batch_session_attendance',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('batch_id', sa.Uuid(), nullable=False),
    sa.Column('session_date', sa.Date(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=False),
    sa.Column('attendance_status', sa.String(length=20), nullable=False),
    sa.Column('check_in_time', sa.Time(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("attendance_status IS NULL OR attendance_status IN ('present', 'absent', 'late', 'excused')", name=op.f('ck_batch_session_attendance_attendance_status_allowed')),
    sa.ForeignKeyConstraint(['batch_id'], ['flexible_batches.id'], name=op.f('fk_batch_session_attendance_batch_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_batch_session_attendance_student_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batch_session_attendance')),
    sa.UniqueConstraint('batch_id', 'session_date', 'student_id', name=op.f('uq_batch_session_attendance_batch_id_session_date_student_id'))
    )
    with op.batch_alter_table('batch_session_attendance', schema=None) as batch_op:
        batch_op.create_index('ix_batch_session_attendance_session_date', ['session_date'], unique=False)
        batch_op.create_index('ix_batch_session_attendance_student_id', ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_batch_session_attendance_version'), ['version'], unique=False)

    op.create_table('feedback',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=False),
    sa.Column('faculty_id', sa.Uuid(), nullable=True),
    sa.Column('session_id', sa.Uuid(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('comments', sa.Text(), nullable=True),
    sa.Column('feedback_type', sa.String(length=20), nullable=False),
    sa.Column('sentiment', sa.String(length=10), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='pending', nullable=False),
    sa.Column('reviewed_by', sa.Uuid(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("feedback_type IS NULL OR feedback_type IN ('faculty', 'session', 'subject', 'institute', 'facility')", name=op.f('ck_feedback_feedback_type_allowed')),
    sa.CheckConstraint("sentiment IS NULL OR sentiment IN ('positive', 'neutral', 'negative')", name=op.f('ck_feedback_sentiment_allowed')),
    sa.CheckConstraint("status IS NULL OR status IN ('pending', 'reviewed', 'resolved')", name=op.f('ck_feedback_status_allowed')),
    sa.CheckConstraint('rating IS NULL OR (rating >= 1 AND rating <= 5)', name=op.f('ck_feedback_rating_range')),
    sa.ForeignKeyConstraint(['faculty_id'], ['faculties.id'], name=op.f('fk_feedback_faculty_id')),
    sa.ForeignKeyConstraint(['reviewed_by'], ['users.id'], name=op.f('fk_feedback_reviewed_by')),
    sa.ForeignKeyConstraint(['session_id'], ['learning_sessions.id'], name=op.f('fk_feedback_session_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_feedback_student_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback'))
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_faculty_id', ['faculty_id'], unique=False)
        batch_op.create_index('ix_feedback_student_id', ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_version'), ['version'], unique=False)

    op.create_table('session_attendance',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('student_id', sa.Uuid(), nullable=False),
    sa.Column('attendance_status', sa.String(length=20), nullable=False),
    sa.Column('check_in_time', sa.Time(), nullable=True),
    sa.Column('check_out_time', sa.Time(), nullable=True),
    sa.Column('faculty_notes', sa.Text(), nullable=True),
    sa.Column('student_feedback', sa.Text(), nullable=True),
    sa.Column('next_session_prep', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint("attendance_status IS NULL OR attendance_status IN ('present', 'absent', 'late', 'excused')", name=op.f('ck_session_attendance_attendance_status_allowed')),
    sa.CheckConstraint('check_in_time IS NULL OR check_out_time IS NULL OR check_in_time <= check_out_time', name=op.f('ck_session_attendance_check_in_time_order')),
    sa.ForeignKeyConstraint(['session_id'], ['learning_sessions.id'], name=op.f('fk_session_attendance_session_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_session_attendance_student_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_attendance')),
    sa.UniqueConstraint('session_id', 'student_id', name=op.f('uq_session_attendance_session_id_student_id'))
    )
    with op.batch_alter_table('session_attendance', schema=None) as batch_op:
        batch_op.create_index('ix_session_attendance_session_id', ['session_id'], unique=False)
        batch_op.create_index('ix_session_attendance_student_id', ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_attendance_version'), ['version'], unique=False)

    op.create_table('attendance_topics',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('attendance_id', sa.Uuid(), nullable=False),
    sa.Column('topic_id', sa.Uuid(), nullable=False),
    sa.Column('understanding_level', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint('understanding_level IS NULL OR (understanding_level >= 1 AND understanding_level <= 5)', name=op.f('ck_attendance_topics_understanding_level_range')),
    sa.ForeignKeyConstraint(['attendance_id'], ['session_attendance.id'], name=op.f('fk_attendance_topics_attendance_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_attendance_topics_topic_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_topics')),
    sa.UniqueConstraint('attendance_id', 'topic_id', name=op.f('uq_attendance_topics_attendance_id_topic_id'))
    )
    with op.batch_alter_table('attendance_topics', schema=None) as batch_op:
        batch_op.create_index('ix_attendance_topics_topic_id', ['topic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_topics_version'), ['version'], unique=False)

    op.create_table('batch_attendance_topics',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('batch_attendance_id', sa.Uuid(), nullable=False),
    sa.Column('topic_id', sa.Uuid(), nullable=False),
    sa.Column('understanding_level', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint('understanding_level IS NULL OR (understanding_level >= 1 AND understanding_level <= 5)', name=op.f('ck_batch_attendance_topics_understanding_level_range')),
    sa.ForeignKeyConstraint(['batch_attendance_id'], ['batch_session_attendance.id'], name=op.f('fk_batch_attendance_topics_batch_attendance_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_batch_attendance_topics_topic_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batch_attendance_topics')),
    sa.UniqueConstraint('batch_attendance_id', 'topic_id', name=op.f('uq_batch_attendance_topics_batch_attendance_id_topic_id'))
    )
    with op.batch_alter_table('batch_attendance_topics', schema=None) as batch_op:
        batch_op.create_index('ix_batch_attendance_topics_topic_id', ['topic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_batch_attendance_topics_version'), ['version'], unique=False)



def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index('ix_faculties_specialization', table_name='faculties')
    with op.batch_alter_table('batch_attendance_topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_batch_attendance_topics_version'))
        batch_op.drop_index('ix_batch_attendance_topics_topic_id')

    op.drop_table('batch_attendance_topics')
    with op.batch_alter_table('attendance_topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_topics_version'))
        batch_op.drop_index('ix_attendance_topics_topic_id')

    op.drop_table('attendance_topics')
    with op.batch_alter_table('session_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_attendance_version'))
        batch_op.drop_index('ix_session_attendance_student_id')
        batch_op.drop_index('ix_session_attendance_session_id')

    op.drop_table('session_attendance')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_version'))
        batch_op.drop_index('ix_feedback_student_id')
        batch_op.drop_index('ix_feedback_faculty_id')

    op.drop_table('feedback')
    with op.batch_alter_table('batch_session_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_batch_session_attendance_version'))
        batch_op.drop_index('ix_batch_session_attendance_student_id')
        batch_op.drop_index('ix_batch_session_attendance_session_date')

    op.drop_table('batch_session_attendance')
    with op.batch_alter_table('batch_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_batch_members_version'))
        batch_op.drop_index('ix_batch_members_student_id')

    op.drop_table('batch_members')
    with op.batch_alter_table('topic_prerequisites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_topic_prerequisites_version'))
        batch_op.drop_index('ix_topic_prerequisites_prerequisite_id')

    op.drop_table('topic_prerequisites')
    with op.batch_alter_table('student_topic_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_student_topic_progress_version'))
        batch_op.drop_index('ix_student_topic_progress_topic_id')
        batch_op.drop_index('ix_student_topic_progress_student_id')
        batch_op.drop_index('ix_student_topic_progress_status')

    op.drop_table('student_topic_progress')
    with op.batch_alter_table('student_subject_enrollments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_student_subject_enrollments_version'))
        batch_op.drop_index('ix_student_subject_enrollments_student_id')
        batch_op.drop_index('ix_student_subject_enrollments_status')
        batch_op.drop_index('ix_student_subject_enrollments_faculty_id')

    op.drop_table('student_subject_enrollments')
    with op.batch_alter_table('student_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_student_reports_version'))
        batch_op.drop_index('ix_student_reports_student_id')
        batch_op.drop_index('ix_student_reports_report_type')

    op.drop_table('student_reports')
    with op.batch_alter_table('rewards_penalties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rewards_penalties_version'))
        batch_op.drop_index('ix_rewards_penalties_student_id')

    op.drop_table('rewards_penalties')
    with op.batch_alter_table('learning_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learning_sessions_version'))
        batch_op.drop_index('ix_learning_sessions_student_id')
        batch_op.drop_index('ix_learning_sessions_session_date')
        batch_op.drop_index('ix_learning_sessions_faculty_id')

    op.drop_table('learning_sessions')
    with op.batch_alter_table('inquiry_subjects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inquiry_subjects_version'))
        batch_op.drop_index('ix_inquiry_subjects_subject_id')

    op.drop_table('inquiry_subjects')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_ups_version'))
        batch_op.drop_index('ix_follow_ups_inquiry_id')
        batch_op.drop_index('ix_follow_ups_follow_up_date')

    op.drop_table('follow_ups')
    with op.batch_alter_table('flexible_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flexible_batches_version'))
        batch_op.drop_index('ix_flexible_batches_subject_id')
        batch_op.drop_index('ix_flexible_batches_faculty_id')

    op.drop_table('flexible_batches')
    with op.batch_alter_table('faculty_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_faculty_reports_version'))
        batch_op.drop_index('ix_faculty_reports_report_type')
        batch_op.drop_index('ix_faculty_reports_faculty_id')

    op.drop_table('faculty_reports')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessments_version'))
        batch_op.drop_index('ix_assessments_subject_id')
        batch_op.drop_index('ix_assessments_student_id')

    op.drop_table('assessments')
    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_topics_version'))
        batch_op.drop_index('ix_topics_subject_id_order_index')
        batch_op.drop_index('ix_topics_subject_id')

    op.drop_table('topics')
    with op.batch_alter_table('subject_prerequisites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subject_prerequisites_version'))
        batch_op.drop_index('ix_subject_prerequisites_prerequisite_id')

    op.drop_table('subject_prerequisites')
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_students_version'))
        batch_op.drop_index('ix_students_user_id')
        batch_op.drop_index('ix_students_status')
        batch_op.drop_index('ix_students_counselor_id')
        batch_op.drop_index('ix_students_admission_date')

    op.drop_table('students')
    with op.batch_alter_table('faculties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_faculties_version'))
        batch_op.drop_index('ix_faculties_user_id')
        batch_op.drop_index('ix_faculties_status')

    op.drop_table('faculties')
    with op.batch_alter_table('crm_inquiries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_inquiries_version'))
        batch_op.drop_index('ix_crm_inquiries_status')
        batch_op.drop_index('ix_crm_inquiries_counselor_id')

    op.drop_table('crm_inquiries')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_version'))
        batch_op.drop_index('ix_users_status')
        batch_op.drop_index('ix_users_role')

    op.drop_table('users')
    op.drop_table('sync_state')
    with op.batch_alter_table('sync_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_outbox_table_name_row_id')

    op.drop_table('sync_outbox')
    with op.batch_alter_table('sync_conflicts', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_conflicts_table_name_row_id')
        batch_op.drop_index('ix_sync_conflicts_server_version')

    op.drop_table('sync_conflicts')
    with op.batch_alter_table('subjects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subjects_version'))

    op.drop_table('subjects')
    op.drop_table('local_credentials')
