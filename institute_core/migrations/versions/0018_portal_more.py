"""Reserved for portal and certificate additions (issue 20) and left empty: they needed no new
column or table. Kept, as databases have already recorded it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 02:10:00
"""

from __future__ import annotations

from alembic import op  # noqa: F401

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
