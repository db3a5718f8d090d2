"""Sync this desk with the server once (push waiting changes, pull new ones)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable

from institute_core.display import style_of, use_style
from institute_core.replica import Replica
from institute_core.sync.account import sync_replica
from institute_core.sync.credentials import KeyringCredentials
from institute_core.sync.errors import (
    ClientTooOld,
    NeedsLogin,
    ServerFailed,
    ServerUnreachable,
    SyncError,
    SyncFailing,
)
from institute_core.sync.runner import SyncProgress, SyncReport

PASSWORD_ENV = "INSTITUTE_DESK_PASSWORD"


def configure(parser: argparse.ArgumentParser) -> None:
    """No options beyond --data-dir: the server and account come from `connect`."""


def password_source(email: str) -> Callable[[], str | None]:
    """The password from INSTITUTE_DESK_PASSWORD, else a prompt when a person is there."""

    def ask() -> str | None:
        if os.environ.get(PASSWORD_ENV):
            return os.environ[PASSWORD_ENV]
        if sys.stdin.isatty():
            return getpass.getpass(f"Password for {email}: ")
        return None

    return ask


def print_progress(progress: SyncProgress) -> None:
    """One self-overwriting status line on stderr."""
    total = f"/{progress.total}" if progress.total is not None else ""
    sys.stderr.write(f"\r{progress.phase}: {progress.done}{total}        ")
    sys.stderr.flush()


def print_report(report: SyncReport) -> None:
    sys.stderr.write("\n")
    print(f"sent {report.sent}, received {report.received}, conflicts {report.conflicts}, "
          f"rejected {len(report.rejected)} ({report.duration_s:.1f} s)")
    for rejection in report.rejected:
        print(f"  rejected: {rejection.table} {rejection.row_id}: {rejection.reason}")
    if report.collisions:
        print(f"  {report.collisions} duplicate value(s) need a person: see the conflict log")
    if report.parked:
        print(f"  {report.parked} row(s) wait for a row this desk cannot see yet")
    for table, removed in report.repaired.items():
        print(f"  repaired {table}: removed {removed} row(s) no longer shared with you")
    for table, (server, local) in report.mismatched.items():
        print(f"  still different after repair: {table} server {server} here {local}")
    if report.started_over:
        print(f"  {report.started_over}: sent {report.resent} change(s) of this desk again "
              f"and downloaded your data anew")
    if report.cancelled:
        print("  cancelled before the end; the next sync carries on")


def explain(exc: SyncError) -> str:
    """One line saying what went wrong and what to do."""
    if isinstance(exc, ServerUnreachable):
        return f"server unreachable: {exc}. Your changes are kept and upload at the next sync."
    if isinstance(exc, NeedsLogin):
        return (f"sign-in needed: {exc}. Run again with {PASSWORD_ENV} set or from a terminal; "
                "your changes are kept.")
    if isinstance(exc, ClientTooOld):
        return "update the app: this version is too old for the server. Your changes are kept."
    if isinstance(exc, SyncFailing):
        return (f"{exc.failing.line()}. Your changes are kept and upload once the server "
                "takes them; the reference finds the failure in the server's log.")
    if isinstance(exc, ServerFailed):
        return f"the server failed: {exc}. Your changes are kept; try again later."
    return f"sync failed: {exc}"


def run(args: argparse.Namespace) -> int:
    replica = Replica.open(args.data_dir)
    use_style(style_of(replica))  # "failing since" in the institute's time zone
    try:
        email = str(replica.get_state("email", ""))
        report = sync_replica(replica, KeyringCredentials(), password=password_source(email),
                              progress=print_progress)
    except SyncError as exc:
        sys.stderr.write("\n")
        print(explain(exc), file=sys.stderr)
        return 1
    finally:
        replica.close()
    print_report(report)
    return 0 if not report.cancelled else 1
