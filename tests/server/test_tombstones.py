"""Tombstone compaction: deleted rows stay until every active device has pulled past them."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import create_engine, select, update

from institute_core.schema import table_of
from sync_server.settings import sqlalchemy_url
from tests.server.helpers import build_school, new_row, now


def _exists(url: str, table: str, row_id: uuid.UUID) -> bool:
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            t = table_of(table)
            return conn.execute(select(t.c.id).where(t.c.id == row_id)).first() is not None
    finally:
        engine.dispose()


def _last_seen(url: str, device_id: uuid.UUID, days_ago: int) -> None:
    engine = create_engine(sqlalchemy_url(url))
    devices = table_of("sync_devices")
    with engine.begin() as conn:
        conn.execute(update(devices).where(devices.c.device_id == device_id)
                     .values(last_seen_at=now() - timedelta(days=days_ago)))
    engine.dispose()


def test_compaction_waits_for_active_devices_and_resets_the_ones_away(  # type: ignore[no-untyped-def]
        device, staff, server_db) -> None:
    admin = device("admin@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    topic = uuid.uuid4()
    [made] = admin.push(admin.change("topics", topic, new_row(
        subject_id=school.subject, name="Old topic", order_index=2,
        estimated_duration_minutes=30)))
    away = device("f1@example.org")  # pulls now, then leaves for months
    away.pull_all()
    long_ago = now() - timedelta(days=100)
    [deleted] = admin.push(admin.change("topics", topic, {"deleted_at": long_ago},
                                        base_version=made["version"]))
    # The subject is deleted too, but a live topic still refers to it: it must stay.
    admin.push(admin.change("subjects", school.subject, {"deleted_at": long_ago},
                            base_version=school.versions["subjects"]))
    admin.pull_all()
    late = device("c@example.org")  # active, but has not pulled since the delete

    held = admin.http.post("/v1/admin/compact", headers=admin.headers())
    assert held.status_code == 200, held.text
    assert held.json()["removed"] == {}
    assert _exists(server_db, "topics", topic)

    late.pull_all()
    _last_seen(server_db, away.device_id, days_ago=100)  # away longer than the window
    done = admin.http.post("/v1/admin/compact", headers=admin.headers()).json()
    assert done["removed"] == {"topics": 1}
    assert done["compacted_version"] == deleted["version"]
    assert not _exists(server_db, "topics", topic)
    assert _exists(server_db, "subjects", school.subject)

    # The device that was away must download its scope again; the others carry on.
    assert away.pull_page(away.cursor)["reset_required"]
    assert not late.pull_page(late.cursor)["reset_required"]
    # An edit of the removed row (from a device that still had it) never recreates it.
    [edit] = away.push(away.change("topics", topic, {"name": "Revived?"},
                                   base_version=deleted["version"]))
    assert edit["outcome"] == "rejected" and "removed from the server" in edit["reason"]
    assert not _exists(server_db, "topics", topic)


def test_only_admins_compact_or_list_devices(device, staff) -> None:  # type: ignore[no-untyped-def]
    faculty = device("f1@example.org")
    for method, path in (("post", "/v1/admin/compact"), ("get", "/v1/admin/devices")):
        r = getattr(faculty.http, method)(path, headers=faculty.headers())
        assert r.status_code == 403 and r.json()["error"] == "forbidden"
