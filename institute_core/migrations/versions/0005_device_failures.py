"""Devices remember their last failed push (issue 13): when, why and the server's reference.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 18:45:00
"""

from __future__ import annotations

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
