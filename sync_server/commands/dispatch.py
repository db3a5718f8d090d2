"""Send the messages desks queued (SMS, WhatsApp, email); run beside `serve`, as many as wanted.

Several dispatchers share one queue safely: each claims its messages FOR UPDATE SKIP LOCKED.
Provider settings come from the environment (docs/messages.md); a channel without them keeps
its messages queued.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import Any

from sync_server.settings import Settings, make_engine


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--report", action="store_true",
                        help="print message counts and costs per month and channel, then exit")
    parser.add_argument("--once", action="store_true",
                        help="one round (admit, claim, send), then exit")
    parser.add_argument("--batch", type=int, default=100,
                        help="messages claimed per round (default 100)")
    parser.add_argument("--no-daily", action="store_true",
                        help="do not run the daily triggers (fee reminders, at risk, "
                             "follow-ups due) in this process")
    parser.add_argument("--idle-seconds", type=float, default=2.0,
                        help="wait between rounds when nothing was due (default 2)")


def run(args: argparse.Namespace) -> int:
    from sync_server.messages.dispatcher import Dispatcher
    from sync_server.messages.providers import adapters_from
    from sync_server.messages.scheduled import DailyTriggers
    from sync_server.messages.settings import MessagingSettings

    if args.report:
        return _report()
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = MessagingSettings()
    adapters = adapters_from(settings)
    if not adapters:
        print("no message provider is configured (INSTITUTE_SMTP_*, INSTITUTE_MSG91_*, "
              "INSTITUTE_WHATSAPP_*): messages stay queued", file=sys.stderr)
    engine = make_engine(Settings().database_url, pool_size=2)
    daily = None if args.no_daily else DailyTriggers(engine, settings.quiet_hours.zone)
    dispatcher = Dispatcher(engine, adapters, settings, batch=args.batch, daily=daily)
    try:
        if args.once:
            result = dispatcher.run_once()
            print(f"admitted {result.admitted}; {result.outcomes}")
            return 0
        stop = threading.Event()

        def _stop(*_: Any) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        logging.getLogger("sync_server.messages").info(
            "dispatching %s", ", ".join(sorted(adapters)) or "nothing")
        dispatcher.run(stop, args.idle_seconds)
        return 0
    finally:
        dispatcher.close()
        for adapter in adapters.values():
            adapter.close()
        engine.dispose()


def _report() -> int:
    from sqlalchemy.orm import Session

    from institute_core.messaging.report import monthly_report, report_text

    engine = make_engine(Settings().database_url, pool_size=1)
    try:
        with Session(engine) as session:
            print(report_text(monthly_report(session)))
    finally:
        engine.dispose()
    return 0
