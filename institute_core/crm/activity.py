"""An inquiry's history in time order: when it came in, its stage changes, follow-ups planned
and done (calls, visits, messages, with their outcome) and changes to its notes.

Stage and note changes come from the audit log, which holds each change with its old and new
values; a desk holds the entries of its own user (admins: everyone's), so a counselor's history
shows their own stage changes and every follow-up (those sync with the inquiry).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from institute_core.display import moment_text
from institute_core.enums import FollowUpStatus
from institute_core.replica import Replica
from institute_core.schema import AuditEntry, FollowUp, Inquiry
from institute_core.services.common import user_names

TABLE = "crm_inquiries"


@dataclass(frozen=True)
class Activity:
    """One thing that happened to an inquiry."""

    when: datetime  # aware, UTC
    kind: str  # "created", "stage", "note", "planned", "done", "missed"
    text: str
    who: str

    def line(self) -> str:
        return f"{moment_text(self.when)} · {self.text}" + (f" ({self.who})" if self.who else "")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _stage(value: object) -> str:
    return str(value or "?").replace("_", " ")


def inquiry_activity(replica: Replica, inquiry_id: uuid.UUID) -> list[Activity]:
    """Everything known here about the inquiry, oldest first."""
    with replica.read() as session:
        inquiry = session.get(Inquiry, inquiry_id)
        if inquiry is None:
            return []
        entries = session.scalars(select(AuditEntry).where(
            AuditEntry.table_name == TABLE, AuditEntry.row_id == inquiry_id)).all()
        follow_ups = session.scalars(select(FollowUp).where(
            FollowUp.inquiry_id == inquiry_id, FollowUp.deleted_at.is_(None))).all()
        people = user_names(session, {p for p in [*(e.user_id for e in entries),
                                                  *(f.counselor_id for f in follow_ups)] if p})
        found = [Activity(_aware(inquiry.created_at), "created",
                          f"Inquiry recorded (source: {_stage(inquiry.source or 'unknown')})",
                          "")]
        for e in entries:
            old, new = e.old_values or {}, e.new_values or {}
            who = people.get(e.user_id, "") if e.user_id else ""
            if "status" in new and old:
                text = f"Stage {_stage(old.get('status'))} → {_stage(new['status'])}"
                if new.get("lost_reason"):
                    text += f": {new['lost_reason']}"
                found.append(Activity(_aware(e.created_at), "stage", text, who))
            if "notes" in new and old and new["notes"]:
                found.append(Activity(_aware(e.created_at), "note", f"Note: {new['notes']}",
                                      who))
        for f in follow_ups:
            who = people.get(f.counselor_id, "")
            kind = f.follow_up_type.replace("sms", "SMS")
            if f.status == FollowUpStatus.COMPLETED.value:
                said = "; ".join(t for t in (f.outcome, f.notes) if t)
                # When its outcome was recorded: a call planned for Monday may be made Tuesday.
                found.append(Activity(_aware(f.updated_at), "done",
                                      f"{kind.capitalize()} done" + (f": {said}" if said
                                                                     else ""), who))
            elif f.status == FollowUpStatus.MISSED.value:
                found.append(Activity(_aware(f.follow_up_date), "missed",
                                      f"{kind.capitalize()} missed", who))
            else:
                found.append(Activity(_aware(f.created_at), "planned",
                                      f"{kind.capitalize()} planned for "
                                      f"{moment_text(_aware(f.follow_up_date))}", who))
    found.sort(key=lambda a: (a.when, a.kind != "created"))
    return found
