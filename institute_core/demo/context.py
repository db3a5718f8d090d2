"""What every part of the demo generation shares: the seeded RNG, the dates, and row building."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from institute_core.ids import natural_id
from institute_core.schema import MODEL_BY_TABLE, SYNCED_TABLES, table_of

Row = dict[str, Any]
HISTORY_DAYS = 182  # six months of sessions up to today
SCHEDULE_DAYS = 7  # sessions already scheduled for the coming week


@dataclass(frozen=True)
class SizeSpec:
    """How many people and inquiries a demo size has (the syllabus is the same at every size)."""

    faculty: int
    counselors: int
    admins: int
    students: int
    inquiries: int
    branches: int = 1  # centres, Main included (issue 17)


SIZES: dict[str, SizeSpec] = {
    "small": SizeSpec(faculty=6, counselors=2, admins=1, students=150, inquiries=80),
    "default": SizeSpec(faculty=40, counselors=5, admins=2, students=1500, inquiries=800),
    "large": SizeSpec(faculty=400, counselors=50, admins=5, students=15000, inquiries=8000,
                      branches=4),
}


def size_spec(size: str) -> SizeSpec:
    try:
        return SIZES[size]
    except KeyError:
        raise ValueError(f"unknown demo size {size!r}: choose one of {', '.join(SIZES)}") from None


def money(value: float | Decimal, places: str = "0.01") -> Decimal:
    """A Decimal rounded half-up to `places` (how marks and percentages are written)."""
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


class Context:
    """The generation state: one `random.Random(seed)` and the rows made so far, per table.

    Ids come from the seeded RNG (so the same seed gives the same ids); natural-key tables get
    `natural_id(table, *key)` exactly as the replica's unit of work derives them.
    """

    def __init__(self, rng: Any, today: date, version: int) -> None:
        self.rng = rng
        self.today = today
        self.start = today - timedelta(days=HISTORY_DAYS)
        self.horizon = today + timedelta(days=SCHEDULE_DAYS)
        # "Now" of the generation: a fixed moment of today, so that the same seed on the same
        # day gives identical rows.
        self.now = datetime.combine(today, time(6, 0), UTC)
        self.version = version
        self.tables: dict[str, list[Row]] = {name: [] for name in SYNCED_TABLES}
        self._columns = {name: tuple(c.name for c in table_of(name).columns)
                         for name in SYNCED_TABLES}
        self._natural = {name: MODEL_BY_TABLE[name].__natural_key__ for name in SYNCED_TABLES}

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def stamp(self, day: date, hour: int = 18, minute: int = 0) -> datetime:
        """A UTC timestamp on `day`, never later than the generation's now."""
        return min(datetime.combine(day, time(hour, minute), UTC), self.now)

    def add(self, table: str, values: Row, at: datetime) -> Row:
        """Append a complete row of `table` (every column present, unknown ones None)."""
        row: Row = dict.fromkeys(self._columns[table])
        row.update(values)
        natural = self._natural[table]
        if natural:
            row["id"] = natural_id(table, *(values[k] for k in natural))
        elif row["id"] is None:
            row["id"] = self.new_id()
        row["created_at"] = at
        row["updated_at"] = at
        row["version"] = self.version
        self.tables[table].append(row)
        return row

    def day_between(self, first: date, last: date) -> date:
        if last <= first:
            return first
        return first + timedelta(days=self.rng.randint(0, (last - first).days))

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def phone(self) -> str:
        return f"+91 9{self.rng.randint(100000000, 999999999)}"
