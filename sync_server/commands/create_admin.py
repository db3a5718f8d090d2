"""Create an administrator account (password from a prompt, or stdin when not a terminal)."""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy.exc import IntegrityError

from institute_core.enums import Role
from institute_core.validation import InvalidInput, explain_integrity_error
from sync_server.settings import database_url, make_engine
from sync_server.users import create_user

MIN_PASSWORD = 8


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--email", required=True)
    parser.add_argument("--first-name", required=True)
    parser.add_argument("--last-name", default="")
    parser.add_argument("--super", action="store_true", help="make a super admin")


def _read_password() -> str:
    # Never from argv (visible in the process list and shell history).
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Repeat password: "):
            raise ValueError("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def run(args: argparse.Namespace) -> int:
    try:
        password = _read_password()
    except ValueError as exc:
        print(f"create-admin: {exc}", file=sys.stderr)
        return 2
    if len(password) < MIN_PASSWORD:
        print(f"create-admin: the password needs at least {MIN_PASSWORD} characters",
              file=sys.stderr)
        return 2
    role = Role.SUPER_ADMIN.value if args.super else Role.ADMIN.value
    engine = make_engine(database_url())
    try:
        with engine.begin() as conn:
            user_id, _ = create_user(conn, email=args.email, password=password, role=role,
                                     first_name=args.first_name, last_name=args.last_name)
    except IntegrityError as exc:
        print(f"create-admin: {explain_integrity_error(exc)}", file=sys.stderr)
        return 1
    except InvalidInput as exc:
        print(f"create-admin: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"created {role} {args.email.strip().lower()} ({user_id})")
    return 0
