"""Numbered documents (receipts, credit notes, certificates) whose numbers never collide.

A number reads `<financial year>/<series>/<sequence>`, e.g. `2026-27/D07/000123`: the Indian
financial year (April to March), the series of the desk that issued it, and a sequence within
both. A certificate's number starts with its student's branch code, `MAIN/2026-27/D07/000123`
(the sequence is the series', whatever the branch).

The server gives every registered device a short series code of its own
(`sync_devices.series_code`), so two desks offline at the same time can never issue the same
number, and it refuses on push a number outside the pushing device's series (the policy's
`numbers` declaration, sync_server/sync/push.py).

A desk continues its sequence from the larger of the highest number of its series it holds and
a counter it keeps in its own state (rows it can no longer see, e.g. of a student moved to
another counselor, still took their numbers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from institute_core.schema import SyncState, table_of

SERIES_STATE_KEY = "series_code"
SEQUENCE_DIGITS = 6
# Short, upper-case and free of the separator: "D07", "D123".
SERIES_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")
_NUMBER = re.compile(r"^(?:(?P<branch>[A-Z0-9][A-Z0-9-]{0,15})/)?"
                     r"(?P<year>\d{4}-\d{2})/(?P<series>[A-Z][A-Z0-9]{1,7})/(?P<seq>\d{6,})$")


class NoSeries(RuntimeError):
    """This desk has no series yet: it must have connected to the server once."""

    def __init__(self) -> None:
        super().__init__("This desk has no receipt series yet: connect it to the server once "
                         "(sign in online) before it issues numbered documents.")


@dataclass(frozen=True)
class DocumentNumber:
    year: str
    series: str
    sequence: int
    branch: str | None = None  # the branch code a certificate's number starts with

    def __str__(self) -> str:
        number = f"{self.year}/{self.series}/{self.sequence:0{SEQUENCE_DIGITS}d}"
        return f"{self.branch}/{number}" if self.branch else number


def branch_label(code: str | None) -> str | None:
    """A branch code as a number's first part: upper-case letters, digits and dashes (a code
    typed with spaces or slashes cannot break the number apart), at most 16."""
    if not code:
        return None
    label = re.sub(r"[^A-Z0-9-]+", "-", code.strip().upper()).strip("-")[:16]
    return label if label and label[0].isalnum() else None


# The longest number without a branch code: "2026-27/" + an 8-character series + "/000123".
_PLAIN_LONGEST = 8 + 8 + 1 + 6


def number_branch(code: str | None, room: int) -> str | None:
    """What a money document (receipt, credit note) of the branch coded `code` starts with, in a
    column of `room` characters: the branch's label, or None (a plain number) when the branch
    has no code or its label would not fit. The desk numbers with it and the server checks a
    pushed number against it, so both agree on what a branch's number looks like."""
    label = branch_label(code)
    return label if label and len(label) + 1 + _PLAIN_LONGEST <= room else None


def financial_year(day: date) -> str:
    """The Indian financial year holding `day`: 1 April 2026 to 31 March 2027 is "2026-27"."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def series_code(sequence: int) -> str:
    """The series code of the `sequence`-th registered device: D01, D02, ... D100 ..."""
    return f"D{sequence:02d}"


def parse(number: str | None) -> DocumentNumber | None:
    """The parts of a document number, or None when it is not one."""
    match = _NUMBER.match(number or "")
    if match is None:
        return None
    return DocumentNumber(match["year"], match["series"], int(match["seq"]), match["branch"])


def in_series(number: Any, series: str | None) -> bool:
    """Whether `number` is a well-formed number of `series` (the server's push check)."""
    parsed = parse(number) if isinstance(number, str) else None
    return parsed is not None and series is not None and parsed.series == series


def next_number(session: Session, table: str, column_name: str, series: str | None,
                day: date, branch: str | None = None) -> str:
    """The next number of `series` in `table.column_name` for the financial year of `day`,
    reserved in this session's transaction (used once even if its row is later hidden).

    With `branch` (a certificate of a student of that branch) the number starts with its code,
    `MAIN/2026-27/D07/000123`; the sequence runs across every branch's numbers of the series,
    so the number stays unique by its series alone (a desk serving two branches never gives
    both a 000001, and a code shortened to fit still cannot collide)."""
    if not series or not SERIES_CODE.match(series):
        raise NoSeries()
    column = table_of(table).c[column_name]
    prefix = f"{financial_year(day)}/{series}/"
    # Plain numbers start with the prefix (the highest is the largest text); a branch's carry
    # it after their code, so those are read and compared by their sequence.
    plain = session.execute(select(func.max(column))
                            .where(column.like(prefix + "%"))).scalar_one_or_none()
    branched = session.execute(select(column).where(column.like("%/" + prefix + "%"))).scalars()
    seen = max((p.sequence for p in map(parse, [plain, *branched]) if p is not None
                and f"{p.year}/{p.series}/" == prefix), default=0)
    key = f"numbering:{table}.{column_name}:{prefix}"
    state = session.get(SyncState, key)
    counted = int(state.value) if state is not None and state.value is not None else 0
    number = DocumentNumber(financial_year(day), series, max(seen, counted) + 1,
                            branch_label(branch))
    if state is None:
        session.add(SyncState(key=key, value=number.sequence))
    else:
        state.value = number.sequence
    return str(number)
