"""Portal sessions and guardian sign-in codes (issue 20).

Server tables (they exist, empty, on replicas too, like auth_sessions): a portal sign-in's
hashed cookie, expiry, revocation and CSRF token; an administrator's one-time guardian codes.

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


def upgrade() -> None:
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
    op.drop_index('ix_portal_sign_in_codes_student_id', table_name='portal_sign_in_codes')
    op.drop_table('portal_sign_in_codes')
    op.drop_index('ix_portal_sessions_user_id', table_name='portal_sessions')
    op.drop_table('portal_sessions')
