"""Read receipts of announcements a student opened on the portal.

Written server-side as synced `announcement_reads` rows (the receipt a desk would push, with
its natural id and the next version of the shared sequence), so the author's desk pulls them
and its board counts the student among the readers. A guardian has no account to name, so
their reading is not recorded (the receipt's reader is a users row).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert

from institute_core.ids import natural_id
from institute_core.schema import table_of
from institute_core.schema.types import utcnow
from institute_core.validation import validate_values
from sync_server.sync.versions import VersionClock

_reads = table_of("announcement_reads")


def mark_read(engine: Engine, user_id: uuid.UUID, announcement_ids: Iterable[uuid.UUID]) -> int:
    """Record that `user_id` read these announcements (once each); how many were new."""
    ids = list(announcement_ids)
    if not ids:
        return 0
    stamp = utcnow()
    written = 0
    with engine.begin() as conn:
        clock = VersionClock(conn)
        for announcement_id in ids:
            values = {"id": natural_id("announcement_reads", announcement_id, user_id),
                      "announcement_id": announcement_id, "user_id": user_id,
                      "read_at": stamp, "created_at": stamp, "updated_at": stamp}
            validate_values(_reads, values)
            # A receipt already there (read before, or pushed by a desk) stays as it is.
            written += conn.execute(insert(_reads).values(**values, version=clock.next())
                                    .on_conflict_do_nothing()).rowcount
    return written
