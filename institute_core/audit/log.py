"""Reading the audit trail (admins only): filter, page, export to CSV; and recording logins."""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from institute_core.audit.names import RecordNames
from institute_core.display import date_text, moment_text
from institute_core.replica import Replica
from institute_core.schema import AuditEntry, User, table_of
from institute_core.schema.audit import AuditAction
from institute_core.setup.access import HasRole, require_admin
from institute_core.spreadsheet import SafeCsvWriter
from institute_core.sync.policy import BRANCH_OF
from institute_core.sync.scopes import in_branch_ids
from institute_core.validation import field_label

CSV_HEADER = ("when", "who", "email", "device", "action", "table", "row_id", "old_values",
              "new_values", "import_id")


def record_login(replica: Replica, user_id: uuid.UUID, *, online: bool) -> None:
    """A `login` entry for a successful sign-in on this device (it syncs like any entry)."""
    with replica.write(replica.actor(user_id)) as session:
        session.add(AuditEntry(user_id=user_id, device_id=replica.device_id,
                               action=AuditAction.LOGIN, table_name="users", row_id=user_id,
                               new_values={"online": online}))


@dataclass(frozen=True)
class AuditFilter:
    """What an admin narrows the log to; every field is optional."""

    user_id: uuid.UUID | None = None
    action: str | None = None
    table_name: str | None = None
    row_id: uuid.UUID | None = None
    import_id: uuid.UUID | None = None
    since: date | None = None
    until: date | None = None  # inclusive
    # The branch filter (issue 17): entries about rows of these branches, and those about
    # shared rows (accounts, roles, the syllabus), which concern every branch. None: all.
    branch_ids: tuple[uuid.UUID, ...] | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.user_id is not None:
            found.append(AuditEntry.user_id == self.user_id)
        if self.action:
            found.append(AuditEntry.action == self.action)
        if self.table_name:
            found.append(AuditEntry.table_name == self.table_name)
        if self.row_id is not None:
            found.append(AuditEntry.row_id == self.row_id)
        if self.import_id is not None:
            found.append(AuditEntry.import_id == self.import_id)
        if self.since is not None:
            found.append(AuditEntry.created_at >= datetime.combine(self.since, time(), UTC))
        if self.until is not None:
            found.append(AuditEntry.created_at < datetime.combine(
                self.until + timedelta(days=1), time(), UTC))
        if self.branch_ids is not None:
            found.append(about_branches(self.branch_ids))
        return found


def about_branches(branch_ids: Collection[uuid.UUID]) -> ColumnElement[bool]:
    """Entries about a row of one of `branch_ids`, worked out in SQL from what each entry is
    about (`table_name`, `row_id`) as `policy.BRANCH_OF` declares where rows live (the conflict
    list's `branch_of_row`, for a whole page at once), so the branch filter pages in the
    database. An entry about a row of no branch (a shared table, an announcement for the whole
    institute) or about no row (an import run) belongs to every branch; one about a row this
    desk does not hold, to none."""
    about_a_branch = list(BRANCH_OF)
    parts: list[ColumnElement[bool]] = [AuditEntry.table_name.not_in(about_a_branch),
                                        AuditEntry.row_id.is_(None)]
    for name in about_a_branch:
        rows = table_of(name)
        parts.append(and_(AuditEntry.table_name == name, AuditEntry.row_id.in_(
            select(rows.c.id).where(in_branch_ids(name, branch_ids)))))
    return or_(*parts)


@dataclass(frozen=True)
class AuditRow:
    id: uuid.UUID
    at: datetime
    user_id: uuid.UUID | None
    who: str
    email: str
    device_id: uuid.UUID | None
    action: str
    table_name: str
    row_id: uuid.UUID | None
    old_values: dict[str, Any] | None
    new_values: dict[str, Any] | None
    import_id: uuid.UUID | None
    # The changed record by name ("Asha Rao (PY-001)"), and each reference among the values
    # by its record's name, so the screen shows people and things, not UUIDs.
    record: str = ""
    names: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        """The changed fields in one line: `status: active → hold; batch: – → Python Evening`."""
        if self.action == AuditAction.LOGIN:
            return "signed in online" if (self.new_values or {}).get("online") else \
                "signed in offline"
        new = self.new_values or {}
        old = self.old_values or {}
        parts = [f"{self._field(k)}: {self._short(k, old.get(k))} → {self._short(k, v)}"
                 if self.old_values is not None else f"{self._field(k)}: {self._short(k, v)}"
                 for k, v in new.items()]
        return "; ".join(parts)

    def _field(self, key: str) -> str:
        return field_label(key).lower() if key.endswith("_id") else key.replace("_", " ")

    def _short(self, _key: str, value: Any) -> str:
        if value is not None and str(value) in self.names:
            return _short(self.names[str(value)])
        return _short(value)


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _short(value: Any) -> str:
    if value is None:
        return "–"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    # Stored dates and moments as the rest of the app shows them (05 Dec 2026, its own zone).
    if _ISO_DAY.fullmatch(text):
        text = date_text(date.fromisoformat(text))
    elif _ISO_MOMENT.match(text):
        with contextlib.suppress(ValueError):  # a text that only looks like a moment
            text = moment_text(datetime.fromisoformat(text))
    return text if len(text) <= 40 else text[:39] + "…"


def _query(where: AuditFilter) -> Select[Any]:
    return (select(AuditEntry, User.first_name, User.last_name, User.email)
            .outerjoin(User, User.id == AuditEntry.user_id)
            .where(AuditEntry.deleted_at.is_(None), *where.clauses())
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id))


def list_entries(replica: Replica, viewer: HasRole, where: AuditFilter = AuditFilter(),
                 *, limit: int | None = 500, offset: int = 0) -> list[AuditRow]:
    """The newest entries first that match `where`; raises NotAllowed for non-admins."""
    require_admin(viewer, "read the audit log", "audit.view")
    statement = _query(where).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    with replica.read() as session:
        rows = [_row(entry, first, last, email)
                for entry, first, last, email in session.execute(statement)]
        return _named(session, rows)


def _named(session: Session, rows: list[AuditRow]) -> list[AuditRow]:
    """Each row with its record and the references among its values named."""
    names = RecordNames(session)
    named = []
    for row in rows:
        refs: dict[str, str] = {}
        for values in (row.old_values or {}, row.new_values or {}):
            for key, value in values.items():
                shown = names.value(row.table_name, key, value)
                if shown is not value:
                    refs[str(value)] = shown
        named.append(replace(row, record=names.name(row.table_name, row.row_id), names=refs))
    return named


def count_entries(replica: Replica, viewer: HasRole, where: AuditFilter = AuditFilter()) -> int:
    require_admin(viewer, "read the audit log", "audit.view")
    with replica.read() as session:
        return int(session.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.deleted_at.is_(None), *where.clauses())).scalar_one())


def _row(entry: AuditEntry, first: str | None, last: str | None, email: str | None) -> AuditRow:
    who = f"{first or ''} {last or ''}".strip() or (
        "(system)" if entry.user_id is None
        else f"a user not on this desk ({entry.user_id.hex[:8]})")
    return AuditRow(id=entry.id, at=entry.created_at, user_id=entry.user_id, who=who,
                    email=email or "", device_id=entry.device_id, action=entry.action,
                    table_name=entry.table_name, row_id=entry.row_id,
                    old_values=entry.old_values, new_values=entry.new_values,
                    import_id=entry.import_id)


def write_csv(rows: Iterable[AuditRow], out: IO[str]) -> int:
    writer = SafeCsvWriter(out)
    writer.writerow(CSV_HEADER)
    count = 0
    for row in rows:
        writer.writerow([
            row.at.isoformat(), row.who, row.email, row.device_id or "", row.action,
            row.table_name, row.row_id or "",
            "" if row.old_values is None else json.dumps(row.old_values, ensure_ascii=False),
            "" if row.new_values is None else json.dumps(row.new_values, ensure_ascii=False),
            row.import_id or ""])
        count += 1
    return count


def export_csv(replica: Replica, viewer: HasRole, path: Path | str,
               where: AuditFilter = AuditFilter()) -> int:
    """Every entry matching `where` into a UTF-8 CSV file; returns how many rows were written."""
    rows = list_entries(replica, viewer, where, limit=None)
    with Path(path).open("w", encoding="utf-8", newline="") as out:
        return write_csv(rows, out)
