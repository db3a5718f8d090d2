"""Portal sessions and certificates (issue 20); reserved, filled in by its work.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 21:50:00
"""

from __future__ import annotations

from alembic import op  # noqa: F401

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
