"""Serve the sync API with uvicorn (settings from DATABASE_URL, INSTITUTE_* variables)."""

from __future__ import annotations

import argparse
import contextlib
import copy
import importlib.util
from typing import Any

from sync_server.settings import Settings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="address to listen on (INSTITUTE_HOST)")
    parser.add_argument("--port", type=int, default=None, help="port (INSTITUTE_PORT)")
    parser.add_argument("--workers", type=int, default=1,
                        help="server processes sharing the port (default 1; about one per core)")
    parser.add_argument("--log-level", default="info",
                        choices=("critical", "error", "warning", "info", "debug"))


def log_config(level: str) -> dict[str, Any]:
    """Uvicorn's own logging, the app's JSON access lines on stdout (one per request), and
    the app's other messages on stderr."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["json_line"] = {"format": "%(message)s"}
    config["handlers"]["json_access"] = {"formatter": "json_line", "class": "logging.StreamHandler",
                                         "stream": "ext://sys.stdout"}
    config["loggers"]["sync_server.access"] = {"handlers": ["json_access"],
                                               "level": level.upper(), "propagate": False}
    # The app's own messages (a failure's reference and traceback above all) with their time,
    # on stderr like uvicorn's; without this only Python's bare last-resort handler shows them.
    config["formatters"]["app"] = {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    config["handlers"]["app"] = {"formatter": "app", "class": "logging.StreamHandler",
                                 "stream": "ext://sys.stderr"}
    config["loggers"]["sync_server"] = {"handlers": ["app"], "level": level.upper(),
                                        "propagate": False}
    return config


def _http_protocol() -> str:
    """httptools (C) with a bound on the request head (bounded_http.py); h11, which has its
    own, where httptools is not installed."""
    if importlib.util.find_spec("httptools") is None:
        return "h11"
    return "sync_server.commands.bounded_http:BoundedHttpToolsProtocol"


def run(args: argparse.Namespace) -> int:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from sync_server.commands.listening import TcpConfig

    settings = Settings().checked()  # fail here, with the message, not inside a worker
    config = TcpConfig(
        "sync_server.app:build_app", factory=True,
        host=args.host or settings.host, port=args.port or settings.port,
        workers=args.workers, log_level=args.log_level, log_config=log_config(args.log_level),
        # The app writes the access log as JSON; uvicorn's text lines would repeat it.
        access_log=False,
        # The body limit is enforced by the app; uvicorn just must not buffer forever.
        timeout_keep_alive=30, http=_http_protocol())
    # What uvicorn.run does, with our config class (it builds its own from keywords).
    if config.workers > 1:
        with contextlib.suppress(KeyboardInterrupt):
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        return 0
    server = uvicorn.Server(config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    return 0 if server.started else 3  # uvicorn's exit code for a failed start-up
