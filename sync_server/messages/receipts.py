"""What providers report back: delivery receipts and STOP replies, written like the
dispatcher's writes (next versions of the clock, so every desk that sees the message pulls the
new status, and every admin desk the opt-out).

MSG91 posts SMS delivery reports to its webhook (`msg91_reports`; no replies there: a STOP to
an Indian SMS route is the operator's DND list, which MSG91 reports as status 9).
The WhatsApp Business Cloud API posts both to one webhook (`whatsapp_business_account`
objects): `statuses` (sent, delivered, read, failed with `errors`) and `messages` (a reply; a
text of STOP, UNSUBSCRIBE or the like opts the sender out of WhatsApp).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from institute_core.enums import Channel, ConsentSource, DeliveryStatus
from institute_core.ids import natural_id
from institute_core.schema import table_of
from institute_core.schema.types import utcnow
from sync_server.sync.versions import VersionClock

_deliveries = table_of("message_deliveries")
_messages = table_of("messages")
_consents = table_of("message_consents")
STOP_WORDS = frozenset({"STOP", "UNSUBSCRIBE", "STOP ALL", "OPT OUT", "OPTOUT", "CANCEL"})
# What a provider's status means here: "read" is delivered too.
_STATUSES = {"delivered": DeliveryStatus.DELIVERED, "read": DeliveryStatus.DELIVERED,
             "failed": DeliveryStatus.FAILED}


def _moment(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return utcnow()


def record_status(conn: Connection, clock: VersionClock, provider_id: str, status: str,
                  at: datetime, reason: str | None = None) -> bool:
    """A provider's receipt for the delivery it knows as `provider_id`; False if unknown."""
    mapped = _STATUSES.get(status)
    if mapped is None:
        return False  # "sent" we know already
    return record_outcome(conn, clock, provider_id, mapped, at, reason)


def record_outcome(conn: Connection, clock: VersionClock, provider_id: str,
                   mapped: DeliveryStatus, at: datetime, reason: str | None = None,
                   recipient: str | None = None) -> bool:
    """Make the delivery known to its provider as `provider_id` delivered or failed (when it
    is still sent or queued; with `recipient`, only the message to that number); False when
    no such delivery changed."""
    values: dict[str, Any] = {"status": mapped.value, "version": clock.next(),
                              "updated_at": utcnow()}
    if mapped is DeliveryStatus.DELIVERED:
        values["delivered_at"] = at
    else:
        values["failure_reason"] = reason or "the provider reported it failed"
    # A late "delivered" never turns a failed message around, nor a "read" back and forth.
    where = [_deliveries.c.provider_message_id == provider_id,
             _deliveries.c.status.in_([DeliveryStatus.SENT.value, DeliveryStatus.QUEUED.value])]
    if recipient is not None:
        where.append(_deliveries.c.message_id.in_(
            select(_messages.c.id).where(_messages.c.recipient == recipient)))
    done = conn.execute(update(_deliveries).where(*where).values(values))
    return done.rowcount > 0


def record_stop(conn: Connection, clock: VersionClock, contact: str, channel: str) -> None:
    """The contact replied STOP: opted out of `channel` (one row per contact and channel)."""
    now = utcnow()
    row = {"id": natural_id("message_consents", contact, channel), "contact": contact,
           "channel": channel, "opted_out": True, "source": ConsentSource.STOP_REPLY.value,
           "note": "replied STOP", "created_at": now, "updated_at": now,
           "version": clock.next(), "deleted_at": None}
    conn.execute(pg_insert(_consents).values(row).on_conflict_do_update(
        index_elements=["id"], set_={k: row[k] for k in (
            "opted_out", "source", "note", "updated_at", "version", "deleted_at")}))


def whatsapp_webhook(conn: Connection, payload: Mapping[str, Any]) -> dict[str, int]:
    """Apply one WhatsApp webhook notification; counts of what it changed."""
    counts = {"statuses": 0, "stops": 0}
    clock = VersionClock(conn)
    for entry in payload.get("entry") or []:
        for change in (entry or {}).get("changes") or []:
            value = (change or {}).get("value") or {}
            for status in value.get("statuses") or []:
                errors = status.get("errors") or [{}]
                reason = errors[0].get("title") or errors[0].get("message")
                if record_status(conn, clock, str(status.get("id", "")),
                                 str(status.get("status", "")),
                                 _moment(status.get("timestamp")), reason):
                    counts["statuses"] += 1
            for message in value.get("messages") or []:
                text = str(((message or {}).get("text") or {}).get("body", "")).strip().upper()
                sender = str((message or {}).get("from", ""))
                if text in STOP_WORDS and sender.isdigit():
                    record_stop(conn, clock, "+" + sender, Channel.WHATSAPP.value)
                    counts["stops"] += 1
    return counts


# MSG91's delivery report status codes (its webhook help page): 1 delivered; 2 failed,
# 9 NDNC (a do-not-disturb number, promotional routes), 16 and 25 rejected, 17 blocked number.
MSG91_DELIVERED = "1"
MSG91_FAILED = {"2": "failed", "9": "NDNC (the number is on the do-not-disturb list)",
                "16": "rejected", "25": "rejected", "17": "blocked number"}
# MSG91 reports local times of India.
_MSG91_ZONE = ZoneInfo("Asia/Kolkata")


def _msg91_moment(value: Any) -> datetime:
    try:
        return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=_MSG91_ZONE)
    except ValueError:
        return utcnow()


def msg91_reports(conn: Connection, requests: list[Any]) -> dict[str, int]:
    """Apply MSG91 delivery reports: a list of {"requestId", "report": [{"number", "status",
    "desc", "failedReason", "date"}]} (webhook v2) or of flat reports with "requestId" (v3).
    Unknown request ids and statuses on the way (submitted, sent) change nothing."""
    counts = {"delivered": 0, "failed": 0, "ignored": 0}
    clock = VersionClock(conn)
    for request in requests:
        if not isinstance(request, Mapping):
            counts["ignored"] += 1
            continue
        reports = request.get("report")
        for report in reports if isinstance(reports, list) else [request]:
            if not isinstance(report, Mapping):
                counts["ignored"] += 1
                continue
            request_id = str(request.get("requestId") or report.get("requestId") or "")
            status = str(report.get("status", ""))
            number = str(report.get("number", "")).strip()
            recipient = "+" + number if number.isdigit() else None
            at = _msg91_moment(report.get("date"))
            if status == MSG91_DELIVERED:
                outcome, reason = DeliveryStatus.DELIVERED, None
            elif status in MSG91_FAILED:
                outcome = DeliveryStatus.FAILED
                reason = " – ".join(str(part) for part in dict.fromkeys((
                    report.get("desc") or MSG91_FAILED[status],
                    report.get("failedReason"))) if part)
            else:
                counts["ignored"] += 1
                continue
            if request_id and record_outcome(conn, clock, request_id, outcome, at,
                                             f"MSG91: {reason}" if reason else None,
                                             recipient):
                counts[outcome.value] += 1
            else:
                counts["ignored"] += 1
    return counts


def delivery_of(conn: Connection, provider_id: str) -> Any:
    return conn.execute(select(_deliveries).where(
        _deliveries.c.provider_message_id == provider_id)).first()
