"""Upgrade the database named by DATABASE_URL to the newest schema."""

from __future__ import annotations

import argparse

from institute_core import migrations
from sync_server.settings import database_url, make_engine


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--revision", default="head", help="target revision (default: head)")


def run(args: argparse.Namespace) -> int:
    engine = make_engine(database_url())
    try:
        before = migrations.current_revision(engine)
        migrations.upgrade(engine, args.revision)
        after = migrations.current_revision(engine)
    finally:
        engine.dispose()
    print(f"database schema: {before or 'empty'} -> {after}")
    return 0
