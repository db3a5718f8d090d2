"""The demo's calendar is one a person could have scheduled: every session and batch meeting
passes the checks the app makes when someone schedules (`services.sessions.recheck`, the same
warnings `schedule_individual` and `schedule_batch_meeting` give), and nobody teaches more than
their available hours."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from institute_core.analytics.period import Period
from institute_core.analytics.utilization import faculty_utilization
from institute_core.demo import DemoData
from institute_core.enums import BatchStatus, SessionStatus
from institute_core.replica import Replica
from institute_core.schema import FlexibleBatch, LearningSession
from institute_core.services.common import SessionKey
from institute_core.services.schedule import meets_on
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
