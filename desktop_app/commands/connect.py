"""Connect this desk to a sync server: sign in, register the device, download your data."""

from __future__ import annotations

import argparse
import platform
import sys

from sqlalchemy import func, select

from desktop_app.commands.sync import (
    PASSWORD_ENV,
    explain,
    password_source,
    print_progress,
    print_report,
)
from institute_core.replica import Replica
from institute_core.schema import User
from institute_core.sync.account import connect
from institute_core.sync.credentials import KeyringCredentials
from institute_core.sync.errors import SyncError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", required=True, help="sync server address, e.g. "
                                                        "https://sync.example.org")
    parser.add_argument("--email", required=True, help="your sign-in email")
    parser.add_argument("--device-name", default=platform.node(),
                        help="how the server lists this desk (default: the computer's name)")


def _folder_refusal(replica: Replica, server: str, *, explicit: bool) -> str | None:
    """Why this replica is not the one to connect to `server`, or None when it is."""
    folder = replica.path.parent
    connected_to = replica.get_state("server_url")
    if connected_to and connected_to.rstrip("/") != server.rstrip("/"):
        return (f"{folder} is already connected to {connected_to}; "
                "connect another folder with --data-dir")
    if not connected_to and not explicit:
        with replica.read() as session:
            people = session.scalar(select(func.count()).select_from(User))
        if people:
            return (f"the default folder {folder} already holds an institute that is not "
                    "connected to a server (the demo, or one kept on this PC only); choose "
                    "the folder for this server with --data-dir")
    return None


def run(args: argparse.Namespace) -> int:
    replica = Replica.open(args.data_dir)
    refusal = _folder_refusal(replica, args.server,
                              explicit=getattr(args, "data_dir_given", True))
    if refusal is not None:
        replica.close()
        print(f"not connected: {refusal}", file=sys.stderr)
        return 2
    print(f"replica folder: {args.data_dir}")
    password = password_source(args.email)()
    if not password:
        replica.close()
        print(f"no password: set {PASSWORD_ENV} or run from a terminal", file=sys.stderr)
        return 2
    credentials = KeyringCredentials()
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
