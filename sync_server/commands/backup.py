"""Back up the database named by DATABASE_URL to FILE (pg_dump custom format).

Restore it with `institute-sync-server restore FILE` (docs/deploy.md has the drill).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sync_server.commands.pg_tools import ToolError, database_name, run_tool


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="where to write the backup")


def write_backup(target: Path) -> str:
    """Back the database up to `target`; what was written, or ToolError."""
    # Written beside the target and renamed when complete: a failed backup never leaves a
    # file that looks like a good one.
    partial = target.with_name(target.name + ".partial")
    started = time.monotonic()
    try:
        # The backup holds password hashes and sessions: readable by its owner only.
        partial.unlink(missing_ok=True)
        partial.touch(mode=0o600)
    except OSError as exc:
        raise ToolError(f"cannot write {partial}: {exc.strerror}") from exc
    try:
        run_tool("pg_dump", "--format=custom", "--no-owner", f"--file={partial}")
    except ToolError:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    size = target.stat().st_size
    return (f"database {database_name()} to {target} "
            f"({size / 1_000_000:.1f} MB in {time.monotonic() - started:.1f} s)")


def run(args: argparse.Namespace) -> int:
    try:
        written = write_backup(args.file)
    except ToolError as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 1
    print(f"backed up {written}")
    return 0
