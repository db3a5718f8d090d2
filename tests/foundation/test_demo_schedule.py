"""The demo's calendar is one a person could have scheduled: every session and batch meeting
passes the checks the app makes when someone schedules (`services.sessions.recheck`, the same
warnings `schedule_individual` and `schedule_batch_meeting` give), and nobody teaches more than
their available hours."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from institute_core.analytics.period import Period
from institute_core.analytics.utilization import faculty_utilization
from institute_core.demo import DemoData, generate
from institute_core.enums import BatchStatus, SessionStatus
from institute_core.replica import Replica
from institute_core.schema import FlexibleBatch, LearningSession
from institute_core.services.common import SessionKey
from institute_core.services.schedule import batch_slot, meets_on
from institute_core.services.sessions import recheck


def test_every_demo_session_passes_the_apps_scheduling_checks(
        small_replica_dir: Path, small_demo: DemoData) -> None:
    horizon = small_demo.today + timedelta(days=7)
    replica = Replica.open(small_replica_dir)
    try:
        with replica.read() as session:
            keys = [SessionKey.individual(sid, on) for sid, on in session.execute(
                select(LearningSession.id, LearningSession.session_date).where(
                    LearningSession.status != SessionStatus.CANCELLED.value))]
            for batch in session.scalars(select(FlexibleBatch).where(
                    FlexibleBatch.status == BatchStatus.ACTIVE.value)):
                day = batch.start_date
                while day <= min(horizon, batch.end_date or horizon):
                    if meets_on(batch.schedule, day):
                        keys.append(SessionKey.batch(batch.id, day))
                    day += timedelta(days=1)
            assert len(keys) > 1000
            warned = {key: found for key in keys if (found := recheck(session, key))}
    finally:
        replica.close()
    kinds = Counter(w.split(" ")[0] if "overlaps" not in w else "overlaps"
                    for found in warned.values() for w in found)
    assert not warned, f"{len(warned)} of {len(keys)} sessions break a limit: {dict(kinds)}; " \
                       f"first: {next(iter(warned.values()))}"


def test_nobody_teaches_beyond_their_available_hours(small_replica_dir: Path,
                                                     small_demo: DemoData) -> None:
    today = small_demo.today
    replica = Replica.open(small_replica_dir)
    try:
        with replica.read() as session:
            months = faculty_utilization(session, Period(today - timedelta(days=180), today))
            weeks = faculty_utilization(session, Period(today - timedelta(days=27), today))
    finally:
        replica.close()
    for figures in (months, weeks):
        shares = [u.utilization for u in figures if u.utilization is not None]
        assert shares and max(shares) <= 100, sorted(shares)[-3:]
    assert max(u.utilization or 0 for u in weeks) >= 30, "the demo faculty do teach"


@pytest.mark.parametrize("today", [date(2026, 11, 30) + timedelta(days=n) for n in range(7)],
                         ids=lambda d: d.strftime("%a"))
def test_no_faculty_member_meets_two_batches_at_once_whatever_the_day(today: date) -> None:
    """The demo is built around "today": whichever weekday that is, no faculty member's batches
    meet at overlapping hours while both run (the check above sees only the one real today)."""
    demo = generate("small", seed=7, today=today)
    meetings: dict[tuple[object, date], list[tuple[time, time, str]]] = defaultdict(list)
    for batch in demo.tables["flexible_batches"]:
        if batch["status"] != BatchStatus.ACTIVE.value and batch["end_date"] is None:
            continue
        day, last = batch["start_date"], batch["end_date"] or today + timedelta(days=7)
        while day <= last:
            if meets_on(batch["schedule"], day):
                start, end = batch_slot(batch["schedule"], day)
                assert start is not None and end is not None
                meetings[(batch["faculty_id"], day)].append((start, end, batch["name"]))
            day += timedelta(days=1)
    clashes = [(on, a[2], b[2]) for (_, on), spans in meetings.items()
               for i, a in enumerate(spans) for b in spans[i + 1:]
               if a[0] < b[1] and b[0] < a[1]]
    assert not clashes, f"{len(clashes)} overlapping batch meetings, first: {clashes[0]}"
