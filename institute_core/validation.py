"""Checks a row against the schema before it reaches the database, and explains refusals.

Every refusal is an `InvalidInput` naming the table and field, so the UI, the importer, the
sync server and the command line can all tell a person what was wrong.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Column, String, Table
from sqlalchemy.exc import IntegrityError

from institute_core.schema import Base
from institute_core.schema.documents import Shape, fits, shape_of
from institute_core.schema.rules import Rule, rules_of


class InvalidInput(ValueError):
    """A value the schema refuses; nothing was written."""

    def __init__(self, table: str, field: str | None, message: str, value: Any = None) -> None:
        self.table = table
        self.field = field
        self.message = message
        self.value = value
        where = f"{table}.{field}" if field else table
        shown = "" if value is None else f" (got {value!r})"
        super().__init__(f"{where}: {message}{shown}")


# Fields as a person calls them, where the column's name does not read right on its own; any
# other field is named by its column in words ("admission_date" -> "Admission date").
FIELD_WORDS: dict[str, str] = {
    "max_students": "Capacity",
    "student_name": "Name",
    "email": "Email",
    "phone": "Phone",
    "enrollment_no": "Enrollment number",
    "max_hours_per_day": "Hours a day at most",
    "max_students_per_day": "Students a day at most",
    "estimated_duration_minutes": "Estimated minutes",
    "duration_hours": "Duration (hours)",
    "order_index": "Position in the syllabus",
    "competency_level": "Understanding (1-5)",
    "gstin": "GSTIN",
    "gst_rate": "GST rate",
    "gst_mode": "GST",
    "discount_limit_percent": "Discount limit (%)",
    "discount_limit_amount": "Discount limit (₹)",
}


def field_label(field: str | None) -> str:
    """A column name as a person would say it (never "flexible_batches.max_students")."""
    if not field:
        return ""
    if field in FIELD_WORDS:
        return FIELD_WORDS[field]
    words = " and ".join(part.strip().removesuffix("_id").replace("_", " ")
                         for part in field.split(","))
    return words[:1].upper() + words[1:]


def person_message(error: BaseException) -> str:
    """What a screen shows for a refusal: the field in words, then the reason
    ("Capacity: capacity 7 is too small…"); other errors as they are."""
    if isinstance(error, InvalidInput):
        shown = "" if error.value is None else f" (got {error.value!r})"
        label = field_label(error.field)
        return f"{label}: {error.message}{shown}" if label else f"{error.message}{shown}"
    return str(error)


def not_saved(error: BaseException) -> str:
    """A form's answer when its Save failed: that nothing was written, then why."""
    return f"Not saved – {person_message(error)}"


@dataclass(frozen=True)
class _ConstraintInfo:
    table: str
    field: str | None
    message: str


def _constraint_index() -> dict[str, _ConstraintInfo]:
    index: dict[str, _ConstraintInfo] = {}
    for table in Base.metadata.tables.values():
        for rule in rules_of(table.constraints):
            index[f"ck_{table.name}_{rule.name}"] = _ConstraintInfo(table.name, rule.field,
                                                                  rule.message)
        for constraint in table.constraints:
            cols = [c.name for c in getattr(constraint, "columns", [])]
            if constraint.__class__.__name__ == "UniqueConstraint":
                name = f"uq_{table.name}_{'_'.join(cols)}"
                index[name] = _ConstraintInfo(table.name, ", ".join(cols), _unique_message(cols))
            elif constraint.__class__.__name__ == "ForeignKeyConstraint" and cols:
                index[f"fk_{table.name}_{cols[0]}"] = _ConstraintInfo(table.name, cols[0],
                                                                      _MISSING_PARENT)
    return index


_MISSING_PARENT = "refers to a row that does not exist"


def _unique_message(cols: list[str]) -> str:
    if len(cols) == 1:
        return f"another row already has this {cols[0].replace('_', ' ')}"
    return "another row already exists for this " + " and ".join(c.replace("_id", "").replace(
        "_", " ") for c in cols)


_CONSTRAINTS = _constraint_index()


def _required(column: Column[Any]) -> bool:
    return (not column.nullable and column.default is None and column.server_default is None
            and not column.primary_key)


# What PostgreSQL cannot store (or JSON cannot carry) is refused, naming its field, on the desk
# as the person saves and on the server as a push arrives.
NUL_REFUSED = "must not contain the NUL character (\\x00)"
SURROGATE_REFUSED = "must not contain a lone surrogate character (not valid Unicode text)"
NONFINITE_REFUSED = "must not contain NaN or an infinite number"
_SURROGATE = re.compile("[\ud800-\udfff]")


def unstorable(value: Any) -> str | None:
    """Why text, or any key, text or number inside a JSON document, cannot be stored (None
    when it can)."""
    if isinstance(value, str):
        if "\x00" in value:
            return NUL_REFUSED
        # ASCII text (nearly all) holds no surrogate: asked in C before the regex walks it.
        return SURROGATE_REFUSED if not value.isascii() and _SURROGATE.search(value) else None
    if isinstance(value, float):
        return None if math.isfinite(value) else NONFINITE_REFUSED
    if isinstance(value, dict):
        return next((why for k, v in value.items()
                     if (why := unstorable(k) or unstorable(v))), None)
    if isinstance(value, list):
        return next((why for v in value if (why := unstorable(v))), None)
    return None


@dataclass(frozen=True)
class _ColumnRule:
    name: str
    required: bool        # NOT NULL with no default: must be given on insert
    nullable: bool        # None allowed (the primary key is filled in elsewhere)
    length: int | None    # longest text allowed
    shape: Shape | None   # a JSON column's declared shape (documents.py), unless any JSON


@functools.cache
def _column_rules(table: Table) -> tuple[_ColumnRule, ...]:
    """Each column's simple rules, worked out once per table (a push validates every row)."""
    return tuple(_ColumnRule(c.name, _required(c), c.nullable or c.primary_key,
                             c.type.length if isinstance(c.type, String) else None,
                             _declared_shape(c))
                 for c in table.columns)


def _declared_shape(column: Column[Any]) -> Shape | None:
    if not isinstance(column.type, JSON):
        return None
    shape = shape_of(column)
    return None if shape.container is None else shape


@functools.cache
def _check_rules(table: Table) -> tuple[Rule, ...]:
    return tuple(rules_of(table.constraints))


@functools.cache
def _rules_by_name(table: Table) -> dict[str, _ColumnRule]:
    return {rule.name: rule for rule in _column_rules(table)}


def validate_values(table: Table, values: dict[str, Any], *, partial: bool = False,
                    changed: Iterable[str] | None = None, decoded: bool = False) -> None:
    """Refuse values that break a NOT NULL, length or CHECK rule of `table`.

    `partial` checks only the fields present (an update of some fields); rules that span two
    fields are then checked when both are known. `changed` (a whole row whose other values are
    already stored) checks only those columns' own rules, and every rule that spans fields.
    `decoded`: the values came through `sync.codec`, whose decoders already refused text and
    JSON documents that cannot be stored (`unstorable`), so that walk is not done twice.
    """
    if changed is None:
        columns: Iterable[_ColumnRule] = _column_rules(table)
    else:
        by_name = _rules_by_name(table)
        columns = [by_name[name] for name in changed if name in by_name]
    for column in columns:
        name = column.name
        if name not in values:
            if not partial and column.required:
                raise InvalidInput(table.name, name, "is required")
            continue
        value = values[name]
        if value is None:
            if not column.nullable:
                raise InvalidInput(table.name, name, "is required")
            continue
        if not decoded and (why := unstorable(value)) is not None:
            raise InvalidInput(table.name, name, why)
        length = column.length
        if length is not None and isinstance(value, str) and len(value) > length:
            raise InvalidInput(table.name, name, f"is longer than {length} characters",
                               value[:40] + "…" if len(value) > 40 else value)
        if column.shape is not None and not fits(column.shape, value):
            shown = repr(value)
            raise InvalidInput(table.name, name, f"must be {column.shape.describe()}",
                               shown[:40] + "…" if len(shown) > 40 else shown)
    for rule in _check_rules(table):
        if partial and rule.field not in values:
            continue
        if not _safe_check(rule, values):
            raise InvalidInput(table.name, rule.field, rule.message, values.get(rule.field))


def _safe_check(rule: Rule, values: dict[str, Any]) -> bool:
    try:
        return rule.check(values)
    except (TypeError, ValueError, ArithmeticError):
        return False


_SQLITE_COLUMN = re.compile(r"constraint failed: (\w+)\.(\w+)")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")


def explain_integrity_error(exc: IntegrityError) -> InvalidInput:
    """Turn a driver's constraint violation into a message that names the table and field."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    if diag is not None:  # psycopg (PostgreSQL)
        name = getattr(diag, "constraint_name", None)
        if name and name in _CONSTRAINTS:
            info = _CONSTRAINTS[name]
            return InvalidInput(info.table, info.field, info.message)
        table = getattr(diag, "table_name", None) or "?"
        column = getattr(diag, "column_name", None)
        if getattr(orig, "sqlstate", "") == "23502":
            return InvalidInput(table, column, "is required")
        if getattr(orig, "sqlstate", "") == "23503":
            return InvalidInput(table, column, "refers to a row that does not exist")
        return InvalidInput(table, column, str(getattr(diag, "message_primary", orig)))
    text = str(orig)
    match = _SQLITE_CHECK.search(text)
    if match and match.group(1) in _CONSTRAINTS:
        info = _CONSTRAINTS[match.group(1)]
        return InvalidInput(info.table, info.field, info.message)
    match = _SQLITE_COLUMN.search(text)
    if match:
        table, field = match.groups()
        if text.startswith("UNIQUE"):
            cols = re.findall(r"\w+\.(\w+)", text)
            return InvalidInput(table, ", ".join(cols), _unique_message(cols))
        if text.startswith("NOT NULL"):
            return InvalidInput(table, field, "is required")
    if "FOREIGN KEY" in text:
        return _sqlite_foreign_key(exc)
    return InvalidInput("?", None, text)


_INSERT_INTO = re.compile(r"^\s*INSERT\s+INTO\s+\"?(\w+)\"?\s*\(([^)]*)\)", re.IGNORECASE)


def _statement_rows(columns: list[str], params: Any) -> list[dict[str, Any]]:
    """The parameter rows of a failed statement as dicts (named or positional, one or many)."""
    if isinstance(params, dict):
        return [params]
    if isinstance(params, list | tuple) and params and isinstance(params[0], dict | list | tuple):
        return [row if isinstance(row, dict) else dict(zip(columns, row, strict=False))
                for row in params]
    if isinstance(params, list | tuple):
        return [dict(zip(columns, params, strict=False))]
    return []


def _sqlite_foreign_key(exc: IntegrityError) -> InvalidInput:
    """SQLite names no constraint for a foreign key failure: name the table from the statement
    and the field when only one foreign key column of the rows was given a value."""
    match = _INSERT_INTO.match(exc.statement or "")
    table = Base.metadata.tables.get(match.group(1)) if match else None
    if match is None or table is None:
        return InvalidInput("?", None, _MISSING_PARENT)
    columns = [c.strip().strip('"') for c in match.group(2).split(",")]
    rows = _statement_rows(columns, exc.params)
    given = sorted({fk.parent.name for fk in table.foreign_keys
                    if any(row.get(fk.parent.name) is not None for row in rows)})
    return InvalidInput(table.name, " or ".join(given) or None, _MISSING_PARENT)
