"""Which column fills which field: guessed from header names, changeable by the person."""

from __future__ import annotations

import re

from institute_core.importing.fields import Field

# field name -> column index in the sheet (a field absent from the mapping stays empty)
Mapping = dict[str, int]


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", header.lower()).strip()


def guess_mapping(headers: list[str], fields: tuple[Field, ...]) -> Mapping:
    """Each field gets the first column whose header is its name, label or an alias.

    Exact names win over labels, labels over aliases, so "Name" goes to `first_name` only when
    no "First name" column exists. A column fills one field at most.
    """
    normalized = [_norm(h) for h in headers]
    mapping: Mapping = {}
    taken: set[int] = set()
    for tier in range(3):
        for field in fields:
            if field.name in mapping:
                continue
            names = ([_norm(field.name)], [_norm(field.label)],
                     [_norm(a) for a in field.aliases])[tier]
            for index, header in enumerate(normalized):
                if index not in taken and header in names:
                    mapping[field.name] = index
                    taken.add(index)
                    break
    return mapping


def missing_required(mapping: Mapping, fields: tuple[Field, ...]) -> list[Field]:
    return [f for f in fields if f.required and f.name not in mapping]
