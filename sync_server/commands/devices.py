"""List every registered device: owner, last seen, and pushes the server keeps failing on."""

from __future__ import annotations

import argparse

from institute_core.sync.device_health import by_urgency
from sync_server.settings import database_url, make_engine
from sync_server.sync.devices import list_devices


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--failing", action="store_true",
                        help="only the devices whose last push failed; exit 1 when there is one "
                             "(for a monitoring check)")


def run(args: argparse.Namespace) -> int:
    engine = make_engine(database_url())
    try:
        devices = by_urgency(list_devices(engine))
    finally:
        engine.dispose()
    failing = [d for d in devices if d.failing]
    shown = failing if args.failing else devices
    for device in shown:
        print(f"{device.owner}  {device.label}  ({device.device_id})  "
              f"last seen {device.seen_text()}  {device.push_state()}")
        if device.failing and device.reason:
            print(f"    {device.reason}")
    print(f"{len(devices)} device(s), {len(failing)} failing to upload")
    return 1 if args.failing and failing else 0
