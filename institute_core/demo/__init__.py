"""The demo institute: a realistic, deterministic institute for trying the app and benchmarks.

`generate(size, seed)` builds it in memory as plain rows; `build_demo_replica(data_dir)` puts
it into a standalone local replica; `load_into_database(url)` into a server database.
`DEMO_LOGINS` are the four sign-ins (one per staff role) it always has.
"""

from institute_core.demo.context import SIZES
from institute_core.demo.generator import DemoData, generate
from institute_core.demo.loading import (
    DemoRefused,
    DemoSummary,
    build_demo_replica,
    insert_rows,
    load_into_database,
)
from institute_core.demo.logins import DEMO_LOGINS

__all__ = [
    "DEMO_LOGINS",
    "SIZES",
    "DemoData",
    "DemoRefused",
    "DemoSummary",
    "build_demo_replica",
    "generate",
    "insert_rows",
    "load_into_database",
]
