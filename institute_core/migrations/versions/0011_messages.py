"""Messages, templates and notifications (issue 19); reserved, filled in by its work.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 21:50:00
"""

from __future__ import annotations

from alembic import op  # noqa: F401

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
