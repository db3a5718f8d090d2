"""Branch scoping of the remaining tables (issue 17); reserved, filled in by its work.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 02:10:00
"""

from __future__ import annotations

from alembic import op  # noqa: F401

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
