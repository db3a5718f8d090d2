"""Certificate numbers: each desk's own series, so desks issuing offline never collide.

A number is `CERT-<series>-<n>`: the series is derived from the desk's device id (8 hex
digits), n counts up in the replica's sync_state within the same transaction as the
certificate it numbers (a rolled-back issue gives its number back). The server's UNIQUE
constraint refuses the one-in-four-billion clash of two series with a clear error.

This is the one function to replace with the shared per-desk document numbering of the fees
work (issue 18) once it exists.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from institute_core.schema import SyncState

PREFIX = "CERT"
_COUNTER = "certificate_series_last"


def series_of(device_id: uuid.UUID) -> str:
    return device_id.hex[:8].upper()


def next_certificate_number(session: Session, device_id: uuid.UUID) -> str:
    """The next number of this desk's series, counted inside `session`'s transaction."""
    last = session.execute(select(SyncState.value).where(SyncState.key == _COUNTER)
                           ).scalar_one_or_none()
    number = int(last or 0) + 1
    session.execute(insert(SyncState).values(key=_COUNTER, value=number)
                    .on_conflict_do_update(index_elements=["key"], set_={"value": number}))
    return f"{PREFIX}-{series_of(device_id)}-{number:05d}"
