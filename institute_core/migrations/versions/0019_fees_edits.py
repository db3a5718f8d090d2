"""Reserved for fees (issue 18); filled in by that work, or removed before it lands if unused.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 05:20:00
"""

from __future__ import annotations

from alembic import op  # noqa: F401

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
