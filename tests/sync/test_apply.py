"""Applying pulled pages and confirming pushes on a replica (no server needed for these rules)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from institute_core.access import permissions as perms
from institute_core.replica import Replica
from institute_core.schema import MAIN_BRANCH_ID, ConflictLogEntry, OutboxEntry
from institute_core.sync import wire
from institute_core.sync.apply import CURSOR_KEY, PARKED_KEY, apply_page, retry_parked
from institute_core.sync.check import empty_tables, local_counts, remove_unsent
from institute_core.sync.outbox import confirm, push_body, read_batch, rejected_changes
from tests.sync.builders import (
    add_student,
    add_subject,
    get_field,
    replica_rows,
    set_fields,
    waiting_tables,
)


def _as_server_rows(source: Replica, tables: tuple[str, ...], version: int = 7
                    ) -> list[wire.PulledRow]:
    """The source replica's rows as a server page would carry them."""
    rows = []
    for table, by_id in replica_rows(source, tables).items():
        for row_id, values in by_id.items():
            values = {k: v for k, v in values.items() if k not in ("id", "version")}
            rows.append(wire.PulledRow(table=table, id=uuid.UUID(row_id), version=version,
                                       values=values))
    return rows


def _open(tmp_path: Path, name: str) -> Replica:
    return Replica.open(tmp_path / name)


def test_page_is_applied_with_server_versions_and_cursor(tmp_path: Path) -> None:
    source, desk = _open(tmp_path, "server"), _open(tmp_path, "desk")
    subject_id, topics = add_subject(source, None)
    result = apply_page(desk, _as_server_rows(source, ("subjects", "topics")), cursor="c1")
    assert result.applied == 3 and result.parked == 0
    assert get_field(desk, "subjects", subject_id, "version") == 7
    assert get_field(desk, "topics", topics[0], "name") == "Topic 0"
    assert desk.get_state(CURSOR_KEY) == "c1"
    assert desk.pending_changes() == 0  # applying pulled rows records nothing to push


def test_pending_local_edit_survives_a_pulled_row(tmp_path: Path) -> None:
    source, desk = _open(tmp_path, "server"), _open(tmp_path, "desk")
    add_subject(source, None)
    student = add_student(source, None, "ENR-1")
    tables = ("users", "subjects", "topics", "students")
    apply_page(desk, _as_server_rows(source, tables, version=3))
    set_fields(desk, None, "students", student, address="typed offline")
    set_fields(source, None, "students", student, address="server address", status="hold")
    apply_page(desk, _as_server_rows(source, tables, version=9))
    assert get_field(desk, "students", student, "address") == "typed offline"
    assert get_field(desk, "students", student, "status") == "hold"
    assert waiting_tables(desk).count("students") == 1


def test_an_older_version_never_overwrites_a_newer_one(tmp_path: Path) -> None:
    source, desk = _open(tmp_path, "server"), _open(tmp_path, "desk")
    subject_id, _ = add_subject(source, None)
    apply_page(desk, _as_server_rows(source, ("subjects",), version=10))
    set_fields(source, None, "subjects", subject_id, name="Renamed")
    apply_page(desk, _as_server_rows(source, ("subjects",), version=4))
    assert get_field(desk, "subjects", subject_id, "name") == "Subject PY101"
    assert get_field(desk, "subjects", subject_id, "version") == 10


def test_row_without_its_parent_is_parked_then_applied_when_the_parent_arrives(
        tmp_path: Path) -> None:
    source, desk = _open(tmp_path, "server"), _open(tmp_path, "desk")
    subject_id, topics = add_subject(source, None)
    result = apply_page(desk, _as_server_rows(source, ("topics",)), cursor="c1")
    assert result.parked == 2 and result.applied == 0
    assert get_field(desk, "topics", topics[0], "name") is None
    assert len(desk.get_state(PARKED_KEY)) == 2
    assert desk.get_state(CURSOR_KEY) == "c1"  # the page still counts as pulled
    apply_page(desk, _as_server_rows(source, ("subjects",)))
    retried = retry_parked(desk)
    assert retried.parked == 0
    assert get_field(desk, "topics", topics[1], "subject_id") == subject_id
    assert desk.get_state(PARKED_KEY) == []


def test_unique_clash_with_a_local_row_is_logged_not_raised(tmp_path: Path) -> None:
    source, desk = _open(tmp_path, "server"), _open(tmp_path, "desk")
    theirs = add_student(source, None, "ENR-7")
    apply_page(desk, _as_server_rows(source, ("users",)))
    mine = add_student(desk, None, "ENR-7")  # typed offline, not uploaded yet
    result = apply_page(desk, _as_server_rows(source, ("students",)))
    assert result.collisions == 1 and result.parked == 1
    assert get_field(desk, "students", mine, "enrollment_no") == "ENR-7"
    with desk.read() as s:
        logged = s.scalars(select(ConflictLogEntry)).all()
    assert [(c.kind, c.row_id, c.field) for c in logged] == [
        ("unique_collision", theirs, "enrollment_no")]
    assert str(mine) in (logged[0].note or "")
    assert logged[0].kept_value == str(mine)  # the local row that holds the value
    # Meeting the same clash again does not log it twice.
    assert apply_page(desk, _as_server_rows(source, ("students",))).collisions == 0


def test_wire_seq_keeps_growing_after_the_outbox_empties(replica: Replica) -> None:
    add_subject(replica, None, topics=1)
    first = read_batch(replica, 100)
    sent = len(first)
    assert [p.change.seq for p in first] == list(range(1, sent + 1))
    now = int(datetime.now(UTC).timestamp() * 1000)
    confirm(replica, first, wire.PushResponse(results=[
        wire.ChangeResult(change_id=p.change.change_id, seq=p.change.seq,
                          outcome=wire.Outcome.APPLIED, version=1) for p in first],
        last_seq=sent, server_time_ms=now))
    assert replica.pending_changes() == 0
    add_subject(replica, None, code="PY102", topics=0)
    # SQLite restarts rowids at 1 in an empty table; the wire seq must not (the server would
    # take change 1 again for a duplicate and drop it).
    again = [p.change.seq for p in read_batch(replica, 100)]
    assert again == list(range(sent + 1, sent + 1 + len(again)))


def test_only_confirmed_changes_leave_the_outbox_and_rejections_are_kept(
        replica: Replica) -> None:
    add_subject(replica, None, topics=2)
    batch = read_batch(replica, 100)
    # The server got as far as the first topic and refused that one.
    refused = next(p.change for p in batch if p.change.table == "topics")
    now = int(datetime.now(UTC).timestamp() * 1000)
    results = [wire.ChangeResult(change_id=p.change.change_id, seq=p.change.seq,
                                 outcome=wire.Outcome.APPLIED)
               for p in batch if p.change.seq < refused.seq]
    results.append(wire.ChangeResult(change_id=refused.change_id, seq=refused.seq,
                                     outcome=wire.Outcome.REJECTED, reason="not yours to change"))
    done = confirm(replica, batch, wire.PushResponse(results=results, last_seq=refused.seq,
                                                     server_time_ms=now))
    assert done.done == refused.seq and [r.reason for r in done.rejected] == [
        "not yours to change"]
    left = [p.change.seq for p in read_batch(replica, 100)]
    assert left and left == list(range(refused.seq + 1, len(batch) + 1))
    kept = rejected_changes(replica)
    assert kept[0].table == "topics" and kept[0].fields["name"] == "Topic 0"


def test_counts_leave_out_rows_not_uploaded_and_repair_keeps_them(tmp_path: Path) -> None:
    source, desk = _open(tmp_path, "server"), _open(tmp_path, "desk")
    add_subject(source, None, topics=1)
    apply_page(desk, _as_server_rows(source, ("subjects", "topics")))
    mine, _ = add_subject(desk, None, code="LOCAL", topics=0)
    assert local_counts(desk)["subjects"] == 1
    # The server's repair pull names every row it holds, the migrations' main branch and
    # built-in roles too.
    removed = remove_unsent(desk, {
        "subjects": set(), "branches": {MAIN_BRANCH_ID},
        "roles": {perms.built_in_role_id(name) for name in perms.BUILT_IN_NAMES}})
    assert removed == {"topics": 1, "subjects": 1}
    assert get_field(desk, "subjects", mine, "code") == "LOCAL"  # waiting edit: kept


def test_outbox_changes_go_out_exactly_as_captured(replica: Replica) -> None:
    """SQLite writes the wire JSON of each change: it must carry what the outbox holds."""
    add_subject(replica, None, topics=1)
    student = add_student(replica, None, "ENR-9")
    set_fields(replica, None, "students", student, address="Flat 3, Müller Straße – “north”")
    with replica.read() as s:
        entries = {e.change_id: e for e in s.scalars(select(OutboxEntry))}
    batch = read_batch(replica, 100)
    assert len(batch) == len(entries)
    for pending in batch:
        entry = entries[pending.change_id]
        change = pending.change
        assert (change.change_id, change.seq, change.table, change.row_id, change.fields,
                change.hlc, change.author_id, change.device_id, change.base_version) == (
            entry.change_id, entry.seq, entry.table_name, entry.row_id, entry.fields,
            entry.hlc, entry.author_id, entry.device_id, entry.base_version)
        assert (pending.seq, pending.table, pending.row_id) == (
            entry.seq, entry.table_name, entry.row_id)
    edit = next(p.change for p in batch if p.change.fields.get("address"))
    assert edit.fields["address"] == "Flat 3, Müller Straße – “north”"
    body = wire.PushRequest.model_validate_json(push_body(replica.device_id, batch))
    assert [c.change_id for c in body.changes] == [p.change_id for p in batch]


def test_a_first_download_does_not_list_tables_that_were_empty(tmp_path: Path) -> None:
    source, desk = _open(tmp_path, "server"), _open(tmp_path, "desk")
    add_subject(source, None, topics=2)
    before = empty_tables(desk)
    # A fresh replica holds only what its migrations seed (the main branch, built-in roles).
    assert {"subjects", "topics", "students", "session_attendance"} <= before
    assert "roles" not in before and "branches" not in before
    apply_page(desk, _as_server_rows(source, ("subjects", "topics")))
    assert not {"subjects", "topics"} & empty_tables(desk)
    # What the download brought into an empty table stays; seeded rows are still checked.
    removed = remove_unsent(desk, {"roles": {perms.built_in_role_id(name)
                                             for name in perms.BUILT_IN_NAMES}}, before)
    assert removed == {"branches": 1}
    assert local_counts(desk)["topics"] == 2 and local_counts(desk)["subjects"] == 1


def test_a_malformed_value_sets_apart_only_its_row(tmp_path: Path) -> None:
    """Rows are converted a column at a time; one bad value must not cost its neighbours."""
    source, desk = _open(tmp_path, "server"), _open(tmp_path, "desk")
    ids = [add_subject(source, None, code=f"PY{n}", topics=0)[0] for n in range(3)]
    rows = {row.id: row for row in _as_server_rows(source, ("subjects",))}
    bad, whole_float, plain = (rows[i] for i in ids)
    page = [wire.PulledRow(table="subjects", id=bad.id, version=7,
                           values={**bad.values, "duration_hours": "forty"}),
            wire.PulledRow(table="subjects", id=whole_float.id, version=7,
                           values={**whole_float.values, "duration_hours": 40.0}),
            plain]
    result = apply_page(desk, page)
    assert result.applied == 2 and result.parked == 1
    assert get_field(desk, "subjects", bad.id, "name") is None
    assert get_field(desk, "subjects", whole_float.id, "duration_hours") == 40
    assert get_field(desk, "subjects", plain.id, "name") == "Subject PY2"
    [parked] = desk.get_state(PARKED_KEY)
    assert parked["id"] == str(bad.id) and "subjects.duration_hours" in parked["reason"]


def test_a_download_into_empty_tables_still_takes_rows_sent_again(tmp_path: Path) -> None:
    """Rows of tables a download began empty are inserted outright; a row already there (sent
    again in a newer version, or edited here meanwhile) is compared as on any pull."""
    source, desk = _open(tmp_path, "server"), _open(tmp_path, "desk")
    subject_id, topics = add_subject(source, None)
    fresh = empty_tables(desk)
    assert {"subjects", "topics"} <= fresh
    first = apply_page(desk, _as_server_rows(source, ("subjects", "topics"), version=3),
                       fresh=fresh)
    assert first.applied == 3 and "topics" not in first.seen
    set_fields(desk, None, "topics", topics[0], name="typed offline")
    set_fields(source, None, "topics", topics[0], name="server name", order_index=9)
    set_fields(source, None, "subjects", subject_id, name="Renamed")
    again = apply_page(desk, _as_server_rows(source, ("subjects", "topics"), version=5),
                       fresh=fresh)
    assert again.applied == 3 and again.parked == 0
    assert get_field(desk, "subjects", subject_id, "name") == "Renamed"
    assert get_field(desk, "topics", topics[0], "name") == "typed offline"  # waits in the outbox
    assert get_field(desk, "topics", topics[0], "order_index") == 9
    assert get_field(desk, "topics", topics[1], "version") == 5
