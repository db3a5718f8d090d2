"""Validate every row of a sheet before anything is written: the preview a person accepts."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from institute_core.importing.fields import Field, fields_of
from institute_core.importing.kinds import PLANNERS, RowRefused
from institute_core.importing.mapping import Mapping, missing_required
from institute_core.importing.reading import Sheet
from institute_core.importing.targets import Target
from institute_core.schema.audit import ImportKind


class RowAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


@dataclass
class RowResult:
    """One data row: its file line, what importing it would do, and why it is refused."""

    line: int
    cells: list[str]
    action: RowAction
    reasons: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)


@dataclass
class ImportPlan:
    kind: ImportKind
    file_name: str
    mapping: Mapping
    rows: list[RowResult]

    def count(self, action: RowAction) -> int:
        return sum(1 for r in self.rows if r.action is action)

    @property
    def refused(self) -> list[RowResult]:
        return [r for r in self.rows if r.action is RowAction.REFUSED]

    @property
    def writes(self) -> list[RowResult]:
        return [r for r in self.rows if r.action in (RowAction.CREATE, RowAction.UPDATE)]

    def summary(self) -> str:
        return (f"{len(self.rows)} rows: {self.count(RowAction.CREATE)} new, "
                f"{self.count(RowAction.UPDATE)} changed, {self.count(RowAction.UNCHANGED)} "
                f"unchanged, {self.count(RowAction.REFUSED)} refused")


class MappingIncomplete(ValueError):
    """Required fields have no column: nothing can be checked until they do."""


def parse_cells(cells: list[str], mapping: Mapping, fields: tuple[Field, ...]
                ) -> tuple[dict[str, Any], list[str]]:
    values: dict[str, Any] = {}
    reasons: list[str] = []
    for spec in fields:
        index = mapping.get(spec.name)
        raw = cells[index].strip() if index is not None and index < len(cells) else ""
        if not raw:
            values[spec.name] = None
            if spec.required:
                reasons.append(f"{spec.label}: is required")
            continue
        try:
            values[spec.name] = spec.parse(raw)
        except ValueError as exc:
            values[spec.name] = None
            reasons.append(f"{spec.label}: {exc}")
    return values, reasons


def build_plan(session: Session, kind: str, sheet: Sheet, mapping: Mapping) -> ImportPlan:
    """Check every row against the replica as `session` sees it; writes nothing."""
    fields = fields_of(kind)
    lacking = missing_required(mapping, fields)
    if lacking:
        raise MappingIncomplete("choose a column for " + ", ".join(f.label for f in lacking))
    planner = PLANNERS[ImportKind(kind)](session)
    results: list[RowResult] = []
    for line, cells in zip(sheet.lines, sheet.rows, strict=True):
        values, reasons = parse_cells(cells, mapping, fields)
        if any(values[f.name] is None for f in fields if f.required):
            results.append(RowResult(line, cells, RowAction.REFUSED, reasons))
            continue
        try:  # the rest is checked too, so that one pass over the file lists every problem
            targets = planner.plan(line, values)
        except RowRefused as refused:
            reasons += refused.reasons
        if reasons:
            results.append(RowResult(line, cells, RowAction.REFUSED, reasons))
            continue
        if any(t.is_new or t.restore for t in targets):
            action = RowAction.CREATE
        elif any(t.does_something for t in targets):
            action = RowAction.UPDATE
        else:
            action = RowAction.UNCHANGED
        results.append(RowResult(line, cells, action, [], targets))
    return ImportPlan(ImportKind(kind), sheet.name, dict(mapping), results)
