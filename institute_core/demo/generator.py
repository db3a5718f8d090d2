"""`generate()`: the whole demo institute as plain rows, deterministic for a seed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Any

from institute_core.collector import no_collection_pauses
from institute_core.demo.branches import make_branches
from institute_core.demo.context import Context, Row, size_spec
from institute_core.demo.engagement import (
    make_feedback,
    make_inquiries,
    make_reports,
    make_rewards,
)
from institute_core.demo.logins import DEMO_LOGINS, PasswordHashes
from institute_core.demo.people import make_people
from institute_core.demo.syllabus import make_syllabus
from institute_core.demo.teaching import make_teaching


@dataclass
class DemoData:
    """Rows per synced table, in `SYNCED_TABLES` order (parents first)."""

    size: str
    seed: int
    today: date
    tables: dict[str, list[Row]]

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.tables.items()}

    @property
    def total_rows(self) -> int:
        return sum(len(rows) for rows in self.tables.values())

    def logins(self) -> dict[str, tuple[str, str]]:
        return dict(DEMO_LOGINS)


def generate(size: str = "default", seed: int = 7, *, today: date | None = None,
             version: int = 1) -> DemoData:
    """Build the demo institute in memory.

    `today` anchors the six months of history and the coming week of scheduled sessions
    (default: the real today, so the faculty login always has sessions today); `version` is
    written into every row (1 for a server load, 0 for a standalone replica). Raises
    ValueError for an unknown size.
    """
    spec = size_spec(size)
    rng = random.Random(seed)
    ctx = Context(rng, today or date.today(), version)
    # The rows hold no cycles, yet every collection walked all of them (over a million dicts
    # on the large demo): more than the generation itself cost.
    with no_collection_pauses():
        hashes = PasswordHashes(rng.randbytes(16))
        people = make_people(ctx, spec, hashes)
        subjects = make_syllabus(ctx)
        make_teaching(ctx, people, subjects)
        make_inquiries(ctx, people, subjects, spec.inquiries)
        make_feedback(ctx, people)
        make_rewards(ctx, people)
        make_reports(ctx, people)
        make_branches(ctx, people, spec.branches)
    return DemoData(size, seed, ctx.today, ctx.tables)


def describe(data: DemoData) -> dict[str, Any]:
    """A small JSON-able record of what was generated (kept in the replica's sync_state)."""
    return {"size": data.size, "seed": data.seed, "today": data.today.isoformat(),
            "rows": data.total_rows}
