"""The pull of rows a desk already holds (the update path), driven by the real runner against
a scripted server: what it writes, what it keeps, and what it leaves the process as."""

from __future__ import annotations

import gc
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

import institute_core.sync.runner as runner_module
from institute_core.collector import no_collection_pauses
from institute_core.replica import Replica
from institute_core.schema import SYNCED_TABLES
from institute_core.sync import wire
from institute_core.sync.apply import CURSOR_KEY, PARKED_KEY, PageResult, apply_page
from institute_core.sync.backoff import CancelToken
from institute_core.sync.check import local_counts
from institute_core.sync.client import PullAnswer
from institute_core.sync.errors import SyncError
from institute_core.sync.feed import PageFeed
from institute_core.sync.runner import SyncOptions, SyncRunner
from institute_core.sync.transport import Transport
from tests.sync.builders import add_subject, get_field, replica_rows, set_fields


def _server_rows(source: Replica, tables: tuple[str, ...], version: int
                 ) -> list[wire.PulledRow]:
    """The source replica's rows as a server page carries them (id and version in values
    too, as the server sends them)."""
    return [wire.PulledRow(table=table, id=uuid.UUID(row_id), version=version,
                           values={**values, "version": version})
            for table, by_id in replica_rows(source, tables).items()
            for row_id, values in by_id.items()]


class _ScriptedServer:
    """A client whose pulls answer with fixed pages (`limit` rows each), the last with counts."""

    def __init__(self, rows: list[wire.PulledRow], counts: dict[str, int] | None) -> None:
        self.rows = rows
        self.counts = counts

    def pull(self, cursor: str, limit: int, device_id: uuid.UUID | None = None,
             cancel: CancelToken | None = None) -> wire.PullResponse:
        start = int(cursor or 0)
        end = min(start + limit, len(self.rows))
        more = end < len(self.rows)
        return wire.PullResponse(rows=self.rows[start:end], next_cursor=str(end),
                                 has_more=more, counts=None if more else self.counts,
                                 server_time_ms=0)

    def pull_page(self, cursor: str, limit: int, device_id: uuid.UUID | None = None,
                  cancel: CancelToken | None = None) -> PullAnswer:
        return PullAnswer.parsed(self.pull(cursor, limit, device_id, cancel))


@pytest.fixture
def collector_on() -> Iterator[None]:
    """Automatic collection on, as in the CLI (the test session may run with it off, as the
    desktop app does); put back as it was afterwards."""
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Replica, Replica]]:
    source, desk = Replica.open(tmp_path / "server"), Replica.open(tmp_path / "desk")
    yield source, desk
    source.close()
    desk.close()


def _sync(desk: Replica, rows: list[wire.PulledRow]) -> Any:
    counts = {name: n for name, n in local_counts(desk).items()}
    runner = SyncRunner(desk, _ScriptedServer(rows, counts),  # type: ignore[arg-type]
                        options=SyncOptions(page_limit=3))
    return runner.sync()


@pytest.mark.usefixtures("collector_on")
def test_a_pull_of_changed_rows_applies_them_with_the_collector_paused(
        pair: tuple[Replica, Replica], monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages are applied with automatic collection off (their rows form no cycles; a full
    collection walked every row in flight), and the collector is back on afterwards; no ids
    are kept when the push left nothing to check."""
    source, desk = pair
    subject, topics = add_subject(source, None, topics=5)
    apply_page(desk, _server_rows(source, ("subjects", "topics"), version=3))
    for topic in topics:
        set_fields(source, None, "topics", topic, name=f"renamed {topic.hex[:4]}")
    seen: list[tuple[bool, dict[str, Any]]] = []

    def watched(*args: Any, **kwargs: Any) -> PageResult:
        result = apply_page(*args, **kwargs)
        seen.append((gc.isenabled(), result.seen))
        return result

    monkeypatch.setattr(runner_module, "apply_page", watched)
    assert gc.isenabled()
    report = _sync(desk, _server_rows(source, ("subjects", "topics"), version=8))
    assert report.received == 6 and not report.mismatched
    assert len(seen) == 2 and seen == [(False, {}), (False, {})]
    assert gc.isenabled()
    for topic in topics:
        assert get_field(desk, "topics", topic, "name") == f"renamed {topic.hex[:4]}"
        assert get_field(desk, "topics", topic, "version") == 8
    assert get_field(desk, "subjects", subject, "version") == 8


def test_a_pulled_update_keeps_the_fields_edited_here(pair: tuple[Replica, Replica]) -> None:
    """Only the columns whose stored value differs are written, and never one with an edit
    waiting in the outbox, whichever of the changed columns it is."""
    source, desk = pair
    _subject, topics = add_subject(source, None, topics=3)
    apply_page(desk, _server_rows(source, ("subjects", "topics"), version=3))
    set_fields(desk, None, "topics", topics[0], name="typed offline")
    set_fields(desk, None, "topics", topics[1], order_index=40)
    for topic in topics:
        set_fields(source, None, "topics", topic, name="server name", order_index=9)
    result = apply_page(desk, _server_rows(source, ("subjects", "topics"), version=8))
    assert result.applied == 4 and result.parked == 0
    assert (get_field(desk, "topics", topics[0], "name"),
            get_field(desk, "topics", topics[0], "order_index")) == ("typed offline", 9)
    assert (get_field(desk, "topics", topics[1], "name"),
            get_field(desk, "topics", topics[1], "order_index")) == ("server name", 40)
    assert (get_field(desk, "topics", topics[2], "name"),
            get_field(desk, "topics", topics[2], "order_index")) == ("server name", 9)
    assert all(get_field(desk, "topics", t, "version") == 8 for t in topics)


def test_counts_are_one_statement_and_count_as_before(pair: tuple[Replica, Replica]) -> None:
    """The post-sync count of every table in one statement: rows minus those created here
    and not uploaded, plus parked rows not stored – table by table, as counted one by one."""
    source, desk = pair
    add_subject(source, None, topics=3)
    apply_page(desk, _server_rows(source, ("subjects", "topics"), version=3))
    add_subject(desk, None, code="LOCAL", topics=2)  # not uploaded: not counted
    parked_id = uuid.uuid4()
    desk.set_state(PARKED_KEY, [{"table": "topics", "id": str(parked_id), "version": 5,
                                 "values": {}, "reason": "its parent row is not on this "
                                                         "device yet"}])
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(desk.engine, "before_cursor_execute", note)
    try:
        counts = local_counts(desk)
    finally:
        event.remove(desk.engine, "before_cursor_execute", note)
    counting = [s for s in statements if "count(" in s.lower()]
    assert len(counting) == 2  # every table at once, and the parked rows' table
    with desk.engine.connect() as connection:
        for name in SYNCED_TABLES:
            stored = connection.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar_one()
            waiting = connection.exec_driver_sql(
                f'SELECT count(*) FROM "{name}" WHERE version = 0 AND id IN '
                "(SELECT row_id FROM sync_outbox WHERE table_name = ?)", (name,)).scalar_one()
            assert counts[name] == stored - waiting + (name == "topics"), name
    assert counts["subjects"] == 1 and counts["topics"] == 4


@pytest.mark.usefixtures("collector_on")
def test_a_collection_pause_inside_another_leaves_the_collector_as_it_was() -> None:
    assert gc.isenabled()
    with no_collection_pauses():
        assert not gc.isenabled()
        with no_collection_pauses():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()  # as the desktop app has it: collections run from its GUI thread
    try:
        with no_collection_pauses():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def _pages(n: int, per_page: int = 1) -> list[wire.PulledRow]:
    return [wire.PulledRow(table="subjects", id=uuid.uuid4(), version=i + 1, values={})
            for i in range(n * per_page)]


class _CountingServer(_ScriptedServer):
    def __init__(self, rows: list[wire.PulledRow]) -> None:
        super().__init__(rows, None)
        self.asked: list[str] = []
        self.lock = threading.Lock()

    def pull(self, cursor: str, limit: int, device_id: uuid.UUID | None = None,
             cancel: CancelToken | None = None) -> wire.PullResponse:
        with self.lock:
            self.asked.append(cursor)
        return super().pull(cursor, limit, device_id, cancel)


def _asked_at_least(server: _CountingServer, n: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if len(server.asked) >= n:
            return True
        time.sleep(0.01)
    return False


def test_a_pull_asks_for_later_pages_while_a_page_is_applied(
        pair: tuple[Replica, Replica], monkeypatch: pytest.MonkeyPatch) -> None:
    """While the desk applies page 1, the server is already asked for pages 2 and 3: the
    server does not wait for the desk whenever applying a page takes longer than fetching."""
    source, desk = pair
    add_subject(source, None, topics=8)
    rows = _server_rows(source, ("subjects", "topics"), version=3)
    server = _CountingServer(rows)
    overlapped: list[bool] = []

    def slow(*args: Any, **kwargs: Any) -> PageResult:
        if not overlapped:
            overlapped.append(_asked_at_least(server, 3))
        return apply_page(*args, **kwargs)

    monkeypatch.setattr(runner_module, "apply_page", slow)
    report = SyncRunner(desk, server,  # type: ignore[arg-type]
                        options=SyncOptions(page_limit=3, check_counts=False)).sync()
    assert overlapped == [True]
    assert report.received == len(rows) == 9
    assert server.asked == ["", "3", "6"]  # each page once, in order
    pulled = replica_rows(desk, ("subjects", "topics"))
    assert {t: {i: {**v, "version": 0} for i, v in by_id.items()} for t, by_id in pulled.items()
            } == replica_rows(source, ("subjects", "topics"))


def test_the_feed_keeps_at_most_ahead_groups_waiting() -> None:
    server = _CountingServer(_pages(10))
    feed = PageFeed(server.pull_page, "", first_limit=1, limit=1, group_rows=0, ahead=1,
                    cancel=CancelToken())
    try:
        assert [p.next_cursor for p in feed.next()] == ["1"]
        assert _asked_at_least(server, 2)
        time.sleep(0.2)
        assert len(server.asked) == 2  # one group waits; nothing more is asked for
        assert [p.next_cursor for p in feed.next()] == ["2"]
        assert _asked_at_least(server, 3)
    finally:
        feed.close()
    grouped = PageFeed(server.pull_page, "", first_limit=1, limit=2, group_rows=4, ahead=2,
                       cancel=CancelToken())
    try:
        groups = []
        while not groups or groups[-1][-1].continues:
            groups.append(grouped.next())
        # The first page alone, then pages of 2 rows until a group holds 4 rows.
        assert [[p.next_cursor for p in g] for g in groups] == [["1"], ["3", "5"], ["7", "9"],
                                                               ["10"]]
    finally:
        grouped.close()


def test_a_failed_fetch_is_raised_to_the_reader_in_order() -> None:
    class Failing(_CountingServer):
        def pull(self, cursor: str, limit: int, device_id: uuid.UUID | None = None,
                 cancel: CancelToken | None = None) -> wire.PullResponse:
            if cursor == "2":
                raise SyncError("the server is gone")
            return super().pull(cursor, limit, device_id, cancel)

    feed = PageFeed(Failing(_pages(5)).pull_page, "", first_limit=1, limit=1, group_rows=0,
                    ahead=2, cancel=CancelToken())
    try:
        assert feed.next()[0].next_cursor == "1"
        assert feed.next()[0].next_cursor == "2"
        with pytest.raises(SyncError, match="the server is gone"):
            feed.next()
    finally:
        feed.close()


class _HeadedServer(_CountingServer):
    """A server whose answers arrive as bodies with (or, as an older server's, without) the
    next-page headers; `parsed` lists each page's cursor as its body is parsed, with the
    thread that parsed it."""

    def __init__(self, rows: list[wire.PulledRow], *, headers: bool = True,
                 lie_at: str | None = None) -> None:
        super().__init__(rows)
        self.headers = headers
        self.lie_at = lie_at
        self.parsed: list[tuple[str, str]] = []
        self.bodies: dict[bytes, str] = {}

    def pull(self, cursor: str, limit: int, device_id: uuid.UUID | None = None,
             cancel: CancelToken | None = None) -> wire.PullResponse:
        return self.pull_page(cursor, limit, device_id, cancel).page()

    def pull_page(self, cursor: str, limit: int, device_id: uuid.UUID | None = None,
                  cancel: CancelToken | None = None) -> PullAnswer:
        page = super().pull(cursor, limit, device_id, cancel)
        body = page.model_dump_json().encode()
        self.bodies[body] = cursor
        said = {wire.NEXT_CURSOR_HEADER: page.next_cursor,
                wire.MORE_HEADER: "1" if page.has_more else "0",
                wire.ROW_COUNT_HEADER: str(len(page.rows))}
        if cursor == self.lie_at:
            said[wire.NEXT_CURSOR_HEADER] = "0"  # names a page other than the body's next
        return PullAnswer(body, said if self.headers else {})

    def watch(self, monkeypatch: pytest.MonkeyPatch) -> None:
        parse = Transport.parse

        def parse_watched(content: bytes, answer: Any) -> Any:
            with self.lock:
                self.parsed.append((self.bodies[content], threading.current_thread().name))
            return parse(content, answer)

        monkeypatch.setattr(Transport, "parse", staticmethod(parse_watched))


def test_the_next_page_is_asked_for_before_this_one_is_parsed_on_the_applying_thread(
        pair: tuple[Replica, Replica], monkeypatch: pytest.MonkeyPatch) -> None:
    """The fetch thread asks for page n+1 by the answer's headers, without parsing page n;
    the desk parses page n on the thread that applies it (only the first answer, which sets
    the clock, is parsed where it arrives). The replica ends as the server's rows say."""
    source, desk = pair
    add_subject(source, None, topics=8)
    rows = _server_rows(source, ("subjects", "topics"), version=3)
    server = _HeadedServer(rows)
    server.watch(monkeypatch)
    applied: list[int] = []

    def slow(*args: Any, **kwargs: Any) -> PageResult:
        if not applied:
            applied.append(int(_asked_at_least(server, 3)))
        return apply_page(*args, **kwargs)

    monkeypatch.setattr(runner_module, "apply_page", slow)
    report = SyncRunner(desk, server,  # type: ignore[arg-type]
                        options=SyncOptions(page_limit=3, check_counts=False)).sync()
    assert report.received == len(rows) == 9
    assert applied == [1]  # page 3 asked for while page 1 was applied, page 2 not parsed
    assert server.asked == ["", "3", "6"]
    main = threading.current_thread().name
    assert server.parsed == [("", "sync-fetch"), ("3", main), ("6", main)]
    pulled = replica_rows(desk, ("subjects", "topics"))
    assert {t: {i: {**v, "version": 0} for i, v in by_id.items()} for t, by_id in pulled.items()
            } == replica_rows(source, ("subjects", "topics"))


def test_an_older_server_without_the_headers_is_pulled_from_as_before(
        pair: tuple[Replica, Replica]) -> None:
    """Answers without the next-page headers are parsed as they arrive to find the next
    page; the pull ends with every row, as it did before the headers existed."""
    source, desk = pair
    add_subject(source, None, topics=8)
    rows = _server_rows(source, ("subjects", "topics"), version=3)
    server = _HeadedServer(rows, headers=False)
    report = SyncRunner(desk, server,  # type: ignore[arg-type]
                        options=SyncOptions(page_limit=3, check_counts=False)).sync()
    assert report.received == 9 and server.asked == ["", "3", "6"]
    assert desk.get_state(CURSOR_KEY) == "9"
    assert set(replica_rows(desk, ("topics",))["topics"]) == \
        set(replica_rows(source, ("topics",))["topics"])


def test_headers_that_disagree_with_the_body_stop_the_pull_before_that_page(
        pair: tuple[Replica, Replica]) -> None:
    """A page whose headers name another next page than its body is not applied: the pull
    fails there, and the cursor stays after the last page whose headers and body agreed."""
    source, desk = pair
    add_subject(source, None, topics=8)
    rows = _server_rows(source, ("subjects", "topics"), version=3)
    server = _HeadedServer(rows, lie_at="3")
    with pytest.raises(SyncError, match="disagrees with its own headers"):
        SyncRunner(desk, server,  # type: ignore[arg-type]
                   options=SyncOptions(page_limit=3, check_counts=False)).sync()
    assert desk.get_state(CURSOR_KEY) == "3"
