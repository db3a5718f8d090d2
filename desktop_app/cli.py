"""`institute-desk`: the desktop app, and its commands for scripted use.

Commands that need no window (seed-demo, connect, sync, import, report) never import Qt, so they
run on a headless machine; each lives in its own module under `desktop_app.commands`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from institute_core.collector import freeze_startup_objects
from institute_core.paths import default_data_dir

# command name -> module with `configure(parser)` and `run(args) -> int`
COMMANDS: dict[str, str] = {
    "seed-demo": "desktop_app.commands.seed_demo",
    "connect": "desktop_app.commands.connect",
    "sync": "desktop_app.commands.sync",
    "report": "desktop_app.commands.report",
    "import": "desktop_app.commands.import_data",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="institute-desk",
        description="Institute Desk: offline-first desk for training institutes.")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help=f"folder of the local replica (default: {default_data_dir()})")
    parser.add_argument("--demo", action="store_true",
                        help="open a local demo institute, building it first if needed")
    parser.add_argument("--self-test", action="store_true",
                        help="build a demo in a temporary folder, open every screen, print a "
                             "report, and exit 0 when all worked (checks an installation)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
        sub.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                         help="folder of the local replica")
        module.configure(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # `connect` must not silently adopt whatever replica the default folder holds.
    args.data_dir_given = args.data_dir is not None
    if args.data_dir is None:
        from desktop_app.settings.store import load_settings

        args.data_dir = load_settings().data_folder()
    if args.self_test:
        from desktop_app.selftest import run_self_test

        return run_self_test()
    if args.command:
        freeze_startup_objects()
        return int(args.run(args))
    from desktop_app.display_check import problem

    cannot_open = problem()
    if cannot_open is not None:
        print(cannot_open, file=sys.stderr)
        return 2
    from desktop_app.app import run_app

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
