"""Import students, faculty, subjects with topics or inquiries from a CSV or Excel file.

Every row is checked first; refused rows are printed with their line and reasons. Nothing is
written when any row is refused (unless --skip-bad-rows) or with --dry-run. The exit status is
1 when any row was refused, 2 when the file or the columns cannot be used.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path

from sqlalchemy import func, select

from institute_core.importing.apply import RowsRefused, preview, run_import
from institute_core.importing.fields import fields_of
from institute_core.importing.mapping import Mapping, guess_mapping
from institute_core.importing.plan import ImportPlan, MappingIncomplete
from institute_core.importing.reading import Sheet, read_sheet
from institute_core.replica import Replica
from institute_core.reports.service import default_author
from institute_core.schema import User
from institute_core.schema.audit import ImportKind
from institute_core.setup.access import NotAllowed
from institute_core.validation import InvalidInput


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=[k.value for k in ImportKind], help="what the file holds")
    parser.add_argument("file", type=Path, help="a .csv or .xlsx file with a header row")
    parser.add_argument("--dry-run", action="store_true",
                        help="check every row and print the result; write nothing")
    parser.add_argument("--skip-bad-rows", action="store_true",
                        help="import the good rows even when some are refused")
    parser.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                        help="use this column (header text or 1-based number) for a field; "
                             "repeatable. Columns are otherwise guessed from the headers")
    parser.add_argument("--as", dest="as_email", metavar="EMAIL",
                        help="the admin the import is recorded for (default: the signed-in "
                             "user, or the first active admin of a standalone replica)")


class _Admin:
    def __init__(self, role: str) -> None:
        self.role = role


def _mapping(sheet: Sheet, kind: str, overrides: list[str]) -> Mapping:
    fields = {f.name for f in fields_of(kind)}
    mapping = guess_mapping(sheet.headers, fields_of(kind))
    for item in overrides:
        name, _, column = item.partition("=")
        if name not in fields:
            raise InvalidInput("import", "--map", f"unknown field; fields of {kind}: "
                               + ", ".join(sorted(fields)), name)
        if column.isdigit() and 1 <= int(column) <= len(sheet.headers):
            mapping[name] = int(column) - 1
        elif column in sheet.headers:
            mapping[name] = sheet.headers.index(column)
        else:
            raise InvalidInput("import", "--map", "no such column in the file", column)
    return mapping


def _who(replica: Replica, email: str | None) -> tuple[uuid.UUID, str]:
    with replica.read() as session:
        user_id = (session.scalar(select(User.id).where(func.lower(User.email) == email.lower()))
                   if email else default_author(replica, session, "setup.import"))
        user = session.get(User, user_id) if user_id else None
        if user is None:
            raise InvalidInput("import", "--as", "no such user in this replica", email)
        return user.id, user.role


def print_plan(plan: ImportPlan) -> None:
    for row in plan.refused:
        print(f"line {row.line}: " + "; ".join(row.reasons), file=sys.stderr)
    print(f"{plan.file_name}: {plan.summary()}")


def run(args: argparse.Namespace) -> int:
    replica = Replica.open(args.data_dir)
    try:
        sheet = read_sheet(args.file)
        mapping = _mapping(sheet, args.kind, args.map)
        user_id, role = _who(replica, args.as_email)
        admin = _Admin(role)
        if args.dry_run:
            plan = preview(replica, admin, args.kind, sheet, mapping)
            print_plan(plan)
            print("dry run: nothing was written")
            return 1 if plan.refused else 0
        outcome = run_import(replica, replica.actor(user_id), admin, args.kind, sheet,
                             mapping, skip_refused=args.skip_bad_rows)
    except RowsRefused as refused:
        print_plan(refused.plan)
        print("nothing was imported: fix the rows above, or pass --skip-bad-rows")
        return 1
    except (InvalidInput, MappingIncomplete, NotAllowed) as exc:
        print(f"cannot import: {exc}", file=sys.stderr)
        return 2
    finally:
        replica.close()
    print_plan(outcome.plan)
    print(f"imported as run {outcome.run_id}" if outcome.run_id else "nothing to import")
    return 1 if outcome.plan.refused else 0
