"""The merge rules: how one incoming change meets the server's copy of a row, field by field.

Pure functions (no database, no web): the server calls `merge_change` for every pushed change,
the tests table worked examples against it, and docs/sync.md explains the same examples.

Per field of the change:

1. The server's field has not changed since the version the edit was based on
   (`field version <= base_version`), or its value came from the same device (a device's
   changes arrive in its own order, so its later edit follows its earlier one whatever the
   stamps say): the incoming value applies.
2. Otherwise the edits are concurrent. Equal values: nothing to decide. Different values:
   the row owner's edit wins (owner = the user the table's `__owner__` rule leads to). When both
   or neither side is the owner, the later hybrid timestamp wins; a stamp further than
   `MAX_FUTURE_MS` ahead of the server's clock is first capped to the server's time, so a laptop
   whose clock runs days ahead cannot win forever. Equal stamps (only possible for the very same
   edit) keep the server's value.
3. Delete rule: `deleted_at` merges like any field and is decided first. If the row is deleted on
   the server and stays deleted after that, the change's other fields are not applied (a row is
   never resurrected by accident); each refused value is logged as a `deleted_row` conflict and
   the change counts as lost. Setting `deleted_at` back to null is an ordinary edit (undelete)
   that merges by rule 2. Two deletes of the same row agree (the first delete time stays).
4. `created_at` keeps the server's value and `updated_at` the later one; they never conflict.

Every value that loses (the server's old value, or the incoming one) becomes a `FieldConflict`,
which the server stores in the conflict log with both values, authors, stamps and devices.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from institute_core.sync.hlc import Timestamp, cap_to_reference
from institute_core.sync.wire import Outcome

# Bookkeeping columns merged without conflicts (they differ on every device by construction).
QUIET_FIELDS = frozenset({"created_at", "updated_at"})
DELETED = "deleted_at"


class ConflictKind(StrEnum):
    OWNER_WINS = "owner_wins"
    LATER_WINS = "later_wins"
    DELETED_ROW = "deleted_row"
    UNIQUE_COLLISION = "unique_collision"


@dataclass(frozen=True)
class FieldStamp:
    """Who last set a field on the server, when (hybrid stamp) and at which version.

    `hlc` is "" for values the server has no stamp for (rows loaded by an import): every real
    stamp is later than that.
    """

    version: int
    hlc: str = ""
    author: uuid.UUID | None = None
    device: uuid.UUID | None = None


@dataclass(frozen=True)
class Incoming:
    """One pushed change with its fields already decoded to Python values."""

    change_id: uuid.UUID
    fields: Mapping[str, Any]
    hlc: str
    author: uuid.UUID | None
    device: uuid.UUID | None
    base_version: int


@dataclass(frozen=True)
class FieldConflict:
    """A value that lost (was overwritten or refused), and the value that was kept."""

    field: str
    kind: ConflictKind
    kept_value: Any
    lost_value: Any
    kept: FieldStamp
    lost: FieldStamp
    incoming_won: bool
    # Free text for a person resolving it (unique collisions name the existing row).
    note: str | None = None


@dataclass
class MergeDecision:
    """What to write (`apply`), what to log (`conflicts`) and how to report the change."""

    apply: dict[str, Any]
    conflicts: list[FieldConflict] = field(default_factory=list)
    outcome: Outcome = Outcome.APPLIED
    # The incoming stamp as the server records it (capped if it came from the far future).
    hlc: str = ""


def capped_stamp(hlc: str, reference_ms: int) -> str:
    """The stamp the server keeps for `hlc` given its own clock (see `cap_to_reference`)."""
    return cap_to_reference(Timestamp.parse(hlc), reference_ms).encode()


def _order_key(hlc: str) -> tuple[Timestamp, str]:
    if not hlc:
        return Timestamp(-1, 0, ""), ""
    return Timestamp.parse(hlc), hlc


def incoming_wins(incoming: FieldStamp, server: FieldStamp,
                  owner: uuid.UUID | None) -> tuple[bool, ConflictKind]:
    """Decide one same-field conflict: owner first, then the later stamp (server on a tie)."""
    incoming_is_owner = owner is not None and incoming.author == owner
    server_is_owner = owner is not None and server.author == owner
    if incoming_is_owner != server_is_owner:
        return incoming_is_owner, ConflictKind.OWNER_WINS
    return _order_key(incoming.hlc) > _order_key(server.hlc), ConflictKind.LATER_WINS


def merge_change(current: Mapping[str, Any] | None, stamps: Mapping[str, FieldStamp],
                 row_version: int, change: Incoming, owner: uuid.UUID | None,
                 reference_ms: int) -> MergeDecision:
    """Merge `change` into the server row `current` (None: the row does not exist yet).

    `stamps` gives the server's stamp per field (missing fields default to the row's version
    with no stamp); `owner` is the users.id that owns the row, if any.
    """
    hlc = capped_stamp(change.hlc, reference_ms)
    if current is None:
        return MergeDecision(apply=dict(change.fields), hlc=hlc)
    mine = FieldStamp(version=0, hlc=hlc, author=change.author, device=change.device)
    default = FieldStamp(version=row_version)
    decision = MergeDecision(apply={}, hlc=hlc)
    same_field = False
    lost = False

    ordered = sorted(change.fields, key=lambda name: name != DELETED)
    was_deleted = current.get(DELETED) is not None
    for name in ordered:
        if name in QUIET_FIELDS:
            continue
        new, old = change.fields[name], current.get(name)
        if name != DELETED and was_deleted and _still_deleted(current, decision):
            if new != old:
                decision.conflicts.append(FieldConflict(
                    name, ConflictKind.DELETED_ROW, old, new, stamps.get(name, default), mine,
                    incoming_won=False))
                lost = True
            continue
        if name == DELETED and new is not None and old is not None:
            continue  # deleted on both sides: the first delete stands, nothing to decide
        server = stamps.get(name, default)
        if _follows(server, change):
            if new != old:
                decision.apply[name] = new
            continue
        if new == old:
            continue
        same_field = True
        won, kind = incoming_wins(mine, server, owner)
        if won:
            decision.apply[name] = new
            decision.conflicts.append(FieldConflict(name, kind, new, old, mine, server, True))
        else:
            decision.conflicts.append(FieldConflict(name, kind, old, new, server, mine, False))
            lost = True

    if decision.apply and "updated_at" in change.fields:
        theirs, ours = change.fields["updated_at"], current.get("updated_at")
        if ours is None or (theirs is not None and theirs > ours):
            decision.apply["updated_at"] = theirs

    if lost:
        decision.outcome = Outcome.LOST
    elif same_field:
        decision.outcome = Outcome.WON
    elif row_version > change.base_version:
        decision.outcome = Outcome.MERGED
    return decision


def owner_matters(stamps: Mapping[str, FieldStamp], row_version: int, change: Incoming) -> bool:
    """Whether the row's owner could decide anything in `merge_change`: only when a field of
    the change was edited concurrently on the server (rule 2). Working out the owner follows a
    chain of parents, which the common edit, made on top of the server's values, never needs."""
    default = FieldStamp(version=row_version)
    return any(not _follows(stamps.get(name, default), change) for name in change.fields
               if name not in QUIET_FIELDS)


def _follows(server: FieldStamp, change: Incoming) -> bool:
    """Rule 1: the change was made on top of the server's value of a field – the server's
    field has not changed since the change's base version, or its value came from the device
    this change comes from. A device's changes arrive in the order of its own sequence (the
    push refuses gaps and replays), so its later edit was made on top of its earlier one,
    whatever the stamps say; stamps cannot order them (a device whose clock runs ahead has both
    capped to the server's time)."""
    return server.version <= change.base_version or (
        server.device is not None and server.device == change.device)


def _still_deleted(current: Mapping[str, Any], decision: MergeDecision) -> bool:
    """After deciding deleted_at, is the row still deleted (so other edits must not apply)?"""
    if DELETED in decision.apply:
        return decision.apply[DELETED] is not None
    return current.get(DELETED) is not None
