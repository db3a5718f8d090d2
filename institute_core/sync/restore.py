"""A server restored from a backup, as a desk sees it: the signs, and starting over from it.

A restored server has forgotten everything after its backup, including changes it had
acknowledged to desks. A desk notices by any one of these signs (docs/sync.md):

- the server's epoch differs from the one the desk saw last (`institute-sync-server restore`
  gives the database a new one);
- the server's last_seq for this device is below the highest seq it had acknowledged (a
  pg_restore done by hand keeps the old epoch);
- the server no longer knows this device although it knew it before;
- a pull answers `reset_required` (the desk's cursor is beyond the server's version clock).

The runner (sync/runner.py) then sends again every kept change (sync_sent) the server no
longer has, pushes the outbox, and downloads its whole scope as a fresh replica would.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, update

from institute_core.replica import Replica
from institute_core.schema import SYNCED_TABLES, OutboxEntry, table_of
from institute_core.sync.outbox import acked_seq

EPOCH_KEY = "server_epoch"


@dataclass(frozen=True)
class RestoreSign:
    """Why this desk believes the server was restored, and what the server said."""

    reason: str
    epoch: str | None
    # The server's last_seq for this device; None when it does not know the device (or did
    # not say): the desk registers again to learn it.
    last_seq: int | None


def restore_sign(replica: Replica, *, epoch: str | None, last_seq: int | None,
                 device_known: bool = True) -> RestoreSign | None:
    """The sign of a restore in a server's answer, or None when there is none."""
    known = replica.get_state(EPOCH_KEY)
    acked = acked_seq(replica)
    if epoch is not None and known is not None and epoch != known:
        reason = "the server was restored from a backup"
    elif not device_known and (acked or known is not None):
        reason = "the server no longer knows this device (restored from a backup?)"
    elif last_seq is not None and last_seq < acked:
        reason = (f"the server has lost changes it had acknowledged (it holds this device's "
                  f"changes up to {last_seq}, it had confirmed up to {acked})")
    else:
        return None
    return RestoreSign(reason, epoch, last_seq if device_known else None)


def note_epoch(replica: Replica, epoch: str | None) -> None:
    """Remember the server's epoch the first time it is seen (a new or upgraded replica)."""
    if epoch is not None and replica.get_state(EPOCH_KEY) is None:
        replica.set_state(EPOCH_KEY, epoch)


def cap_waiting_bases(connection: Connection, seen_at_most: int) -> None:
    """Base the outbox's edits on at most `seen_at_most`, the restored server's version.

    An edit's base version says which server state its author saw; the restored server
    hands those numbers out again, to changes the author never saw (other desks' re-sent
    ones among them). Capped, such a field counts as edited concurrently and the merge
    rules decide with both values logged, instead of the edit overwriting it unseen. The
    restored server held at most the state at `seen_at_most` (the backup), and the author
    did see that part.
    """
    connection.execute(update(OutboxEntry).values(
        base_version=func.min(OutboxEntry.base_version, seen_at_most)))


def forget_versions(connection: Connection) -> None:
    """Mark every local row as not yet seen at any server version.

    The restored server hands out versions again from below where this replica's copies
    stand, and a pull never takes a row back to an older version: without this the download
    that follows would keep every local copy as it is.
    """
    for name in SYNCED_TABLES:
        connection.execute(update(table_of(name)).values(version=0))
