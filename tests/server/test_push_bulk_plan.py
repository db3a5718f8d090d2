"""A push's bulk UPDATE looks its rows up by key: it must not read the whole table to write a
few rows (the 200-desk load is pushes of 1-5 marks into the largest tables; docs/sync.md,
"6 Dec 2026 evening")."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Engine, create_engine, event

from sync_server.settings import sqlalchemy_url
from sync_server.sync.store import BatchStore


def _updates_sent(engine: Engine) -> list[tuple[str, Any]]:
    sent: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if statement.startswith("UPDATE"):
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    return sent


def test_a_small_bulk_update_reads_its_rows_by_key(server_db: str) -> None:
    engine = create_engine(sqlalchemy_url(server_db))
    try:
        with engine.begin() as conn:
            # A table of some size, as attendance is on a real institute.
            conn.exec_driver_sql(
                "INSERT INTO subjects (id, name, code, duration_hours, status, created_at, "
                "updated_at, version) SELECT gen_random_uuid(), 'S' || n, 'C' || n, 30, "
                "'active', now(), now(), n FROM generate_series(1, 5000) AS n")
            conn.exec_driver_sql("ANALYZE subjects")
            chosen = conn.exec_driver_sql("SELECT id FROM subjects LIMIT 2").scalars().all()
        sent = _updates_sent(engine)
        with engine.begin() as conn:
            store = BatchStore(conn, buffered=True)
            store.lock({"subjects": set(chosen)})
            for row_id in chosen:
                assert isinstance(row_id, uuid.UUID)
                store.update("subjects", row_id, {"name": "renamed", "version": 9_000_000})
            store.flush()
            assert len(sent) == 1
            statement, parameters = sent[0]
            plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement,
                                                                parameters))
            names = conn.exec_driver_sql(
                "SELECT DISTINCT name FROM subjects WHERE version = 9000000").scalars().all()
        assert names == ["renamed"]
        assert "Seq Scan on subjects" not in plan, plan
        assert "Index Scan" in plan, plan
    finally:
        engine.dispose()
