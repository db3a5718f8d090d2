"""Daily triggers the server runs in the dispatcher's loop: fee reminders (due in N days /
overdue), students at risk, follow-ups due.

Once per institute day (INSTITUTE_TIME_ZONE), the first dispatcher round of the day runs the
core's jobs (institute_core/messaging: `fee_reminders`, `at_risk_alerts`,
`follow_up_reminders`) in one PostgreSQL transaction, under an advisory lock so that of several
dispatcher processes one runs them at a time (the others find the day's messages already
there: each is keyed by event, trigger, student or follow-up, and day). The new messages take
versions of the server's version clock, so desks pull them like any row, and the dispatcher
admits and sends them in its next round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from institute_core.messaging.events import at_risk_alerts, follow_up_reminders
from institute_core.messaging.fee_reminders import fee_reminders
from institute_core.schema import Message
from institute_core.schema.types import utcnow
from sync_server.sync.versions import VersionClock

log = logging.getLogger("sync_server.messages")

Job = Callable[[Session, date], list[Message]]
JOBS: tuple[Job, ...] = (fee_reminders, at_risk_alerts, follow_up_reminders)
# pg_try_advisory_xact_lock key of the daily run (a range nothing else uses).
_LOCK = 0x5E19_D411


class DailyTriggers:
    """Runs the daily jobs at most once per institute day and process."""

    def __init__(self, engine: Engine, zone: str = "Asia/Kolkata",
                 now: Callable[[], datetime] = utcnow, jobs: Sequence[Job] = JOBS) -> None:
        self._engine = engine
        self._zone = ZoneInfo(zone)
        self._now = now
        self._jobs = tuple(jobs)
        self.done_for: date | None = None

    def today(self) -> date:
        return self._now().astimezone(self._zone).date()

    def run_due(self) -> int | None:
        """Run today's jobs unless done; the messages queued (None: nothing to do now, or
        another process holds the lock - the next round tries again). Each job has its own
        transaction: one that fails is logged and leaves the others' messages standing."""
        today = self.today()
        if self.done_for == today:
            return None
        made = 0
        for job in self._jobs:
            try:
                found = self._run(job, today)
            except Exception:  # a broken job must not stop the others nor the dispatcher
                log.exception("daily trigger %s of %s failed", job.__name__, today)
                continue
            if found is None:
                return None
            made += found
        self.done_for = today
        if made:
            log.info("daily triggers of %s: %d messages queued", today, made)
        return made

    def _run(self, job: Job, today: date) -> int | None:
        with self._engine.begin() as conn:
            if not conn.execute(text("SELECT pg_try_advisory_xact_lock(:key)"),
                                {"key": _LOCK}).scalar():
                return None
            with Session(bind=conn, autoflush=True) as session:
                made = job(session, today)
                if made:
                    clock = VersionClock(conn)
                    clock.expect(len(made))
                    for message in made:
                        message.version = clock.next()
                    session.flush()
            return len(made)
