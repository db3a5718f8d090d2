"""Branches and branch-scoped replication (issue 17).

Adds `branches`, `user_branches` (who works where) and `student_branch_moves` (transfers kept),
and a `branch_id` on students, faculties, learning sessions, flexible batches and inquiries.
An institute from before branches moves whole into one "Main" branch: every such row gets it and
every staff account works there. The server and every replica write the same rows (fixed ids
and times), so a replica upgraded offline agrees with the upgraded server without a sync; on the
server the new rows take a fresh version, so a desk that never held them pulls them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 21:50:00
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from institute_core.ids import natural_id

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# Frozen copies of institute_core.schema.branches' constants: a migration never changes.
MAIN_BRANCH_ID = uuid.UUID("3b0c5a0e-9d1f-5e7a-8c2b-000000000001")
MIGRATED_AT = datetime(2026, 12, 5, tzinfo=UTC)
BRANCHED = ('students', 'faculties', 'learning_sessions', 'flexible_batches', 'crm_inquiries')


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


def _stamp(dialect: str) -> datetime:
    # The models store naive UTC on SQLite (UTCDateTime); Core inserts here bypass them.
    return MIGRATED_AT.replace(tzinfo=None) if dialect == 'sqlite' else MIGRATED_AT


def _new_version(bind: sa.Connection) -> int:
    """The server's next version for the rows written here; 0 on a replica ("never synced")."""
    if bind.dialect.name != 'postgresql':
        return 0
    return int(bind.execute(sa.text(
        "UPDATE sync_clock SET version = version + 1 WHERE id = 1 RETURNING version")).scalar_one())


def upgrade() -> None:
    op.create_table(
        'branches',
        *_synced_columns(),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('address', sa.Text(), nullable=True),
        sa.Column('phone', sa.String(length=20), nullable=True),
        sa.Column('gstin', sa.String(length=15), nullable=True),
        sa.Column('time_zone', sa.String(length=64), server_default='Asia/Kolkata',
                  nullable=False),
        sa.CheckConstraint('name IS NULL OR length(trim(name)) > 0',
                           name=op.f('ck_branches_name_not_blank')),
        sa.CheckConstraint('code IS NULL OR length(trim(code)) > 0',
                           name=op.f('ck_branches_code_not_blank')),
        sa.CheckConstraint('time_zone IS NULL OR length(trim(time_zone)) > 0',
                           name=op.f('ck_branches_time_zone_not_blank')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_branches')),
        sa.UniqueConstraint('code', name=op.f('uq_branches_code')),
    )
    with op.batch_alter_table('branches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_branches_version'), ['version'], unique=False)

    op.create_table(
        'user_branches',
        *_synced_columns(),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('branch_id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_branches_user_id'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['branch_id'], ['branches.id'],
                                name=op.f('fk_user_branches_branch_id'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_branches')),
        sa.UniqueConstraint('user_id', 'branch_id', name=op.f('uq_user_branches_user_id_branch_id')),
    )
    with op.batch_alter_table('user_branches', schema=None) as batch_op:
        batch_op.create_index('ix_user_branches_branch_id', ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_branches_version'), ['version'], unique=False)

    op.create_table(
        'student_branch_moves',
        *_synced_columns(),
        sa.Column('student_id', sa.Uuid(), nullable=False),
        sa.Column('from_branch_id', sa.Uuid(), nullable=True),
        sa.Column('to_branch_id', sa.Uuid(), nullable=False),
        sa.Column('moved_on', sa.Date(), nullable=False),
        sa.Column('moved_by', sa.Uuid(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.CheckConstraint('to_branch_id <> from_branch_id',
                           name=op.f('ck_student_branch_moves_to_branch_id_not_from_branch_id')),
        sa.ForeignKeyConstraint(['student_id'], ['students.id'],
                                name=op.f('fk_student_branch_moves_student_id'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['from_branch_id'], ['branches.id'],
                                name=op.f('fk_student_branch_moves_from_branch_id')),
        sa.ForeignKeyConstraint(['to_branch_id'], ['branches.id'],
                                name=op.f('fk_student_branch_moves_to_branch_id')),
        sa.ForeignKeyConstraint(['moved_by'], ['users.id'],
                                name=op.f('fk_student_branch_moves_moved_by')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_student_branch_moves')),
    )
    with op.batch_alter_table('student_branch_moves', schema=None) as batch_op:
        batch_op.create_index('ix_student_branch_moves_student_id', ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_student_branch_moves_version'), ['version'],
                              unique=False)

    bind = op.get_bind()
    dialect = bind.dialect.name
    version = _new_version(bind)
    stamp = _stamp(dialect)
    branches = sa.table('branches', sa.column('id', sa.Uuid()), sa.column('name', sa.String()),
                        sa.column('code', sa.String()), sa.column('time_zone', sa.String()),
                        sa.column('created_at', sa.DateTime()),
                        sa.column('updated_at', sa.DateTime()),
                        sa.column('version', sa.BigInteger()))
    op.bulk_insert(branches, [{'id': MAIN_BRANCH_ID, 'name': 'Main', 'code': 'MAIN',
                               'time_zone': 'Asia/Kolkata', 'created_at': stamp,
                               'updated_at': stamp, 'version': version}])

    # Every staff account works in Main (students belong to a branch through their record).
    users = sa.table('users', sa.column('id', sa.Uuid()), sa.column('role', sa.String()))
    staff = bind.execute(sa.select(users.c.id).where(users.c.role != 'student')
                         .order_by(users.c.id)).scalars().all()
    links = sa.table('user_branches', sa.column('id', sa.Uuid()), sa.column('user_id', sa.Uuid()),
                     sa.column('branch_id', sa.Uuid()), sa.column('created_at', sa.DateTime()),
                     sa.column('updated_at', sa.DateTime()), sa.column('version', sa.BigInteger()))
    if staff:
        op.bulk_insert(links, [{'id': natural_id('user_branches', user_id, MAIN_BRANCH_ID),
                                'user_id': user_id, 'branch_id': MAIN_BRANCH_ID,
                                'created_at': stamp, 'updated_at': stamp, 'version': version}
                               for user_id in staff])

    for name in BRANCHED:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('branch_id', sa.Uuid(), nullable=True))
        table = sa.table(name, sa.column('branch_id', sa.Uuid()))
        # Values unchanged elsewhere keep their versions: every replica fills in the same Main.
        bind.execute(table.update().values(branch_id=MAIN_BRANCH_ID))
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.alter_column('branch_id', existing_type=sa.Uuid(), nullable=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{name}_branch_id'), 'branches',
                                        ['branch_id'], ['id'])
            batch_op.create_index(f'ix_{name}_branch_id', ['branch_id'], unique=False)


def downgrade() -> None:
    # Back to one centre: rows keep everything but which branch they were in.
    for name in reversed(BRANCHED):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{name}_branch_id')
            batch_op.drop_constraint(batch_op.f(f'fk_{name}_branch_id'), type_='foreignkey')
            batch_op.drop_column('branch_id')
    for name, indexes in (('student_branch_moves', ('ix_student_branch_moves_student_id',
                                                    'ix_student_branch_moves_version')),
                          ('user_branches', ('ix_user_branches_branch_id',
                                             'ix_user_branches_version')),
                          ('branches', ('ix_branches_version',))):
        with op.batch_alter_table(name, schema=None) as batch_op:
            for index in indexes:
                batch_op.drop_index(index)
        op.drop_table(name)
