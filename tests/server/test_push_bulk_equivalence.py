"""The buffered push (prefetch, decide in Python, write in bulk) decides every change exactly as
the careful change-by-change path (each change written at once under its own savepoint) does.

The same generated batches – several tables, concurrent edits, owner and later-stamp
conflicts, refusals, a row touched twice, a deleted row, an undelete, a unique collision, a
value too long, a gap in the sequence, a replay – go through each path on two copies of one
database; results, rows, stamps, the conflict log and the applied-change records must be equal.
Any shortcut of the bulk path that decides one case differently shows up here.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import psycopg
from sqlalchemy import Engine, create_engine, select

from institute_core.schema import SYNCED_TABLES, table_of
from institute_core.sync.wire import SCHEMA_VERSION, PushRequest
from sync_server.auth.service import authenticate
from sync_server.principal import Principal
from sync_server.settings import sqlalchemy_url
from sync_server.sync import push
from tests.server.conftest import make_settings
from tests.server.helpers import Device, build_school, new_row

# Written by the server at the moment it writes them: never equal between two runs.
_VOLATILE = {"sync_conflicts": {"id", "created_at"}, "sync_applied_changes": {"applied_at"},
             "auth_sessions": set()}


def _clone(url: str, name: str) -> str:
    """A copy of the database at `url` (same ids, tokens and sequence positions)."""
    admin_url, source = url.rsplit("/", 1)
    with psycopg.connect(admin_url + "/postgres", autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = %s AND pid <> pg_backend_pid()", (source,))
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    return f"{admin_url}/{name}"


def _drop(url: str) -> None:
    admin_url, name = url.rsplit("/", 1)
    with psycopg.connect(admin_url + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    engine = create_engine(sqlalchemy_url(url))
    try:
        yield engine
    finally:
        engine.dispose()


Path = Callable[[Engine, Principal, PushRequest], bytes]


def _bulk(engine: Engine, principal: Principal, body: PushRequest) -> bytes:
    return push.push(engine, make_settings("postgresql://x/y"), principal, body, None)


def _careful(engine: Engine, principal: Principal, body: PushRequest) -> bytes:
    return push._taking_turns(lambda: push._push(engine, principal, body, None,
                                                 push._Position(), buffered=False))


def _without(result: dict[str, Any]) -> dict[str, Any]:
    """A change result without what differs by construction (ids and times of log rows)."""
    conflicts = [{k: v for k, v in c.items() if k not in ("id", "created_at")}
                 for c in result["conflicts"]]
    return {**result, "conflicts": conflicts}


def _state(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every synced table's rows, the stamps, the conflict log and the applied changes."""
    tables = [*SYNCED_TABLES, "sync_field_versions", "sync_conflicts", "sync_applied_changes"]
    state: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for name in tables:
            table = table_of(name)
            skip = _VOLATILE.get(name, set())
            rows = [{k: v for k, v in r.items() if k not in skip}
                    for r in conn.execute(select(table)).mappings()]
            state[name] = sorted(rows, key=repr)
    return state


def _batches(admin: Device, f1: Device, school: Any, rng: random.Random,
             deleted: uuid.UUID) -> list[tuple[Device, list[dict[str, Any]]]]:
    """Pushes of two desks that meet on the same rows, in a seeded random order."""
    v = school.versions
    admin_changes = [
        # Concurrent with f1's earlier edit of the same field: the owner (f1) keeps it.
        admin.change("learning_sessions", school.session, {"notes": "admin's"},
                     base_version=v["learning_sessions"]),
        # Concurrent, other field: merged.
        admin.change("learning_sessions", school.session, {"duration_minutes": 75},
                     base_version=v["learning_sessions"]),
        # The same row twice in one batch, the second on top of the first.
        admin.change("subjects", school.subject, {"name": "Python II"},
                     base_version=v["subjects"]),
        admin.change("subjects", school.subject, {"name": "Python III", "duration_hours": 50},
                     base_version=v["subjects"]),
        # An edit of a deleted row: lost, logged.
        admin.change("crm_inquiries", deleted, {"student_name": "Back again"},
                     base_version=v["crm_inquiries"]),
        # A new row whose unique code another row has: refused, kept in the log.
        admin.change("subjects", uuid.uuid4(), new_row(name="Clash", code="PY1",
                                                       duration_hours=10)),
        # A value too long for its column: refused by name.
        admin.change("topics", school.topic, {"name": "x" * 5000},
                     base_version=v["topics"]),
        # Plain inserts and plain updates, the common case.
        *[admin.change("topics", uuid.uuid4(), new_row(subject_id=school.subject,
                                                       name=f"Topic {i}", order_index=i + 2,
                                                       estimated_duration_minutes=30))
          for i in range(rng.randint(3, 6))],
        admin.change("students", school.student, {"enrollment_no": "E-2"},
                     base_version=v["students"]),
        admin.change("crm_inquiries", school.inquiry, {"phone": "555"},
                     base_version=v["crm_inquiries"]),
    ]
    f1_changes = [
        # Not allowed: a faculty member may not rename a subject.
        f1.change("subjects", school.subject, {"name": "Mine"}, base_version=v["subjects"]),
        # Later stamp against the admin's edit above (when the admin pushed first).
        f1.change("learning_sessions", school.session, {"duration_minutes": 90},
                  base_version=v["learning_sessions"]),
        f1.change("learning_sessions", school.session, {"notes": "f1 again"},
                  base_version=v["learning_sessions"]),
    ]
    rng.shuffle(admin_changes)
    # Shuffled after numbering: the batch is re-sequenced so seq order follows list order.
    first_seq = min(c["seq"] for c in admin_changes)
    for i, change in enumerate(admin_changes):
        change["seq"] = first_seq + i
    cut = rng.randint(1, len(admin_changes) - 1)
    gap = dict(admin.change("subjects", school.subject, {"name": "too far"}), seq=10_000)
    replay = admin_changes[0]
    pushes = [(admin, admin_changes[:cut]), (f1, f1_changes),
              (admin, [replay, *admin_changes[cut:], gap])]
    if rng.random() < 0.5:
        pushes[0], pushes[1] = pushes[1], pushes[0]
    return pushes


def _body(desk: Device, changes: list[dict[str, Any]]) -> PushRequest:
    return PushRequest.model_validate({"device_id": str(desk.device_id),
                                       "schema_version": SCHEMA_VERSION, "changes": changes})


def test_bulk_and_change_by_change_pushes_decide_and_write_the_same(
        device, staff, server_db) -> None:  # type: ignore[no-untyped-def]
    admin, f1 = device("admin@example.org"), device("f1@example.org")
    school = build_school(admin, staff.faculty1, staff.faculty2, staff.counselor)
    deleted = uuid.uuid4()
    setup = admin.push(admin.change("crm_inquiries", deleted,
                                    new_row(student_name="Gone", phone="9")))
    v = setup[0]["version"]
    gone = admin.push(admin.change("crm_inquiries", deleted, {"deleted_at": new_row()[
        "created_at"]}, base_version=v))
    assert gone[0]["outcome"] == "applied"
    # f1 (the session's owner) edits it first: later pushes based on the old version meet it.
    mine = f1.push(f1.change("learning_sessions", school.session, {"notes": "f1's"},
                             base_version=school.versions["learning_sessions"]))
    assert mine[0]["outcome"] == "applied"
    seqs = (admin.seq, f1.seq)
    seeds = (3, 11, 29)
    copies = {(seed, path.__name__): _clone(server_db, f"{server_db.rsplit('/', 1)[1]}_{seed}"
                                                       f"{path.__name__}")
              for seed in seeds for path in (_bulk, _careful)}
    try:
        for seed in seeds:
            # Each seed starts from the same copy: the desks number from the same seq again.
            admin.seq, f1.seq = seqs
            pushes = _batches(admin, f1, school, random.Random(seed), deleted)
            outcomes: dict[str, Any] = {}
            for path in (_bulk, _careful):
                with _engine(copies[(seed, path.__name__)]) as engine:
                    results = []
                    for desk, changes in pushes:
                        principal = authenticate(engine, make_settings(server_db), desk.token)
                        answer = orjson.loads(path(engine, principal, _body(desk, changes)))
                        results.append([_without(r) for r in answer["results"]])
                    outcomes[path.__name__] = (results, _state(engine))
            bulk, careful = outcomes["_bulk"], outcomes["_careful"]
            assert bulk[0] == careful[0], f"seed {seed}: results differ"
            for name in bulk[1]:
                assert bulk[1][name] == careful[1][name], f"seed {seed}: {name} differs"
            kinds = {r["outcome"] for push_results in bulk[0] for r in push_results}
            # The batches reach every kind of decision, or the comparison proves little.
            assert {"applied", "merged", "lost", "rejected", "duplicate"} <= kinds, kinds
    finally:
        for url in copies.values():
            _drop(url)

