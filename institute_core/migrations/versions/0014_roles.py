"""Roles as data from a permission catalogue (issue 17).

Adds `roles` (name, description, permissions as a JSON list, built_in, an optional branch
limit) and seeds the five built-in roles under the names `users.role` already holds, so every
account keeps exactly its meaning; the CHECK that listed those five names gives way to a
not-blank check (a role is now any row of `roles`). The server and every replica write the same
built-in rows (fixed ids and times), so a replica upgraded offline agrees with the upgraded
server without a sync; on the server they take a fresh version, so every desk pulls them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 02:10:00
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

BUILT_IN_NAMES = ('super_admin', 'admin', 'counselor', 'faculty', 'student')
SEEDED_AT = datetime(2026, 12, 6, tzinfo=UTC)


# Frozen copies of the built-in roles of institute_core/access/permissions.py as this
# migration seeds them (a migration never changes; a later change to a built-in role is a
# later migration). Ids: permissions.built_in_role_id, the same on every database.
BUILT_INS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ('1fd81b8a-0f7e-5983-ad0b-78aed1a26e1c', 'super_admin',
     'Everything, including administrator accounts and the super admin role',
     ('attendance.manage', 'attendance.mark', 'attendance.view_all', 'audit.view',
      'branches.all', 'certificates.issue', 'crm.assign', 'crm.inquiry.edit',
      'fees.all_students', 'fees.collect', 'fees.configure', 'fees.expenses',
      'fees.refund', 'messages.deliveries', 'messages.manage', 'messages.send',
      'people.directory', 'reports.financial', 'reports.view', 'setup.branches.manage',
      'setup.import', 'setup.people.manage', 'setup.roles.manage', 'setup.super_admin',
      'setup.syllabus.manage', 'students.counsel', 'students.manage', 'students.view_all')),
    ('f3e10a46-6406-5301-9e1a-6fab4697f96f', 'admin',
     'Runs the institute: people, teaching, fees, reports, every branch',
     ('attendance.manage', 'attendance.mark', 'attendance.view_all', 'audit.view',
      'branches.all', 'certificates.issue', 'crm.assign', 'crm.inquiry.edit',
      'fees.all_students', 'fees.collect', 'fees.configure', 'fees.expenses',
      'fees.refund', 'messages.manage', 'messages.send', 'people.directory',
      'reports.financial', 'reports.view', 'setup.branches.manage', 'setup.import',
      'setup.people.manage', 'setup.roles.manage', 'setup.syllabus.manage',
      'students.counsel', 'students.manage', 'students.view_all')),
    ('e94c27ea-62ad-55b0-be1f-e552e7e21d20', 'faculty',
     'Teaches: attendance and progress of their own students and batches',
     ('attendance.mark', 'people.directory')),
    ('6077eba3-0f5d-5705-a870-d42e4a0b36a9', 'counselor',
     'Front desk: inquiries, the students they counsel and their fees',
     ('crm.assign', 'crm.inquiry.edit', 'fees.collect', 'messages.send',
      'people.directory', 'students.counsel')),
    ('3604a339-bb65-5a66-8e9d-c2d17f395c4d', 'student',
     "A student's own record (the portal and a student's sign-in)",
     ()),
)


def _built_ins() -> list[dict[str, object]]:
    return [{'id': uuid.UUID(role_id), 'name': name, 'description': description,
             'permissions': list(granted), 'built_in': True}
            for role_id, name, description, granted in BUILT_INS]


def _new_version(bind: sa.Connection) -> int:
    """The server's next version for the rows written here; 0 on a replica ("never synced")."""
    if bind.dialect.name != 'postgresql':
        return 0
    # Since 0013 versions come from a sequence, announced to pulls until this commits.
    return int(bind.execute(sa.text("SELECT (sync_take_versions(1))[1]")).scalar_one())


def upgrade() -> None:
    json_doc = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql')
    op.create_table(
        'roles',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True),
                  server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True),
                  server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('permissions', json_doc, nullable=False),
        sa.Column('built_in', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('only_branch_id', sa.Uuid(), nullable=True),
        sa.CheckConstraint('name IS NULL OR length(trim(name)) > 0',
                           name=op.f('ck_roles_name_not_blank')),
        sa.ForeignKeyConstraint(['only_branch_id'], ['branches.id'],
                                name=op.f('fk_roles_only_branch_id')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_roles')),
        sa.UniqueConstraint('name', name=op.f('uq_roles_name')),
    )
    with op.batch_alter_table('roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roles_version'), ['version'], unique=False)

    bind = op.get_bind()
    version = _new_version(bind)
    stamp = SEEDED_AT.replace(tzinfo=None) if bind.dialect.name == 'sqlite' else SEEDED_AT
    roles = sa.table('roles', sa.column('id', sa.Uuid()), sa.column('name', sa.String()),
                     sa.column('description', sa.Text()), sa.column('permissions', json_doc),
                     sa.column('built_in', sa.Boolean()), sa.column('created_at', sa.DateTime()),
                     sa.column('updated_at', sa.DateTime()),
                     sa.column('version', sa.BigInteger()))
    op.bulk_insert(roles, [{**row, 'created_at': stamp, 'updated_at': stamp, 'version': version}
                           for row in _built_ins()])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_role_allowed'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_users_role_not_blank'),
                                         'role IS NULL OR length(trim(role)) > 0')


def downgrade() -> None:
    bind = op.get_bind()
    users = sa.table('users', sa.column('email', sa.String()), sa.column('role', sa.String()))
    custom = bind.execute(sa.select(users.c.email).where(users.c.role.notin_(BUILT_IN_NAMES))
                          .limit(1)).scalar()
    if custom is not None:
        # Going back would lose what the account may do; the owner must reassign it first.
        raise RuntimeError(f"cannot downgrade below 0014: {custom} holds a custom role; "
                           "give every account a built-in role first")
    names = ", ".join(f"'{n}'" for n in BUILT_IN_NAMES)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_role_not_blank'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_users_role_allowed'),
                                         f'role IS NULL OR role IN ({names})')
    with op.batch_alter_table('roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roles_version'))
    op.drop_table('roles')

