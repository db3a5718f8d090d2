"""Migrate the database to this version's schema after taking a restore point.

The restore point is a `backup` written to INSTITUTE_BACKUP_DIR (or --backup-dir) under a name
that says which schema it holds; when it cannot be written nothing is migrated. Rolling back
(docs/deploy.md, "Upgrading"): stop the server, reinstall the previous release, then
`restore --force` the restore point with it.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from institute_core import migrations
from sync_server.commands.backup import write_backup
from sync_server.commands.pg_tools import ToolError, database_name
from sync_server.settings import Settings, make_engine


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backup-dir", type=Path, default=None,
                        help="folder for the restore point (INSTITUTE_BACKUP_DIR, default "
                             "/var/backups/institute-desk)")


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrations.alembic_config())
    return {revision.revision for revision in script.walk_revisions()}


def restore_point_path(folder: Path, schema: str, moment: datetime) -> Path:
    return folder / (f"{database_name()}-before-upgrade-from-{schema}-"
                     f"{moment.strftime('%Y%m%dT%H%M%SZ')}.dump")


def run(args: argparse.Namespace) -> int:
    settings = Settings()
    folder: Path = args.backup_dir or Path(settings.backup_dir)
    engine = make_engine(settings.database_url)
    try:
        before = migrations.current_revision(engine)
        if before == migrations.HEAD:
            print(f"database schema {before} is already this version's: nothing to migrate, "
                  f"no restore point needed")
            return 0
        if before is None:
            # A new database has nothing to lose: that is `migrate`'s job.
            print("upgrade: the database is empty; set it up with `migrate` (docs/deploy.md, "
                  "first setup)", file=sys.stderr)
            return 2
        if before not in _known_revisions():
            # Typically the previous release reinstalled without restoring its restore point.
            print(f"upgrade: the database schema {before} is newer than this release knows "
                  f"(its newest is {migrations.HEAD}); install the release that wrote it, or "
                  f"roll back with its restore point (docs/deploy.md, Upgrading); nothing "
                  f"changed", file=sys.stderr)
            return 2
        if not folder.is_dir():
            print(f"upgrade: the backup folder {folder} does not exist (create it, owned by "
                  f"the user running this, or pass --backup-dir); nothing migrated",
                  file=sys.stderr)
            return 1
        target = restore_point_path(folder, before, datetime.now(UTC))
        try:
            written = write_backup(target)
        except ToolError as exc:
            print(f"upgrade: the restore point could not be written, nothing migrated: {exc}",
                  file=sys.stderr)
            return 1
        print(f"restore point: {written}")
        # Printed before migrating, so that it is on the screen even if the migration fails.
        print(f"  to roll back: stop the server, reinstall the previous release, then "
              f"`institute-sync-server restore --force {target}`", flush=True)
        migrations.upgrade(engine)
        after = migrations.current_revision(engine)
    finally:
        engine.dispose()
    print(f"database schema: {before} -> {after}")
    return 0
