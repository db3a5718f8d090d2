"""Migration 0020 (messages per branch) on a populated database, SQLite and PostgreSQL: the
templates, triggers and opt-outs already there stay the institute's, a branch may then have its
own template of the same event, language and channel, and downgrading drops only what the
older schema cannot hold."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Engine, inspect, text

from institute_core import migrations
from institute_core.ids import natural_id
from institute_core.schema import MAIN_BRANCH_ID

# SQLite has no now(): the rows say when they were made, as the unit of work writes them.
STAMPS, NOW = "created_at, updated_at, version", ":t, :t, 1"
T = datetime(2026, 12, 1, 10, tzinfo=UTC)


def _id(value: uuid.UUID, engine: Engine) -> str:
    # SQLite keeps a Uuid as 32 hex digits, PostgreSQL as a uuid.
    return value.hex if engine.dialect.name == "sqlite" else str(value)


def _columns(engine: Engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_0020_keeps_the_institutes_rows_and_lets_a_branch_have_its_own(
        migration_engine: Engine) -> None:
    engine = migration_engine
    migrations.upgrade(engine, "0019")
    template = natural_id("message_templates", "absent", "en", "sms")
    trigger = uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO message_templates (id, event, language, channel, body, "
                          f"{STAMPS}) VALUES (:id, 'absent', 'en', 'sms', '{{student_first_name}}"
                          f" was absent.', {NOW})"), {"id": _id(template, engine), "t": T})
        conn.execute(text("INSERT INTO message_triggers (id, name, event, enabled, "
                          f"{STAMPS}) VALUES (:id, 'Absent', 'absent', :on, {NOW})"),
                     {"id": _id(trigger, engine), "on": True, "t": T})
        conn.execute(text("INSERT INTO message_consents (id, contact, channel, opted_out, "
                          f"{STAMPS}) VALUES (:id, '+919876543210', 'sms', :on, {NOW})"),
                     {"id": _id(uuid.uuid4(), engine), "on": True, "t": T})

    migrations.upgrade(engine, "0020")
    assert "branch_id" in _columns(engine, "message_templates")
    assert "branch_id" in _columns(engine, "message_triggers")
    assert "changed_by" in _columns(engine, "message_consents")
    with engine.begin() as conn:
        assert conn.execute(text("SELECT branch_id FROM message_templates")).all() == [(None,)]
        assert conn.execute(text("SELECT name, branch_id FROM message_triggers")).all() == [
            ("Absent", None)]
        assert conn.execute(text("SELECT opted_out, changed_by FROM message_consents")).all() \
            in ([(True, None)], [(1, None)])
        # The same event, language and channel, now for the main branch: a row of its own.
        conn.execute(text("INSERT INTO message_templates (id, event, language, channel, body, "
                          f"branch_id, {STAMPS}) VALUES (:id, 'absent', 'en', 'sms', "
                          f"'Main: absent.', :branch, {NOW})"),
                     {"id": _id(uuid.uuid4(), engine), "branch": _id(MAIN_BRANCH_ID, engine),
                      "t": T})
        assert conn.execute(text("SELECT count(*) FROM message_templates")).scalar() == 2

    migrations.downgrade(engine, "0019")
    assert "branch_id" not in _columns(engine, "message_templates")
    assert "changed_by" not in _columns(engine, "message_consents")
    with engine.begin() as conn:
        assert conn.execute(text("SELECT body FROM message_templates")).scalars().all() == [
            "{student_first_name} was absent."]
        assert conn.execute(text("SELECT count(*) FROM message_triggers")).scalar() == 1
    migrations.upgrade(engine, "0020")
    assert "branch_id" in _columns(engine, "message_templates")
