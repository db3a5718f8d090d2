"""Messages per branch (issues 17 and 19), and who changed an opt-out.

- `message_templates.branch_id` and `message_triggers.branch_id`: None is the institute's
  template or trigger (every row before this version); a branch's own overrides it for the
  students of that branch. A template is unique per event, language, channel and branch.
- `message_consents.changed_by`: who last opted a contact out or back in (`updated_at` says
  when); None for the rows before this version and for STOP replies.

Messages and their deliveries need no column: they live where their student does (the sync
policy's BRANCH_OF), and the server finds a message's branch (quiet hours, sender id) the same
way.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 05:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

_BRANCHED = ('message_templates', 'message_triggers')


def upgrade() -> None:
    for name in _BRANCHED:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('branch_id', sa.Uuid(), nullable=True))
            batch_op.create_foreign_key(batch_op.f(f'fk_{name}_branch_id'), 'branches',
                                        ['branch_id'], ['id'])
    with op.batch_alter_table('message_templates', schema=None) as batch_op:
        batch_op.drop_constraint('uq_message_templates_event_language_channel', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_message_templates_event_language_channel_branch_id'),
            ['event', 'language', 'channel', 'branch_id'])
    with op.batch_alter_table('message_consents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changed_by', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_message_consents_changed_by'), 'users',
                                    ['changed_by'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('message_consents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_message_consents_changed_by'),
                                 type_='foreignkey')
        batch_op.drop_column('changed_by')
    # A branch's own templates and triggers have no place in the older schema.
    for name in _BRANCHED:
        op.execute(f"DELETE FROM {name} WHERE branch_id IS NOT NULL")
    with op.batch_alter_table('message_templates', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('uq_message_templates_event_language_channel_branch_id'), type_='unique')
        batch_op.create_unique_constraint('uq_message_templates_event_language_channel',
                                          ['event', 'language', 'channel'])
    for name in _BRANCHED:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{name}_branch_id'), type_='foreignkey')
            batch_op.drop_column('branch_id')
