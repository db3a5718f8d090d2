"""Each device gets a series of document numbers of its own, keeps it, and gets it back after
the server was restored from a backup that did not know it; no two devices ever share one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete

from institute_core.schema import SyncDevice
from institute_core.sync.wire import SCHEMA_VERSION
from sync_server.settings import make_engine
from tests.server.helpers import Device


def _register(device: Device, series: str | None) -> Any:
    r = device.http.post("/v1/devices", headers=device.headers(), json={
        "device_id": str(device.device_id), "name": "desk", "schema_version": SCHEMA_VERSION,
        "series_code": series})
    assert r.status_code == 200, r.text
    return r.json()["series_code"]


def test_series_are_unique_kept_and_reclaimed_after_a_restore(device, staff, server_db: str  # type: ignore[no-untyped-def]
                                                              ) -> None:
    first, second = device("c@example.org"), device("admin@example.org")
    assert first.series_code and second.series_code
    assert first.series_code != second.series_code
    # Registering again keeps the code, whatever the desk claims.
    assert _register(first, None) == first.series_code
    assert _register(first, second.series_code) == first.series_code
    # A new device claiming a code another device holds gets a fresh one.
    third = Device(first.http, "f1@example.org").sign_in()
    assert _register(third, first.series_code) not in {first.series_code, second.series_code}
    # The server forgets the first device (restored from an older backup): it comes back
    # with its own series, and the sequence never hands that code out again.
    engine = make_engine(server_db)
    with engine.begin() as conn:
        conn.execute(delete(SyncDevice).where(SyncDevice.device_id == first.device_id))
    engine.dispose()
    assert _register(first, first.series_code) == first.series_code
    fresh = {Device(first.http, "f2@example.org").sign_in().series_code for _ in range(3)}
    assert first.series_code not in fresh and len(fresh) == 3


def test_a_malformed_series_claim_is_refused_with_a_clear_error(device, staff) -> None:  # type: ignore[no-untyped-def]
    desk = device("c@example.org")
    r = desk.http.post("/v1/devices", headers=desk.headers(), json={
        "device_id": str(desk.device_id), "name": "desk", "schema_version": SCHEMA_VERSION,
        "series_code": "2026-27/D01"})
    assert r.status_code == 422 and "series_code" in r.text
