"""Branches and branch-scoped replication (issue 17); reserved, filled in by its work.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 21:50:00
"""

from __future__ import annotations

from alembic import op  # noqa: F401

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
