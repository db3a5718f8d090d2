"""Declared value rules: one declaration gives a named CHECK constraint and a Python check.

The database enforces every rule on both dialects; the Python side evaluates the same rule before
a flush so that a person gets a message naming the table and field instead of a driver error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint


@dataclass(frozen=True)
class Rule:
    """A constraint on one field (or a pair of fields) of one table.

    Besides the SQL and the Python check, a rule keeps what it allows as data (`choices`,
    `low`/`high`, `other`), so code that needs valid values reads them here instead of
    parsing the SQL text.
    """

    name: str
    field: str
    sql: str
    message: str
    predicate: Callable[[dict[str, Any]], bool]
    # Which constructor made the rule: "one_of", "between", "positive", "not_after", "before",
    # "differs" or "not_blank".
    kind: str = ""
    choices: tuple[str, ...] = ()
    low: Decimal | None = None
    high: Decimal | None = None
    # The second field of a two-field rule (ordering or difference).
    other: str | None = None

    def check(self, values: dict[str, Any]) -> bool:
        return self.predicate(values)

    def constraint(self) -> CheckConstraint:
        return CheckConstraint(self.sql, name=self.name, info={"rule": self})


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def one_of(field: str, choices: type[StrEnum]) -> Rule:
    allowed = [c.value for c in choices]
    sql = f"{field} IS NULL OR {field} IN ({', '.join(_quote(v) for v in allowed)})"
    return Rule(
        name=f"{field}_allowed",
        field=field,
        sql=sql,
        message=f"must be one of: {', '.join(allowed)}",
        predicate=lambda v: v.get(field) is None or str(v[field]) in allowed,
        kind="one_of",
        choices=tuple(allowed),
    )


def between(field: str, low: float | int | None, high: float | int | None) -> Rule:
    parts = []
    if low is not None:
        parts.append(f"{field} >= {low}")
    if high is not None:
        parts.append(f"{field} <= {high}")
    if low is not None and high is not None:
        message = f"must be between {low} and {high}"
    elif low is not None:
        message = f"must be at least {low}"
    else:
        message = f"must be at most {high}"

    def predicate(v: dict[str, Any]) -> bool:
        x = v.get(field)
        if x is None:
            return True
        x = Decimal(str(x))
        return (low is None or x >= Decimal(str(low))) and (high is None or x <= Decimal(str(high)))

    return Rule(f"{field}_range", field, f"{field} IS NULL OR ({' AND '.join(parts)})", message,
                predicate, kind="between",
                low=None if low is None else Decimal(str(low)),
                high=None if high is None else Decimal(str(high)))


def positive(field: str) -> Rule:
    return Rule(
        name=f"{field}_positive",
        field=field,
        sql=f"{field} IS NULL OR {field} > 0",
        message="must be greater than 0",
        predicate=lambda v: v.get(field) is None or Decimal(str(v[field])) > 0,
        kind="positive",
        low=Decimal(0),
    )


def not_after(field: str, later: str, what: str) -> Rule:
    """`field` must not come after `later` (dates, times or amounts); both may be empty."""

    def predicate(v: dict[str, Any]) -> bool:
        a, b = v.get(field), v.get(later)
        return a is None or b is None or a <= b

    return Rule(
        name=f"{field}_order",
        field=field,
        sql=f"{field} IS NULL OR {later} IS NULL OR {field} <= {later}",
        message=f"must not be later than {what}",
        predicate=predicate,
        kind="not_after",
        other=later,
    )


def before(field: str, later: str, what: str) -> Rule:
    """`field` must come strictly before `later`."""

    def predicate(v: dict[str, Any]) -> bool:
        a, b = v.get(field), v.get(later)
        return a is None or b is None or a < b

    return Rule(
        name=f"{field}_order",
        field=field,
        sql=f"{field} IS NULL OR {later} IS NULL OR {field} < {later}",
        message=f"must be earlier than {what}",
        predicate=predicate,
        kind="before",
        other=later,
    )


def differs(field: str, other: str, what: str) -> Rule:
    return Rule(
        name=f"{field}_not_{other}",
        field=field,
        sql=f"{field} <> {other}",
        message=f"cannot be {what}",
        predicate=lambda v: v.get(field) is None or v.get(field) != v.get(other),
        kind="differs",
        other=other,
    )


def not_blank(field: str) -> Rule:
    return Rule(
        name=f"{field}_not_blank",
        field=field,
        sql=f"{field} IS NULL OR length(trim({field})) > 0",
        message="must not be blank",
        predicate=lambda v: v.get(field) is None or str(v[field]).strip() != "",
        kind="not_blank",
    )


def checks(*rules: Rule) -> tuple[CheckConstraint, ...]:
    return tuple(r.constraint() for r in rules)


def rules_of(constraints: Iterable[Any]) -> list[Rule]:
    return [c.info["rule"] for c in constraints
            if isinstance(c, CheckConstraint) and "rule" in c.info]
