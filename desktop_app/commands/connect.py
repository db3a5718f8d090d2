"""Connect this desk to a sync server: sign in, register the device, download your data."""

from __future__ import annotations

import argparse
import platform
import sys

from desktop_app.commands.sync import (
    PASSWORD_ENV,
    explain,
    password_source,
    print_progress,
    print_report,
)
from institute_core.replica import Replica
from institute_core.sync.account import connect
from institute_core.sync.credentials import KeyringCredentials
from institute_core.sync.errors import SyncError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", required=True, help="sync server address, e.g. "
                                                        "https://sync.example.org")
    parser.add_argument("--email", required=True, help="your sign-in email")
    parser.add_argument("--device-name", default=platform.node(),
                        help="how the server lists this desk (default: the computer's name)")


def run(args: argparse.Namespace) -> int:
    password = password_source(args.email)()
    if not password:
        print(f"no password: set {PASSWORD_ENV} or run from a terminal", file=sys.stderr)
        return 2
    credentials = KeyringCredentials()
    replica = Replica.open(args.data_dir)
    try:
        user, report = connect(replica, args.server, args.email, password, credentials,
                               device_name=args.device_name, progress=print_progress)
    except SyncError as exc:
        sys.stderr.write("\n")
        print(explain(exc) if not str(exc).startswith("the server refused") else
              f"could not connect: {exc}", file=sys.stderr)
        return 1
    finally:
        replica.close()
    print(f"connected {args.data_dir} to {args.server} as {user.email} ({user.role})")
    if not credentials.persistent:
        print(KeyringCredentials.not_remembered())
    print_report(report)
    return 0
