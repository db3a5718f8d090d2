"""The merge rules as a table of worked examples (the same ones docs/sync.md explains)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from institute_core.sync.hlc import MAX_FUTURE_MS, Timestamp
from institute_core.sync.merge import (
    ConflictKind,
    FieldStamp,
    Incoming,
    incoming_wins,
    merge_change,
)
from institute_core.sync.wire import Outcome

OWNER, OTHER, THIRD = (uuid.UUID(int=i) for i in (1, 2, 3))
DEV_A, DEV_B = uuid.UUID(int=10), uuid.UUID(int=11)
NOW = 1_800_000_000_000  # the server's clock in the examples
DELETED_AT = datetime(2026, 1, 2, tzinfo=UTC)


def stamp(ms: int, device: uuid.UUID = DEV_A) -> str:
    return Timestamp(ms, 0, str(device)).encode()


@dataclass(frozen=True)
class Example:
    name: str
    server: dict[str, Any]                 # server row
    stamps: dict[str, FieldStamp]          # who last set which server field
    row_version: int
    fields: dict[str, Any]                 # the incoming change
    base_version: int
    author: uuid.UUID
    hlc_ms: int
    apply: dict[str, Any]                  # expected writes
    outcome: Outcome
    conflicts: list[tuple[str, ConflictKind, Any, Any]]  # field, kind, kept, lost


S = {"notes": "old", "phone": "1", "deleted_at": None}

EXAMPLES = [
    Example("1 unchanged since base: applies", S, {"notes": FieldStamp(5)}, 5,
            {"notes": "new"}, 5, OTHER, NOW, {"notes": "new"}, Outcome.APPLIED, []),
    Example("2 concurrent edit of another field: merges", S,
            {"phone": FieldStamp(7, stamp(NOW - 10), THIRD, DEV_B), "notes": FieldStamp(5)}, 7,
            {"notes": "new"}, 5, OTHER, NOW, {"notes": "new"}, Outcome.MERGED, []),
    Example("3 same field, owner's edit arrives second and wins", S,
            {"notes": FieldStamp(7, stamp(NOW), OTHER, DEV_B)}, 7,
            {"notes": "owner"}, 5, OWNER, NOW - 60_000, {"notes": "owner"}, Outcome.WON,
            [("notes", ConflictKind.OWNER_WINS, "owner", "old")]),
    Example("4 same field, owner's value on the server stays", S,
            {"notes": FieldStamp(7, stamp(NOW - 60_000), OWNER, DEV_B)}, 7,
            {"notes": "later"}, 5, OTHER, NOW, {}, Outcome.LOST,
            [("notes", ConflictKind.OWNER_WINS, "old", "later")]),
    Example("5 neither is owner: later stamp wins", S,
            {"notes": FieldStamp(7, stamp(NOW - 1000), THIRD, DEV_B)}, 7,
            {"notes": "later"}, 5, OTHER, NOW, {"notes": "later"}, Outcome.WON,
            [("notes", ConflictKind.LATER_WINS, "later", "old")]),
    Example("6 neither is owner: earlier stamp loses", S,
            {"notes": FieldStamp(7, stamp(NOW), THIRD, DEV_B)}, 7,
            {"notes": "earlier"}, 5, OTHER, NOW - 1000, {}, Outcome.LOST,
            [("notes", ConflictKind.LATER_WINS, "old", "earlier")]),
    Example("7 same value on both sides: no conflict", S,
            {"notes": FieldStamp(7, stamp(NOW), THIRD, DEV_B)}, 7,
            {"notes": "old"}, 5, OTHER, NOW - 1000, {}, Outcome.MERGED, []),
    Example("8 clock 2 days ahead is capped to server time, then loses to a later edit", S,
            {"notes": FieldStamp(7, stamp(NOW + 5_000), THIRD, DEV_B)}, 7,
            {"notes": "skewed"}, 5, OTHER, NOW + 2 * 86_400_000, {}, Outcome.LOST,
            [("notes", ConflictKind.LATER_WINS, "old", "skewed")]),
    Example("9 stamped value vs import (no stamp): the edit wins", S, {}, 7,
            {"notes": "typed"}, 5, OTHER, NOW, {"notes": "typed"}, Outcome.WON,
            [("notes", ConflictKind.LATER_WINS, "typed", "old")]),
    Example("10 edit of a row deleted on the server: refused, logged", {**S,
            "deleted_at": DELETED_AT}, {"deleted_at": FieldStamp(7, stamp(NOW), THIRD, DEV_B)},
            7, {"notes": "edit"}, 5, OWNER, NOW, {}, Outcome.LOST,
            [("notes", ConflictKind.DELETED_ROW, "old", "edit")]),
    Example("11 explicit undelete is an ordinary edit", {**S, "deleted_at": DELETED_AT},
            {"deleted_at": FieldStamp(7, stamp(NOW - 10), THIRD, DEV_B)}, 7,
            {"deleted_at": None, "notes": "back"}, 7, OTHER, NOW,
            {"deleted_at": None, "notes": "back"}, Outcome.APPLIED, []),
    Example("12 delete against a concurrent edit of another field: delete applies", S,
            {"notes": FieldStamp(7, stamp(NOW - 10), THIRD, DEV_B),
             "deleted_at": FieldStamp(3)}, 7, {"deleted_at": DELETED_AT}, 5, OTHER, NOW,
            {"deleted_at": DELETED_AT},
            Outcome.MERGED, []),
    Example("13 two deletes agree", {**S, "deleted_at": DELETED_AT},
            {"deleted_at": FieldStamp(7, stamp(NOW - 10), THIRD, DEV_B)}, 7,
            {"deleted_at": datetime(2026, 1, 3, tzinfo=UTC)}, 5, OTHER, NOW, {},
            Outcome.MERGED, []),
    Example("14 same device's later edit follows its earlier one, stamps capped alike", S,
            {"notes": FieldStamp(7, stamp(NOW), OWNER, DEV_A)}, 7,
            {"notes": "second"}, 5, OTHER, NOW + 2 * 86_400_000, {"notes": "second"},
            Outcome.MERGED, []),
]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_worked_example(example: Example) -> None:
    change = Incoming(uuid.uuid4(), example.fields, stamp(example.hlc_ms), example.author,
                      DEV_A, example.base_version)
    decision = merge_change(example.server, example.stamps, example.row_version, change,
                            OWNER, NOW)
    assert decision.apply == example.apply
    assert decision.outcome == example.outcome
    assert [(c.field, c.kind, c.kept_value, c.lost_value) for c in decision.conflicts] == \
        example.conflicts
    for conflict in decision.conflicts:
        assert conflict.kept.author != conflict.lost.author or conflict.kept.author is None \
            or conflict.kind == ConflictKind.DELETED_ROW


def test_new_row_applies_whole() -> None:
    change = Incoming(uuid.uuid4(), {"notes": "x"}, stamp(NOW), OTHER, DEV_A, 0)
    decision = merge_change(None, {}, 0, change, None, NOW)
    assert decision.apply == {"notes": "x"} and decision.outcome == Outcome.APPLIED


def test_future_stamp_is_recorded_capped() -> None:
    change = Incoming(uuid.uuid4(), {"notes": "x"}, stamp(NOW + MAX_FUTURE_MS + 1), OTHER,
                      DEV_A, 0)
    assert Timestamp.parse(merge_change(None, {}, 0, change, None, NOW).hlc).wall_ms == NOW


def test_timestamp_ties_are_broken_by_device_then_kept_on_the_server() -> None:
    a = FieldStamp(1, Timestamp(NOW, 0, str(DEV_A)).encode(), OTHER)
    b = FieldStamp(1, Timestamp(NOW, 0, str(DEV_B)).encode(), THIRD)
    assert incoming_wins(b, a, None) == (True, ConflictKind.LATER_WINS)
    assert incoming_wins(a, b, None) == (False, ConflictKind.LATER_WINS)
    assert incoming_wins(a, a, None) == (False, ConflictKind.LATER_WINS)


def test_updated_at_takes_the_later_value_without_conflict() -> None:
    early, late = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 5, tzinfo=UTC)
    server = {**S, "updated_at": late}
    change = Incoming(uuid.uuid4(), {"notes": "n", "updated_at": early}, stamp(NOW), OTHER,
                      DEV_A, 5)
    decision = merge_change(server, {}, 5, change, OWNER, NOW)
    assert decision.apply == {"notes": "n"} and decision.conflicts == []
