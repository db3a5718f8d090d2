"""Who is calling: the signed-in user as the rest of the server sees them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from institute_core.sync.scopes import Viewer


@dataclass(frozen=True)
class Principal:
    """A signed-in user on one session (and maybe one device)."""

    user_id: uuid.UUID
    session_id: uuid.UUID
    device_id: uuid.UUID | None
    email: str
    role: str
    faculty_id: uuid.UUID | None
    # What their role grants (from its `roles` row when the request came in) and the branch
    # it is limited to.
    permissions: frozenset[str] = frozenset()
    branch_limit: uuid.UUID | None = None

    @property
    def viewer(self) -> Viewer:
        return Viewer(user_id=self.user_id, role=self.role, faculty_id=self.faculty_id,
                      permissions=self.permissions, branch_limit=self.branch_limit)

    def may(self, permission: str) -> bool:
        return permission in self.permissions
