"""On the default demo the at-risk list is one a person can work through: well under a fifth of
the active students flagged, and the urgent ones a short list (it flagged 67 % before)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from institute_core.analytics.risk import active_students, at_risk_students
from institute_core.demo import generate, insert_rows
from institute_core.replica import Replica

# A fixed day, so the figure does not move with the calendar (the demo is built around it).
TODAY = date(2026, 12, 5)


def test_the_default_demo_flags_a_list_a_person_can_work_through(tmp_path: Path) -> None:
    replica = Replica.open(tmp_path)
    try:
        with replica.apply_remote() as connection:  # as build_demo_replica loads it
            insert_rows(connection, generate("default", today=TODAY, version=0))
        with replica.read() as db:
            active = len(db.execute(active_students()).all())
            flagged = at_risk_students(db, TODAY)
    finally:
        replica.close()
    urgent = sum(r.urgent for r in flagged)
    assert active > 800
    assert len(flagged) / active < 0.16, (len(flagged), active)
    assert urgent / active < 0.08, (urgent, active)
    assert all(r.urgent for r in flagged[:urgent]), "the urgent ones head the list"
