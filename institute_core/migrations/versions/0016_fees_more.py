"""Fees per branch, discount approval and money out (issue 18); reserved, filled in by its work.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 02:10:00
"""

from __future__ import annotations

from alembic import op  # noqa: F401

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
