"""Notice board and staff notifications (issue 19); reserved, filled in by its work.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 02:10:00
"""

from __future__ import annotations

from alembic import op  # noqa: F401

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
