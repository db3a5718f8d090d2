"""Concurrent version stamping for pushes (issue 16); reserved, filled in by its work.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 21:50:00
"""

from __future__ import annotations

from alembic import op  # noqa: F401

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
