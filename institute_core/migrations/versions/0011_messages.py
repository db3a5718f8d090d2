"""Messages that reach people (issue 19): guardians, consent, templates, triggers, the queue.

Six synced tables: `guardians` of a student, `message_consents` (opt-outs per contact and
channel), `message_templates` per event, language and channel, `message_triggers` an admin
switches on, `messages` (queued by desks) and `message_deliveries` (written by the server's
dispatcher only).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 21:50:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_CHANNELS = "('sms', 'whatsapp', 'email')"
_EVENTS = ("('absent', 'follow_up_due', 'session_rescheduled', 'session_cancelled', 'at_risk', "
           "'fee_due', 'one_off')")


def _synced(table: str) -> list[Any]:
    """The id and bookkeeping columns every synced table carries (schema/base.py Synced)."""
    return [
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
    ]


def _check(table: str, name: str, sql: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(sql, name=op.f(f'ck_{table}_{name}'))


def _indexes(table: str, *plain: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in plain:
            batch_op.create_index(f'ix_{table}_{column}', [column], unique=False)
        batch_op.create_index(batch_op.f(f'ix_{table}_version'), ['version'], unique=False)


def upgrade() -> None:
    op.create_table(
        'message_consents',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('contact', sa.String(length=255), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('opted_out', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('source', sa.String(length=20), server_default='admin', nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        *_synced('message_consents'),
        _check('message_consents', 'channel_allowed', f"channel IS NULL OR channel IN {_CHANNELS}"),
        _check('message_consents', 'source_allowed',
               "source IS NULL OR source IN ('admin', 'stop_reply', 'form')"),
        _check('message_consents', 'contact_not_blank',
               'contact IS NULL OR length(trim(contact)) > 0'),
        sa.UniqueConstraint('contact', 'channel',
                            name=op.f('uq_message_consents_contact_channel')))
    _indexes('message_consents')

    op.create_table(
        'message_templates',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('event', sa.String(length=30), nullable=False),
        sa.Column('language', sa.String(length=35), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('provider_template', sa.String(length=100), nullable=True),
        *_synced('message_templates'),
        _check('message_templates', 'channel_allowed', f"channel IS NULL OR channel IN {_CHANNELS}"),
        _check('message_templates', 'event_allowed', f"event IS NULL OR event IN {_EVENTS}"),
        _check('message_templates', 'body_not_blank', 'body IS NULL OR length(trim(body)) > 0'),
        _check('message_templates', 'language_not_blank',
               'language IS NULL OR length(trim(language)) > 0'),
        sa.UniqueConstraint('event', 'language', 'channel',
                            name=op.f('uq_message_templates_event_language_channel')))
    _indexes('message_templates')

    op.create_table(
        'message_triggers',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('event', sa.String(length=30), nullable=False),
        sa.Column('enabled', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('after_absences', sa.Integer(), server_default='1', nullable=False),
        sa.Column('grace_minutes', sa.Integer(), server_default='15', nullable=False),
        sa.Column('days_before', sa.Integer(), nullable=True),
        *_synced('message_triggers'),
        _check('message_triggers', 'name_not_blank', 'name IS NULL OR length(trim(name)) > 0'),
        _check('message_triggers', 'event_allowed', f"event IS NULL OR event IN {_EVENTS}"),
        _check('message_triggers', 'after_absences_range',
               'after_absences IS NULL OR (after_absences >= 1 AND after_absences <= 30)'),
        _check('message_triggers', 'days_before_range',
               'days_before IS NULL OR (days_before >= 0 AND days_before <= 60)'),
        _check('message_triggers', 'grace_minutes_range',
               'grace_minutes IS NULL OR (grace_minutes >= 0 AND grace_minutes <= 1440)'))
    _indexes('message_triggers')

    op.create_table(
        'guardians',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('student_id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('relation', sa.String(length=20), server_default='guardian', nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=True),
        sa.Column('phone_normalized', sa.String(length=20), nullable=True),
        sa.Column('email', sa.String(length=255), nullable=True),
        sa.Column('preferred_channel', sa.String(length=10), server_default='sms',
                  nullable=False),
        sa.Column('language', sa.String(length=35), server_default='en', nullable=False),
        sa.Column('is_primary', sa.Boolean(), server_default=sa.false(), nullable=False),
        *_synced('guardians'),
        _check('guardians', 'preferred_channel_allowed',
               f"preferred_channel IS NULL OR preferred_channel IN {_CHANNELS}"),
        _check('guardians', 'relation_allowed', "relation IS NULL OR relation IN "
               "('mother', 'father', 'guardian', 'self', 'other')"),
        _check('guardians', 'language_not_blank',
               'language IS NULL OR length(trim(language)) > 0'),
        _check('guardians', 'name_not_blank', 'name IS NULL OR length(trim(name)) > 0'),
        sa.ForeignKeyConstraint(['student_id'], ['students.id'],
                                name=op.f('fk_guardians_student_id'), ondelete='CASCADE'))
    _indexes('guardians', 'phone_normalized', 'student_id')

    op.create_table(
        'messages',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('dedupe_key', sa.String(length=200), nullable=False),
        sa.Column('event', sa.String(length=30), nullable=False),
        sa.Column('student_id', sa.Uuid(), nullable=True),
        sa.Column('inquiry_id', sa.Uuid(), nullable=True),
        sa.Column('guardian_id', sa.Uuid(), nullable=True),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('recipient', sa.String(length=255), nullable=False),
        sa.Column('language', sa.String(length=35), nullable=True),
        sa.Column('subject', sa.String(length=200), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('provider_template', sa.String(length=100), nullable=True),
        sa.Column('variables', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
                  nullable=True),
        sa.Column('send_after', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_by', sa.Uuid(), nullable=True),
        *_synced('messages'),
        _check('messages', 'channel_allowed', f"channel IS NULL OR channel IN {_CHANNELS}"),
        _check('messages', 'event_allowed', f"event IS NULL OR event IN {_EVENTS}"),
        _check('messages', 'body_not_blank', 'body IS NULL OR length(trim(body)) > 0'),
        _check('messages', 'dedupe_key_not_blank',
               'dedupe_key IS NULL OR length(trim(dedupe_key)) > 0'),
        _check('messages', 'recipient_not_blank',
               'recipient IS NULL OR length(trim(recipient)) > 0'),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_messages_created_by'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['guardian_id'], ['guardians.id'],
                                name=op.f('fk_messages_guardian_id'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['inquiry_id'], ['crm_inquiries.id'],
                                name=op.f('fk_messages_inquiry_id'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['student_id'], ['students.id'],
                                name=op.f('fk_messages_student_id'), ondelete='CASCADE'),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_messages_dedupe_key')))
    _indexes('messages', 'inquiry_id', 'send_after', 'student_id')

    op.create_table(
        'message_deliveries',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('message_id', sa.Uuid(), nullable=False),
        sa.Column('student_id', sa.Uuid(), nullable=True),
        sa.Column('inquiry_id', sa.Uuid(), nullable=True),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=12), server_default='queued', nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('failure_reason', sa.Text(), nullable=True),
        sa.Column('provider_message_id', sa.String(length=100), nullable=True),
        sa.Column('segments', sa.Integer(), server_default='1', nullable=False),
        sa.Column('cost', sa.Numeric(precision=10, scale=4), server_default='0', nullable=False),
        *_synced('message_deliveries'),
        _check('message_deliveries', 'channel_allowed',
               f"channel IS NULL OR channel IN {_CHANNELS}"),
        _check('message_deliveries', 'status_allowed', "status IS NULL OR status IN "
               "('queued', 'sent', 'delivered', 'failed', 'cancelled', 'blocked')"),
        _check('message_deliveries', 'attempts_range',
               'attempts IS NULL OR (attempts >= 0 AND attempts <= 1000)'),
        _check('message_deliveries', 'segments_range',
               'segments IS NULL OR (segments >= 0 AND segments <= 1000)'),
        sa.ForeignKeyConstraint(['inquiry_id'], ['crm_inquiries.id'],
                                name=op.f('fk_message_deliveries_inquiry_id'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'],
                                name=op.f('fk_message_deliveries_message_id'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['student_id'], ['students.id'],
                                name=op.f('fk_message_deliveries_student_id'),
                                ondelete='CASCADE'),
        sa.UniqueConstraint('message_id', name=op.f('uq_message_deliveries_message_id')))
    _indexes('message_deliveries', 'inquiry_id', 'status', 'student_id')


def downgrade() -> None:
    for table in ('message_deliveries', 'messages', 'guardians', 'message_triggers',
                  'message_templates', 'message_consents'):
        op.drop_table(table)
