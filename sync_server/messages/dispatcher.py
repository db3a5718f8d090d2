"""The dispatcher: claims queued messages from PostgreSQL and sends them, once.

Each round
1. admits messages desks pushed that have no delivery yet: a `message_deliveries` row, status
   queued (cancelled at once when the desk cancelled the message first);
2. claims up to `batch` due deliveries `FOR UPDATE SKIP LOCKED` in one transaction, so another
   dispatcher process skips them, sends each through its channel's adapter and writes the
   outcome before the transaction ends: a message is sent by exactly one process (a process
   that dies mid-round rolls back and its messages are claimed again by the next round).

Every write takes the next versions of the server's version clock (sync_server/sync/
versions.py), so a delivery's status reaches every desk that sees the message at its next
pull. Opt-outs block, quiet hours (the branch's own where it has them) and the per-channel
rate limit defer, provider outages are retried with a doubling wait and, after
`max_attempts`, fail with the provider's reason.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, String, any_, bindparam, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert

from institute_core.enums import Channel, DeliveryStatus
from institute_core.fees.sending import RECEIPT_ATTACHMENT
from institute_core.ids import natural_id
from institute_core.messaging.segments import sms_length
from institute_core.schema import table_of
from institute_core.schema.types import utcnow
from sync_server.messages.adapters import ChannelAdapter, Outbound, Refused, Transient
from sync_server.messages.scheduled import DailyTriggers
from sync_server.messages.settings import MessagingSettings
from sync_server.receipt_pdf import receipt_pdf
from sync_server.settings import Settings
from sync_server.sync.versions import VersionClock

log = logging.getLogger("sync_server.messages")

_messages = table_of("messages")
_deliveries = table_of("message_deliveries")
_consents = table_of("message_consents")
_students = table_of("students")
_inquiries = table_of("crm_inquiries")
_branches = table_of("branches")
_payments = table_of("payments")
ADMIT_LIMIT = 2000
_CONTACTS = ARRAY(String)
# A send to make: the adapter, the claimed row, the delivery values it starts from.
_Job = tuple[ChannelAdapter, Any, dict[str, Any]]


class RateLimit:
    """A token bucket per channel: at most `per_second` sends, bursts up to one second's."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = per_second
        self._clock = clock
        self._tokens = per_second
        self._at = clock()

    def take(self) -> bool:
        if self._rate <= 0:
            return True  # 0: no limit
        now = self._clock()
        self._tokens = min(self._rate, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


@dataclass
class RoundResult:
    """What one round did, by outcome (for logs, tests and the benchmark)."""

    admitted: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, outcome: str) -> None:
        with self._lock:  # sends finish on pool threads
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    @property
    def handled(self) -> int:
        return sum(self.outcomes.values())


class Dispatcher:
    def __init__(self, engine: Engine, adapters: Mapping[str, ChannelAdapter],
                 settings: MessagingSettings, *, batch: int = 100,
                 now: Callable[[], datetime] = utcnow, daily: DailyTriggers | None = None,
                 documents: Settings | None = None) -> None:
        self._engine = engine
        # The institute's name, address, GSTIN and paper for a receipt an email carries.
        self._documents = documents or Settings()
        # Time-based triggers (fee reminders, at risk, follow-ups), once a day, in the loop.
        self._daily = daily
        self._adapters = adapters
        self._settings = settings
        self._batch = batch
        self._now = now
        self._limits = {channel: RateLimit(rate) for channel, rate in settings.rates.items()}
        self._pool = ThreadPoolExecutor(max_workers=max(1, settings.concurrency),
                                        thread_name_prefix="message-send")

    # --- admission ------------------------------------------------------------------------

    def admit(self) -> int:
        """Give messages without a delivery row one (queued, or cancelled)."""
        waiting = (select(_messages.c.id, _messages.c.student_id, _messages.c.inquiry_id,
                          _messages.c.channel, _messages.c.cancelled_at)
                   .where(_messages.c.deleted_at.is_(None),
                          ~exists().where(_deliveries.c.message_id == _messages.c.id))
                   .limit(ADMIT_LIMIT))
        with self._engine.begin() as conn:
            rows = conn.execute(waiting).all()
            if not rows:
                return 0
            now = self._now()
            clock = VersionClock(conn)
            clock.expect(len(rows))
            values = [{
                "id": natural_id("message_deliveries", r.id), "message_id": r.id,
                "student_id": r.student_id, "inquiry_id": r.inquiry_id, "channel": r.channel,
                "status": (DeliveryStatus.CANCELLED if r.cancelled_at is not None
                           else DeliveryStatus.QUEUED).value,
                "attempts": 0, "segments": 0, "cost": Decimal(0),
                "created_at": now, "updated_at": now, "version": clock.next(),
            } for r in rows]
            # Another dispatcher admitting the same message at once: its row stands.
            conn.execute(pg_insert(_deliveries).on_conflict_do_nothing(
                index_elements=["message_id"]), values)
            return len(values)

    # --- one round ------------------------------------------------------------------------

    def run_once(self) -> RoundResult:
        result = RoundResult(admitted=self.admit())
        now = self._now()
        due = (select(_deliveries.c.id, _deliveries.c.attempts, _messages.c.id.label("mid"),
                      _messages.c.channel, _messages.c.recipient, _messages.c.body,
                      _messages.c.subject, _messages.c.language,
                      _messages.c.provider_template, _messages.c.variables,
                      _messages.c.student_id,
                      _messages.c.cancelled_at, _messages.c.deleted_at)
               .join(_messages, _messages.c.id == _deliveries.c.message_id)
               .where(_deliveries.c.status == DeliveryStatus.QUEUED.value,
                      or_(_deliveries.c.next_attempt_at.is_(None),
                          _deliveries.c.next_attempt_at <= now),
                      _messages.c.send_after <= now)
               .order_by(_messages.c.send_after)
               .limit(self._batch)
               .with_for_update(of=_deliveries, skip_locked=True))
        with self._engine.begin() as conn:
            claimed = conn.execute(due).all()
            if not claimed:
                return result
            blocked = self._opted_out(conn, claimed)
            branches = self._branch_codes(conn, claimed)
            decided = [self._decide(row, now, blocked, result, branches.get(row.mid))
                       for row in claimed]
            changes = [c for c in decided if isinstance(c, dict)]
            sends = [c for c in decided if isinstance(c, tuple)]
            # Providers answer in tens of milliseconds: the round's sends go out side by side.
            changes += self._pool.map(
                lambda job: self._send(job[0], job[1], job[2], now, result), sends)
            if changes:
                clock = VersionClock(conn)
                clock.expect(len(changes))
                stamp = self._now()
                for change in changes:
                    change.update(b_version=clock.next(), b_updated_at=stamp)
                conn.execute(
                    update(_deliveries).where(_deliveries.c.id == bindparam("b_id"))
                    .values({name: bindparam(f"b_{name}") for name in _WRITTEN}), changes)
        return result

    def _opted_out(self, conn: Any, claimed: Sequence[Any]) -> set[tuple[str, str]]:
        contacts = sorted({r.recipient for r in claimed})
        found = conn.execute(select(_consents.c.contact, _consents.c.channel).where(
            _consents.c.opted_out.is_(True), _consents.c.deleted_at.is_(None),
            _consents.c.contact == any_(bindparam("contacts", contacts, type_=_CONTACTS))))
        return {(r.contact, r.channel) for r in found}

    def _branch_codes(self, conn: Any, claimed: Sequence[Any]) -> dict[Any, str]:
        """The branch code of each claimed message's student (or inquiry): its quiet hours
        and sender id. Looked up after the claim, so the locking query stays as lean as the
        benchmark needs; none when no branch has settings of its own."""
        if not self._settings.branch_quiet_hours and not self._settings.msg91_senders:
            return {}
        found = conn.execute(
            select(_messages.c.id, _branches.c.code)
            .outerjoin(_students, _students.c.id == _messages.c.student_id)
            .outerjoin(_inquiries, _inquiries.c.id == _messages.c.inquiry_id)
            .join(_branches, _branches.c.id == func.coalesce(_students.c.branch_id,
                                                             _inquiries.c.branch_id))
            .where(_messages.c.id == any_(bindparam("ids", [r.mid for r in claimed],
                                                    type_=ARRAY(_messages.c.id.type)))))
        return {r.id: r.code for r in found}

    def _decide(self, row: Any, now: datetime, blocked: set[tuple[str, str]],
                result: RoundResult, branch_code: str | None = None
                ) -> dict[str, Any] | _Job | None:
        """What to do with one claimed message: the delivery's new values, a send to make,
        or None (it stays as it is until a later round)."""
        base = {"b_id": row.id, "b_status": DeliveryStatus.QUEUED.value,
                "b_attempts": row.attempts, "b_next_attempt_at": None, "b_sent_at": None,
                "b_failure_reason": None, "b_provider_message_id": None, "b_segments": 0,
                "b_cost": Decimal(0)}
        if row.cancelled_at is not None or row.deleted_at is not None:
            result.count(DeliveryStatus.CANCELLED)
            return {**base, "b_status": DeliveryStatus.CANCELLED.value}
        if (row.recipient, row.channel) in blocked:
            result.count(DeliveryStatus.BLOCKED)
            return {**base, "b_status": DeliveryStatus.BLOCKED.value,
                    "b_failure_reason": f"{row.recipient} opted out of {row.channel}"}
        quiet = self._settings.quiet_hours_for(branch_code)
        if quiet.holds(row.channel, now):
            result.count("held")
            return {**base, "b_next_attempt_at": quiet.ends_after(now)}
        adapter = self._adapters.get(row.channel)
        if adapter is None:
            result.count("unconfigured")
            return None  # stays queued until the provider is configured
        limit = self._limits.get(row.channel)
        if limit is not None and not limit.take():
            result.count("rate_limited")
            return None  # next round
        sender = self._settings.sender_for(branch_code) if row.channel == Channel.SMS else None
        return adapter, row, {**base, "sender": sender}

    def _send(self, adapter: ChannelAdapter, row: Any, base: dict[str, Any], now: datetime,
              result: RoundResult) -> dict[str, Any]:
        """Hand one message to its provider (on a pool thread); the delivery's new values."""
        base = dict(base)
        outbound = Outbound(str(row.mid), row.channel, row.recipient, row.body, row.subject,
                            row.language, row.provider_template, row.variables,
                            base.pop("sender", None))
        attempts = row.attempts + 1
        try:
            provider_id = adapter.send(replace(outbound, attachments=self._attachments(row)))
        except Refused as exc:
            result.count(DeliveryStatus.FAILED)
            return {**base, "b_status": DeliveryStatus.FAILED.value, "b_attempts": attempts,
                    "b_failure_reason": str(exc)}
        except Transient as exc:
            if attempts >= self._settings.max_attempts:
                result.count(DeliveryStatus.FAILED)
                return {**base, "b_status": DeliveryStatus.FAILED.value, "b_attempts": attempts,
                        "b_failure_reason": f"gave up after {attempts} tries: {exc}"}
            result.count("retry")
            wait = self._settings.retry_seconds * 2 ** (attempts - 1)
            return {**base, "b_attempts": attempts, "b_failure_reason": str(exc),
                    "b_next_attempt_at": now + timedelta(seconds=min(wait, 6 * 3600))}
        segments = sms_length(row.body).segments if row.channel == Channel.SMS else 1
        price = self._settings.prices.get(row.channel, Decimal(0))
        result.count(DeliveryStatus.SENT)
        return {**base, "b_status": DeliveryStatus.SENT.value, "b_attempts": attempts,
                "b_sent_at": now, "b_provider_message_id": provider_id[:100],
                "b_segments": segments, "b_cost": price * segments}

    def _attachments(self, row: Any) -> tuple[tuple[str, bytes], ...]:
        """The receipt PDF an emailed receipt carries, drawn now from PostgreSQL; a payment
        that is not the message's student's is refused (a desk cannot mail out another
        student's receipt by naming it)."""
        wanted = (row.variables or {}).get(RECEIPT_ATTACHMENT)
        if wanted is None or row.channel != Channel.EMAIL.value:
            return ()
        try:
            payment_id = uuid.UUID(str(wanted))
        except ValueError:
            raise Refused(f"{RECEIPT_ATTACHMENT}: {wanted!r} names no payment") from None
        with self._engine.connect() as conn:
            owner = conn.execute(select(_payments.c.student_id).where(
                _payments.c.id == payment_id, _payments.c.deleted_at.is_(None))).scalar()
            if owner is None or owner != row.student_id:
                raise Refused(f"{RECEIPT_ATTACHMENT}: the receipt is not of this message's "
                              "student")
            return (receipt_pdf(conn, self._documents, payment_id),)

    # --- running --------------------------------------------------------------------------

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def run(self, stop: threading.Event, idle_seconds: float = 2.0) -> None:
        """Rounds until `stop` is set; waits `idle_seconds` when a round found nothing."""
        while not stop.is_set():
            try:
                if self._daily is not None:
                    self._daily.run_due()
                result = self.run_once()
            except Exception:  # a bad round must not end the dispatcher
                log.exception("message dispatch round failed")
                stop.wait(idle_seconds)
                continue
            if result.handled:
                log.info("messages: %s", result.outcomes)
            if not result.handled and not result.admitted:
                stop.wait(idle_seconds)


_WRITTEN = ("status", "attempts", "next_attempt_at", "sent_at", "failure_reason",
            "provider_message_id", "segments", "cost", "version", "updated_at")


def delivery_id(message_id: uuid.UUID) -> uuid.UUID:
    return natural_id("message_deliveries", message_id)
