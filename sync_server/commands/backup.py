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


def run(args: argparse.Namespace) -> int:
    target: Path = args.file
    # Written beside the target and renamed when complete: a failed backup never leaves a
    # file that looks like a good one.
    partial = target.with_name(target.name + ".partial")
    started = time.monotonic()
    # The backup holds password hashes and sessions: readable by its owner only.
    partial.unlink(missing_ok=True)
    partial.touch(mode=0o600)
    try:
        run_tool("pg_dump", "--format=custom", "--no-owner", f"--file={partial}")
    except ToolError as exc:
        partial.unlink(missing_ok=True)
        print(f"backup: {exc}", file=sys.stderr)
        return 1
    partial.replace(target)
    size = target.stat().st_size
    print(f"backed up database {database_name()} to {target} "
          f"({size / 1_000_000:.1f} MB in {time.monotonic() - started:.1f} s)")
    return 0
