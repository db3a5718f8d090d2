"""Versions from a sequence, so pushes from different desks commit in parallel (issue 16).

Until now every push locked the one `sync_clock` row for its whole transaction: versions came
out in commit order and a pull's high-water mark was simply the committed counter, but all
desks' pushes queued behind each other. Now

- versions come from the sequence `sync_version_seq` (never rolled back, never locked);
- a writer announces itself by holding, until it commits or aborts, a transaction advisory lock
  whose key is its first version (offset into a range of keys nothing else uses);
- a pull's high-water mark, `sync_watermark()`, is the highest version below which no writer is
  still in flight: one less than the smallest announced first version, or the sequence's last
  value when nobody writes. Taking a first version and announcing it happen under a shared
  "gate" lock that the watermark takes exclusively for the instant it reads both, so a version
  can never be handed out unannounced behind the watermark's back.

docs/sync.md ("Versions and concurrent pushes") has the argument in full. On replicas (SQLite)
only the unused column goes; the sequence and functions live on the server.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 21:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# Keep in step with sync_server/sync/versions.py.
_VERSION_KEY_BASE = 0x5E00_0000_0000_0000
_KEY_CLASS_LOW, _KEY_CLASS_HIGH = 0x5E00_0000, 0x5F00_0000
_GATE = (0x5E5C_0000, 1)

_TAKE = f"""
CREATE FUNCTION sync_take_versions(n integer) RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
    first_version bigint;
    rest bigint[];
BEGIN
    PERFORM pg_advisory_lock_shared({_GATE[0]}, {_GATE[1]});
    BEGIN
        first_version := nextval('sync_version_seq');
        PERFORM pg_advisory_xact_lock({_VERSION_KEY_BASE} + first_version);
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM pg_advisory_unlock_shared({_GATE[0]}, {_GATE[1]});
        RAISE;
    END;
    PERFORM pg_advisory_unlock_shared({_GATE[0]}, {_GATE[1]});
    SELECT array_agg(v ORDER BY v) INTO rest
      FROM (SELECT nextval('sync_version_seq') AS v FROM generate_series(2, n)) AS more;
    RETURN array_prepend(first_version, coalesce(rest, '{{}}'::bigint[]));
END $$;
"""

_WATERMARK = f"""
CREATE FUNCTION sync_watermark() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    last_version bigint;
    called boolean;
    lowest bigint;
BEGIN
    PERFORM pg_advisory_lock({_GATE[0]}, {_GATE[1]});
    BEGIN
        SELECT last_value, is_called INTO last_version, called FROM sync_version_seq;
        SELECT min(((l.classid::bigint << 32) | l.objid::bigint) - {_VERSION_KEY_BASE})
          INTO lowest
          FROM pg_locks AS l
         WHERE l.locktype = 'advisory' AND l.objsubid = 1
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND l.classid::bigint >= {_KEY_CLASS_LOW} AND l.classid::bigint < {_KEY_CLASS_HIGH};
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM pg_advisory_unlock({_GATE[0]}, {_GATE[1]});
        RAISE;
    END;
    PERFORM pg_advisory_unlock({_GATE[0]}, {_GATE[1]});
    IF NOT called THEN
        last_version := last_version - 1;
    END IF;
    RETURN CASE WHEN lowest IS NULL THEN last_version ELSE least(last_version, lowest - 1) END;
END $$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE SEQUENCE sync_version_seq AS bigint MINVALUE 1")
        op.execute("SELECT setval('sync_version_seq', GREATEST(version, 1), version > 0) "
                   "FROM sync_clock WHERE id = 1")
        op.execute(_TAKE)
        op.execute(_WATERMARK)
    with op.batch_alter_table('sync_clock', schema=None) as batch_op:
        batch_op.drop_column('version')


def downgrade() -> None:
    with op.batch_alter_table('sync_clock', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.BigInteger(), nullable=False,
                                      server_default='0'))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE sync_clock SET version = "
                   "(SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END "
                   "FROM sync_version_seq)")
        op.execute("DROP FUNCTION sync_watermark()")
        op.execute("DROP FUNCTION sync_take_versions(integer)")
        op.execute("DROP SEQUENCE sync_version_seq")
