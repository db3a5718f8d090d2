"""Reserved for roles (issue 17), left empty: databases already upgraded past it would never run
it, so roles live in 0014.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 21:50:00
"""

from __future__ import annotations

from alembic import op  # noqa: F401

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
