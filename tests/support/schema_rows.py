"""Valid rows and edge values for every synced table, worked out from the schema metadata.

Nothing here names a table or a column: types, lengths, nullability, foreign keys, unique
constraints and the declared CHECK rules (`institute_core.schema.rules`) decide what is made,
so a table or column added later is covered the day it is declared.

    values_for(column)                 -> edge values a column accepts on its own
    chain_for(table_name)              -> parent tables to create first (parents first)
    build_chain(table_name)            -> [(table, row)] ready to insert, parents first, FKs wired
    valid_row(table_name, parents)     -> one row of `table_name` using ids from `parents`
                                          (`pick` chooses other edge values, `fixed` pins some)
    with_value(table_name, row, c, v)  -> {c: v} plus partner fields a pair rule needs moved
                                          (None when no partner value can keep the rule)
    uncovered()                        -> (table, column, type) without a generator (must be [])

`parents` maps a table name to the ids of rows of it that exist (two per parent table in
`build_chain`, so a column may move to another parent and two columns naming the same table -
prerequisites, faculty moves - get different rows).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Table,
    Time,
    UniqueConstraint,
    Uuid,
)

from institute_core.access import permissions as perms
from institute_core.ids import natural_id
from institute_core.numbering import DocumentNumber
from institute_core.schema import MODEL_BY_TABLE, SYNCED_TABLES, Synced, table_of
from institute_core.schema.documents import fits, shape_of
from institute_core.schema.rules import Rule, rules_of
from institute_core.schema.types import UTCDateTime

# Columns every synced table has from `Synced`: the data layer keeps them (id, stamps,
# version) or the lifecycle steps drive them (deleted_at), so rows leave them out.
MANAGED: frozenset[str] = frozenset(
    name for name, kind in Synced.__annotations__.items() if "Mapped" in str(kind))

_INDIA = timezone(timedelta(hours=5, minutes=30))
_TEXTS = (
    "O'Brien, \"quoted\"; a\\b",
    "line one\nline two\r\nthird\tcolumn",
    "देवनागरी हिन्दी पाठ",
    "emoji 🎓👩‍🏫✔️",
    "'); DROP TABLE users; --",
    "%s %(x)s {0} $1 ?",
    '{"not": "json"}, null',
    "  padded  ",
    # Text that looks like other types: a type-blind fast path would convert it.
    "2026-02-28T09:30:00+00:00",
    "6f1d2a5e-3c47-5b8e-9a0d-4e2f7c9b1a63",
    "00012.50",
    "true",
    "\\x00 \\u0000 $$ -- /* */",
)


def synced_columns(table_name: str) -> list[Column[Any]]:
    """Columns of a synced table that travel (all but its declared `__local_columns__`)."""
    local = MODEL_BY_TABLE[table_name].__local_columns__
    return [c for c in table_of(table_name).columns if c.name not in local]


def data_columns(table_name: str) -> list[Column[Any]]:
    """Synced columns a row gives values to (the managed ones left out)."""
    return [c for c in synced_columns(table_name) if c.name not in MANAGED]


def rules_for(table_name: str) -> list[Rule]:
    return rules_of(table_of(table_name).constraints)


def _field_rules(column: Column[Any]) -> list[Rule]:
    return [r for r in rules_for(column.table.name) if r.field == column.name]


def _in_bounds(column: Column[Any], value: Any) -> bool:
    for rule in _field_rules(column):
        if rule.kind in ("between", "positive", "one_of", "not_blank") and not rule.check(
                {column.name: value}):
            return False
    return True


def _unique(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if not any(type(v) is type(o) and v == o for o in out):
            out.append(v)
    return out


# --- generators per column type --------------------------------------------------------------

# Text columns naming a row by its natural key: values are names every database holds.
_NAMES: dict[tuple[str, str], tuple[str, ...]] = {("users", "role"): perms.BUILT_IN_NAMES}
# Values a rule of the app (not of the schema) limits, for tests whose rows must be accepted
# (the round trip, the property test): a role's permissions are names from the catalogue and
# a role a desk makes is never built in. The policy test keeps every edge value, so its
# forbidden cases stay.
_EVERY_PERMISSION = sorted(perms.ALL_PERMISSIONS)
ROLE_PERMISSIONS: tuple[list[str], ...] = (
    ["attendance.mark"], [], _EVERY_PERMISSION[:3], _EVERY_PERMISSION)
ACCEPTED_ROLE = {"built_in": False, "permissions": ROLE_PERMISSIONS[0]}


def _texts(column: Column[Any]) -> list[Any]:
    choices = [r.choices for r in _field_rules(column) if r.kind == "one_of"]
    if choices:
        return list(choices[0])
    named = _NAMES.get((column.table.name, column.name))
    if named:
        return list(named)
    length = getattr(column.type, "length", None)
    longest = "ह" * length if length else "long " * 2000
    candidates = [*_TEXTS, longest, "", "x"]
    if length:
        candidates = [t[:length] for t in candidates]
    return [t for t in _unique(candidates) if _in_bounds(column, t)]


def _integer_limits(column: Column[Any]) -> tuple[int, int]:
    if isinstance(column.type, BigInteger):
        return -(2 ** 63), 2 ** 63 - 1
    if isinstance(column.type, SmallInteger):
        return -(2 ** 15), 2 ** 15 - 1
    return -(2 ** 31), 2 ** 31 - 1


def _bounded(column: Column[Any], low: Decimal, high: Decimal, step: Decimal) -> tuple[
        Decimal, Decimal]:
    for rule in _field_rules(column):
        if rule.low is not None:
            low = max(low, rule.low + (step if rule.kind == "positive" else 0))
        if rule.high is not None:
            high = min(high, rule.high)
    return low, high


def _integers(column: Column[Any]) -> list[Any]:
    floor, ceiling = _integer_limits(column)
    low, high = _bounded(column, Decimal(floor), Decimal(ceiling), Decimal(1))
    picks = [low, high, Decimal(0), Decimal(1), Decimal(-1), low + 1, high - 1]
    return _unique(int(v) for v in picks if low <= v <= high)


def _numerics(column: Column[Any]) -> list[Any]:
    kind = column.type
    assert isinstance(kind, Numeric)
    precision, scale = kind.precision or 18, kind.scale or 0
    step = Decimal(1).scaleb(-scale)
    most = Decimal(10) ** (precision - scale) - step
    low, high = _bounded(column, -most, most, step)
    middle = ((low + high) / 2).quantize(step)
    picks = [low, high, Decimal(0), step, -step, middle, high - step]
    return _unique(v.quantize(step) for v in picks if low <= v <= high)


def _booleans(_column: Column[Any]) -> list[Any]:
    return [True, False]


def _dates(_column: Column[Any]) -> list[Any]:
    return [date(2026, 2, 28), date(1, 1, 1), date(9999, 12, 31), date(2024, 2, 29),
            date(1970, 1, 1)]


def _times(_column: Column[Any]) -> list[Any]:
    return [time(9, 30), time(0, 0), time(23, 59, 59, 999999), time(12, 34, 56, 789012)]


def _timestamps(_column: Column[Any]) -> list[Any]:
    return [datetime(2026, 2, 28, 9, 30, tzinfo=UTC),
            datetime(1970, 1, 1, tzinfo=UTC),
            datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=_INDIA),
            datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC),
            datetime(1900, 1, 1, 0, 0, 0, 1, tzinfo=timezone(timedelta(hours=-9, minutes=-30)))]


_LABELS: list[Any] = [
    ["alpha", "b, c", "O'Brien \"q\""],
    [],
    ["2026-02-28T09:30:00+00:00", "6f1d2a5e-3c47-5b8e-9a0d-4e2f7c9b1a63", "12.50", ""],
    ["हिन्दी", "🎓", "line\nbreak"],
]
_OBJECTS: list[Any] = [
    {"key": "value, with comma", "n": 1},
    {"nested": {"list": [1, 2.5, -3, None, True, False], "हिन्दी": "🎓"},
     "empty": {}, "none": None},
    {},
    {"numbers": [12345678901234567890, -0.5, 1e-7, 1.0, 1e300, -(2 ** 63)],
     "looks_like": ["2026-02-28T09:30:00+00:00", "6f1d2a5e-3c47-5b8e-9a0d-4e2f7c9b1a63"]},
    {"🎓 key": {"O'Brien": "line\nbreak", "": None}, "text": "just text", "zero": 0},
]
_SCALARS: list[Any] = ["just text", 0, True, None]


def _documents(column: Column[Any]) -> list[Any]:
    """Documents of the column's declared shape (documents.py): a list of labels, an object,
    or - for a column declared `Any` - every JSON kind."""
    shape = shape_of(column)
    if shape.container is list:
        return [v for v in _LABELS if fits(shape, v)]
    if shape.container is dict:
        return list(_OBJECTS)
    return [*_OBJECTS, *_LABELS, *_SCALARS]


def _uuids(_column: Column[Any]) -> list[Any]:
    return [uuid.uuid4(), uuid.UUID(int=0), uuid.UUID(int=2 ** 128 - 1)]


# Most specific first (UTCDateTime before DateTime, BigInteger before Integer before Numeric).
GENERATORS: tuple[tuple[type[Any], Callable[[Column[Any]], list[Any]]], ...] = (
    (Uuid, _uuids),
    (UTCDateTime, _timestamps),
    (DateTime, _timestamps),
    (Date, _dates),
    (Time, _times),
    (Boolean, _booleans),
    (Integer, _integers),          # SmallInteger and BigInteger are Integers
    (Numeric, _numerics),
    (JSON, _documents),
    (String, _texts),              # Text is a String
)


def generator_for(column: Column[Any]) -> Callable[[Column[Any]], list[Any]] | None:
    for kind, make in GENERATORS:
        if isinstance(column.type, kind):
            return make
    return None


def values_for(column: Column[Any]) -> list[Any]:
    """Edge values the column accepts on its own (length, range and choice rules kept), the
    first one the everyday value. None is included when the column may be empty. Foreign-key
    columns get no values here: they take ids of parent rows (`valid_row`)."""
    make = generator_for(column)
    if make is None:
        raise LookupError(f"no value generator for {column.table.name}.{column.name} "
                          f"({type(column.type).__name__})")
    if column.foreign_keys:
        return [None] if column.nullable else []
    values = make(column)
    if not column.nullable:
        values = [v for v in values if v is not None]
    elif None not in values:
        values.append(None)
    return values


def uncovered() -> list[tuple[str, str, str]]:
    """(table, column, type) of every synced column no generator handles."""
    return [(name, c.name, type(c.type).__name__) for name in SYNCED_TABLES
            for c in synced_columns(name) if generator_for(c) is None]


# --- rows ------------------------------------------------------------------------------------

def _parent_table(column: Column[Any]) -> str | None:
    for fk in column.foreign_keys:
        return str(fk.column.table.name)
    return None


def foreign_keys(table_name: str) -> list[tuple[str, str]]:
    """(column, parent table) of each foreign-key column of a table's data columns."""
    return [(c.name, parent) for c in data_columns(table_name)
            if (parent := _parent_table(c)) is not None]


def chain_for(table_name: str) -> list[str]:
    """Every table a row of `table_name` refers to, directly or not, parents first."""
    needed: set[str] = set()
    todo = [table_name]
    while todo:
        for _column, parent in foreign_keys(todo.pop()):
            if parent not in needed:
                needed.add(parent)
                todo.append(parent)
    needed.discard(table_name)
    return [t for t in SYNCED_TABLES if t in needed]


_counter = itertools.count(1)


def unique_columns(table_name: str) -> set[str]:
    """Columns whose generated text is made unique per row (alone or in a composite key)."""
    table: Table = table_of(table_name)
    single = {c.name for c in table.columns if c.unique}
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and len(constraint.columns) == 1:
            single.update(c.name for c in constraint.columns)
        elif isinstance(constraint, UniqueConstraint):
            # A free-text member of a composite key (a contact beside its channel) makes the
            # combination fresh; ids and closed vocabularies are chosen as usual.
            single.update(c.name for c in constraint.columns
                          if isinstance(c.type, String) and not c.foreign_keys)
    return single


def _closed(column: Column[Any]) -> bool:
    return any(r.kind == "one_of" for r in _field_rules(column))
def series_number(series: str | None) -> str:
    """A document number of `series` no other generated row holds (a policy's `numbers`
    columns take these: the server refuses any other)."""
    return str(DocumentNumber("2026-27", series or "D00", next(_counter)))


def _make_unique(value: Any, column: Column[Any]) -> Any:
    """A value no other row holds, still valid for the column (text only: the schema's unique
    columns are codes, e-mails and numbers people type)."""
    token = f"-{next(_counter)}-{uuid.uuid4().hex[:8]}"
    length = getattr(column.type, "length", None) or 1000
    base = str(value) if value else "u"
    return base[:max(1, length - len(token))] + token


def valid_row(table_name: str, parents: Mapping[str, list[uuid.UUID]], *,
              pick: int = 0, fixed: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A row for every data column of `table_name`: edge value number `pick` of each column
    (wrapping), foreign keys from `parents` (two columns naming one table get different ids),
    unique texts made unique, pair rules satisfied. `fixed` values are taken as they are (who
    made the row, when a policy says so). Includes `id` for natural-key tables."""
    row: dict[str, Any] = {}
    used: dict[str, int] = {}
    unique = unique_columns(table_name)
    for column in data_columns(table_name):
        if fixed is not None and column.name in fixed:
            row[column.name] = fixed[column.name]
            continue
        parent = _parent_table(column)
        if parent is not None:
            ids = parents.get(parent, [])
            if not ids:
                if not column.nullable:
                    raise LookupError(f"{table_name}.{column.name} needs a {parent} row")
                row[column.name] = None
                continue
            row[column.name] = ids[used.get(parent, 0) % len(ids)]
            used[parent] = used.get(parent, 0) + 1
            continue
        values = [v for v in values_for(column) if v is not None] or [None]
        value = values[pick % len(values)]
        if column.name in unique and not _closed(column):
            # A closed vocabulary (one_of) is unique by its choice: `pick` cycles through them.
            value = _make_unique(value, column)
        row[column.name] = value
    _settle_pairs(table_name, row, fixed=frozenset())
    natural = MODEL_BY_TABLE[table_name].__natural_key__
    if natural:
        row["id"] = natural_id(table_name, *(row[k] for k in natural))
    return row


def _pair_rules(table_name: str) -> list[Rule]:
    return [r for r in rules_for(table_name) if r.other is not None]


def _settle_pairs(table_name: str, row: dict[str, Any], fixed: frozenset[str]) -> None:
    """Move the movable side of each broken two-field rule to a value that keeps it."""
    columns = {c.name: c for c in data_columns(table_name)}
    for rule in _pair_rules(table_name):
        if rule.check(row):
            continue
        assert rule.other is not None
        for movable in (rule.field, rule.other):
            if movable not in fixed and _move(columns[movable], rule, row):
                break
        else:
            raise ValueError(f"{table_name}: no value keeps {rule.name} for {row}")


def _move(column: Column[Any], rule: Rule, row: dict[str, Any]) -> bool:
    """Give `column` an edge value that keeps `rule`; False when none does."""
    if column.foreign_keys:
        return False
    for candidate in values_for(column):
        if candidate is not None and rule.check({**row, column.name: candidate}):
            row[column.name] = candidate
            return True
    return False


def with_value(table_name: str, row: Mapping[str, Any], column: str, value: Any
               ) -> dict[str, Any] | None:
    """The fields to write so `column` takes `value`: `{column: value}`, plus any partner
    field of a pair rule (start/end, min/max) moved so the row stays valid; None when no
    partner value can (a start at the last microsecond of the day has no later end)."""
    changed = {**row, column: value}
    try:
        _settle_pairs(table_name, changed, fixed=frozenset({column}))
    except ValueError:
        return None
    return {k: v for k, v in changed.items() if k == column or v != row.get(k)}


def build_chain(table_name: str, per_parent: int = 2,
                fixed: Callable[[str], Mapping[str, Any]] | None = None
                ) -> list[tuple[str, dict[str, Any]]]:
    """Rows to insert, parents first: `per_parent` rows of every table in the chain, then one
    row of `table_name` itself (last in the list). `fixed(table)` gives values every row of
    that table must take (see `valid_row`)."""
    parents: dict[str, list[uuid.UUID]] = {}
    rows: list[tuple[str, dict[str, Any]]] = []
    for name in chain_for(table_name):
        for n in range(per_parent):
            row = valid_row(name, _others(parents, name, n), fixed=fixed(name) if fixed else None)
            row.setdefault("id", uuid.uuid4())
            parents.setdefault(name, []).append(row["id"])
            rows.append((name, row))
    row = valid_row(table_name, parents, fixed=fixed(table_name) if fixed else None)
    row.setdefault("id", uuid.uuid4())
    rows.append((table_name, row))
    return rows


def _others(parents: Mapping[str, list[uuid.UUID]], name: str, n: int
            ) -> dict[str, list[uuid.UUID]]:
    """Parents for the n-th row of a chain table: rotated, so two rows of a natural-key table
    get different keys, and a table never refers to itself."""
    return {t: ids[n:] + ids[:n] for t, ids in parents.items() if t != name}
