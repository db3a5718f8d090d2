"""Fill the database named by DATABASE_URL with the demo institute (migrating it first)."""

from __future__ import annotations

import argparse
import sys

from institute_core import migrations
from institute_core.demo import SIZES, DemoRefused, load_into_database
from sync_server.settings import database_url, make_engine


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", choices=tuple(SIZES), default="default",
                        help="small (tests), default (about 1,500 students) or large (10x)")
    parser.add_argument("--seed", type=int, default=7,
                        help="the same seed always gives the same institute (default: 7)")


def run(args: argparse.Namespace) -> int:
    engine = make_engine(database_url())
    try:
        if migrations.current_revision(engine) != migrations.head_revision():
            migrations.upgrade(engine)
            print("database schema upgraded to", migrations.head_revision(), flush=True)
        summary = load_into_database(engine, size=args.size, seed=args.seed)
    except DemoRefused as exc:
        print(f"seed-demo refused: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print("\n".join(summary.lines()))
    return 0
