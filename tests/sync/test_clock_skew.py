"""A desk whose clock runs ahead: its own edits keep their order (issue 13 item 4)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from institute_core.schema import ConflictLogEntry, table_of
from institute_core.sync.account import sync_replica
from institute_core.sync.hlc import wall_clock_ms
from sync_server.settings import make_engine
from tests.support.server import ServerProcess
from tests.sync.builders import add_student, get_field, set_fields, waiting_tables
from tests.sync.conftest import FAST_RETRY, Desk, Institute, open_desk

TWO_DAYS_MS = 2 * 24 * 3600 * 1000


def _sync(desk: Desk) -> None:
    sync_replica(desk.replica, desk.credentials, retry=FAST_RETRY)


def _server_conflict_values(url: str) -> list[object]:
    conflicts = table_of("sync_conflicts")
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return [v for row in c.execute(select(conflicts)).mappings()
                    for v in (row["kept_value"], row["lost_value"])]
    finally:
        engine.dispose()


def test_a_desk_ahead_of_the_server_keeps_its_own_later_edit(
        institute: Institute, server: ServerProcess, desks: list[Desk], tmp_path: Path) -> None:
    admin, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"])
    student = add_student(admin.replica, admin.user_id, "ENR-SKEW")
    set_fields(admin.replica, admin.user_id, "students", student, address="server's old value")
    _sync(admin)
    ahead, _ = open_desk(desks, tmp_path, server.base_url, institute.emails["admin"],
                         name="admin-laptop-ahead")
    ahead.replica.clock._physical = lambda: wall_clock_ms() + TWO_DAYS_MS
    ahead.replica.clock.offset_ms = 0  # its clock went wrong after its last sync

    # Offline, the same field twice (and another field between), then one push: the server
    # caps both stamps to its own time, where they can no longer tell which came first.
    set_fields(ahead.replica, ahead.user_id, "students", student, address="first draft")
    set_fields(ahead.replica, ahead.user_id, "students", student, learning_style="visual")
    set_fields(ahead.replica, ahead.user_id, "students", student, address="final address")
    _sync(ahead)
    assert waiting_tables(ahead.replica) == []

    _sync(admin)
    for desk in (ahead, admin):
        assert get_field(desk.replica, "students", student, "address") == "final address"
        assert get_field(desk.replica, "students", student, "learning_style") == "visual"
        with desk.replica.read() as s:
            logged = s.scalars(select(ConflictLogEntry.field)).all()
        assert "address" not in logged, "a desk's own later edit is no conflict"
    assert "final address" not in _server_conflict_values(institute.url)

    # A real later edit elsewhere still wins over the capped stamps, as before.
    set_fields(admin.replica, admin.user_id, "students", student, address="real later edit")
    _sync(admin)
    _sync(ahead)
    assert get_field(ahead.replica, "students", student, "address") == "real later edit"
