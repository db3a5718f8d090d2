"""Reserved for the portal (issue 20); filled in by that work, or removed before it lands if unused.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 05:20:00
"""

from __future__ import annotations

from alembic import op  # noqa: F401

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
