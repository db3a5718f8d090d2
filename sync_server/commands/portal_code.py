"""Print a one-time portal sign-in code for a student's guardian (by enrollment number)."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import func, select

from institute_core.display import moment_text
from institute_core.schema import table_of
from sync_server.portal.sessions import issue_code
from sync_server.settings import Settings, database_url, make_engine


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("enrollment_no",
                        help="the student's enrollment number, e.g. ENR-2026-00015")


def run(args: argparse.Namespace) -> int:
    engine = make_engine(database_url())
    students = table_of("students")
    try:
        with engine.connect() as conn:
            student = conn.execute(select(students.c.id).where(
                func.lower(students.c.enrollment_no) == args.enrollment_no.strip().lower(),
                students.c.deleted_at.is_(None))).scalar()
        if student is None:
            print(f"portal-code: no student with enrollment number {args.enrollment_no!r}",
                  file=sys.stderr)
            return 2
        issued = issue_code(engine, Settings(), student, None)
    finally:
        engine.dispose()
    print(f"Sign-in code for the guardian of {args.enrollment_no}: {issued.code}")
    print(f"Valid once, until {moment_text(issued.expires_at)}, at <server>/portal/sign-in")
    return 0
