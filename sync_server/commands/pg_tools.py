"""Running PostgreSQL's own client programs (pg_dump, pg_restore) on the DATABASE_URL database.

The connection goes to them through PG* environment variables, never the command line, where
a password would show in the process list.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from sync_server.settings import database_url

# URL query options that libpq also reads from the environment.
_QUERY_ENV = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT",
              "sslkey": "PGSSLKEY", "host": "PGHOST", "port": "PGPORT"}


class ToolError(Exception):
    """A client program is missing or failed; the message is for the person at the shell."""


def database_name() -> str:
    return make_url(database_url()).database or ""


def libpq_env() -> dict[str, str]:
    """This process's environment plus PG* variables naming the DATABASE_URL database."""
    url = make_url(database_url())
    env = dict(os.environ)
    for name, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                        ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value is not None:
            env[name] = str(value)
    for key, option in url.query.items():
        if key in _QUERY_ENV:
            env[_QUERY_ENV[key]] = option if isinstance(option, str) else option[-1]
    return env


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ToolError(f"{name} was not found on PATH: install the PostgreSQL client programs "
                        f"(Debian: apt-get install postgresql-client)")
    return found


def run_tool(name: str, *arguments: str | Path) -> str:
    """Run `name` with `arguments` against the database; its output, or ToolError."""
    try:
        done = subprocess.run([_binary(name), *map(str, arguments)], env=libpq_env(),
                              capture_output=True, text=True, check=False)
    except OSError as exc:
        raise ToolError(f"{name} could not be started: {exc}") from exc
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise ToolError(f"{name} failed (exit {done.returncode}): "
                        + ("; ".join(lines[:5]) if lines else "no message"))
    return done.stdout
