"""Restore the database named by DATABASE_URL from FILE (a `backup`), with a new epoch.

Refuses to replace a database that has tables unless given --force. After pg_restore the
schema is migrated to this version's head and the server gets a new epoch, from which every
desk learns on its next sync that the server forgot what came after the backup: it sends its
changes since again and downloads its data anew (docs/sync.md, docs/deploy.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, text

from institute_core import migrations
from sync_server.commands.pg_tools import ToolError, database_name, run_tool
from sync_server.settings import database_url, make_engine
from sync_server.sync.versions import renew_epoch


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="a backup written by `backup` (pg_dump -Fc)")
    parser.add_argument("--force", action="store_true",
                        help="replace everything in a database that is not empty")


def _tables(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar_one())


def _others_connected(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")).scalar_one())


def _empty_schema(engine: Engine) -> None:
    # pg_restore --clean only drops what the backup holds: tables a later migration added
    # would stay behind and break the migration that follows.
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


def run(args: argparse.Namespace) -> int:
    source: Path = args.file
    name = database_name()
    if not source.is_file():
        print(f"restore: {source} is not a file", file=sys.stderr)
        return 2
    started = time.monotonic()
    engine = make_engine(database_url())
    try:
        # Read the whole archive's table of contents before touching anything.
        run_tool("pg_restore", "--list", source)
        tables = _tables(engine)
        if tables and not args.force:
            print(f"restore: database {name} is not empty ({tables} tables); restoring "
                  f"replaces everything in it with {source}. Stop the sync server, then run "
                  f"again with --force.", file=sys.stderr)
            return 2
        others = _others_connected(engine)
        if others:
            # A running server would go on writing into, or wait on locks of, what is
            # being replaced.
            print(f"restore: {others} other connection(s) to database {name}: stop the sync "
                  f"server (and close other sessions) first.", file=sys.stderr)
            return 2
        if tables:
            _empty_schema(engine)
        run_tool("pg_restore", "--no-owner", "--exit-on-error", "--single-transaction",
                 f"--dbname={name}", source)
        restored_at = migrations.current_revision(engine)
        migrations.upgrade(engine)
        with engine.begin() as conn:
            epoch = renew_epoch(conn)
    except ToolError as exc:
        print(f"restore: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"restored database {name} from {source} in {time.monotonic() - started:.1f} s "
          f"(schema {restored_at} -> {migrations.HEAD}); new server epoch {epoch}: desks "
          f"send again what the backup lacks on their next sync")
    return 0
