"""A server epoch that changes on restore, and desks that keep acknowledged changes to re-send them (issue 13).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 18:45:00
"""

from __future__ import annotations

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
