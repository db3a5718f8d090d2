"""Roles as data from a permission catalogue (issue 17); reserved, filled in by its work.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 02:10:00
"""

from __future__ import annotations

from alembic import op  # noqa: F401

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
