"""Reserved for branches and roles (issue 17); filled in by that work, or removed before it lands if unused.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 05:20:00
"""

from __future__ import annotations

from alembic import op  # noqa: F401

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
