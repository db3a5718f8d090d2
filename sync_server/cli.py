"""`institute-sync-server`: migrate, upgrade, serve, create-admin, seed-demo, devices, backup,
restore, portal-code and dispatch (sends queued messages), configured by environment.

Each command lives in its own module under `sync_server.commands`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS: dict[str, str] = {
    "migrate": "sync_server.commands.migrate",
    "upgrade": "sync_server.commands.upgrade",
    "serve": "sync_server.commands.serve",
    "seed-demo": "sync_server.commands.seed_demo",
    "create-admin": "sync_server.commands.create_admin",
    "backup": "sync_server.commands.backup",
    "restore": "sync_server.commands.restore",
    "devices": "sync_server.commands.devices",
    "portal-code": "sync_server.commands.portal_code",
    "dispatch": "sync_server.commands.dispatch",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="institute-sync-server",
        description="Institute Desk sync server (PostgreSQL named by DATABASE_URL).")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
        module.configure(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
