"""A password reset's verifier stays on the server (issue 14): desks receive the reset without it.

Only the server signs in with a reset's verifier; a desk needs to know that a reset happened
(its cached offline verifiers of the old password go stale), so pulled resets arrive without
`verifier` and the column must accept NULL on every replica.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 18:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.alter_column('verifier', existing_type=sa.String(length=255), nullable=True)
    if op.get_bind().dialect.name == 'sqlite':
        # A replica (the server is PostgreSQL): resets pulled before this version brought other
        # people's verifiers with them. A reset still waiting to be sent carries its verifier in
        # its outbox entry, so nothing that must reach the server is lost.
        op.execute(sa.text("UPDATE password_resets SET verifier = NULL"))


def downgrade() -> None:
    # A reset pulled without its verifier cannot be given one back: such rows go.
    op.execute(sa.text("DELETE FROM password_resets WHERE verifier IS NULL"))
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.alter_column('verifier', existing_type=sa.String(length=255), nullable=False)
