"""What every screen of a signed-in window shares: the replica, the tasks, the user."""

from __future__ import annotations

from dataclasses import dataclass

from desktop_app.tasks import TaskManager
from institute_core.replica import Actor, Replica
from institute_core.services.auth import CurrentUser


@dataclass
class AppContext:
    """Passed to each feature view; views never reach for globals."""

    replica: Replica
    tasks: TaskManager
    user: CurrentUser

    @property
    def actor(self) -> Actor:
        return self.replica.actor(self.user.user_id)
