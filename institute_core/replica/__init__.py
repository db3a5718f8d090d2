"""The client's local SQLite replica and its one write path (the unit of work)."""

from institute_core.replica.database import Replica
from institute_core.replica.unit_of_work import Actor, HardDeleteRefused, UncapturedWrite

__all__ = ["Actor", "HardDeleteRefused", "Replica", "UncapturedWrite"]
