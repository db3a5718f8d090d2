"""What every screen of a signed-in window shares: the replica, the tasks, the user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from desktop_app.tasks import TaskManager
from institute_core.replica import Actor, Replica
from institute_core.services.auth import CurrentUser
from institute_core.sync.credentials import CredentialStore

if TYPE_CHECKING:
    from desktop_app.branches.picker import BranchChoice


@dataclass
class AppContext:
    """Passed to each feature view; views never reach for globals."""

    replica: Replica
    tasks: TaskManager
    user: CurrentUser
    # The saved sign-in to the sync server, for screens that ask it something themselves (the
    # admin's device list); None on a desk with no server.
    credentials: CredentialStore | None = None
    # The branch filter every screen shares (`desktop_app.branches.picker.branch_choice`).
    branch_choice: BranchChoice | None = None

    @property
    def actor(self) -> Actor:
        return self.replica.actor(self.user.user_id)
