"""Fees, payments and receipts (issue 18); reserved, filled in by its work.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 21:50:00
"""

from __future__ import annotations

from alembic import op  # noqa: F401

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
