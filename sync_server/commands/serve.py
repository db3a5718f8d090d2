"""Serve the sync API with uvicorn (settings from DATABASE_URL, INSTITUTE_* variables)."""

from __future__ import annotations

import argparse

from sync_server.settings import Settings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="address to listen on (INSTITUTE_HOST)")
    parser.add_argument("--port", type=int, default=None, help="port (INSTITUTE_PORT)")
    parser.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    parser.add_argument("--log-level", default="info")


def run(args: argparse.Namespace) -> int:
    import uvicorn

    settings = Settings().checked()  # fail here, with the message, not inside a worker
    uvicorn.run("sync_server.app:build_app", factory=True,
                host=args.host or settings.host, port=args.port or settings.port,
                workers=args.workers, log_level=args.log_level,
                # The body limit is enforced by the app; uvicorn just must not buffer forever.
                timeout_keep_alive=30)
    return 0
