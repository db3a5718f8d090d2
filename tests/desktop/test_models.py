"""Qt models tested without widgets: roster model, generic rows model, student filter."""

from __future__ import annotations

import time
import uuid
from datetime import date
from datetime import time as dtime

from PySide6.QtCore import Qt

from desktop_app.attendance.model import AttendanceModel
from desktop_app.models import Column, RowsModel
from desktop_app.students.view import STUDENT_COLUMNS, StudentSortProxy, search_predicate
from institute_core.enums import AttendanceStatus as S
from institute_core.services.attendance import RosterRow
from institute_core.services.students import StudentRow


def _roster(n: int) -> list[RosterRow]:
    return [RosterRow(uuid.uuid4(), i + 1, f"E-{i + 1:03d}", f"Student {i + 1}", None, None, "")
            for i in range(n)]


def test_attendance_model_shows_updates_and_counts(qapp) -> None:  # type: ignore[no-untyped-def]
    model = AttendanceModel()
    rows = _roster(3)
    model.set_rows(rows)
    changed: list[int] = []
    model.dataChanged.connect(lambda top, _bottom, _roles=(): changed.append(top.row()))
    model.update(rows[1].student_id, status=S.LATE, check_in=dtime(9, 5))
    assert changed == [1]
    assert model.data(model.index(1, 3)) == "Late"
    assert model.data(model.index(1, 4)) == "09:05"
    assert model.data(model.index(0, 3)) == "—"
    assert model.data(model.index(1, 3), Qt.ItemDataRole.BackgroundRole) is not None
    assert model.counts() == {"present": 0, "absent": 0, "late": 1, "excused": 0,
                              "unmarked": 2}


def test_rows_model_columns(qapp) -> None:  # type: ignore[no-untyped-def]
    model: RowsModel[tuple[str, int]] = RowsModel([
        Column("Name", lambda r: r[0]), Column("N", lambda r: str(r[1]), align_right=True)])
    model.set_rows([("a", 1), ("b", 2)])
    assert (model.rowCount(), model.columnCount()) == (2, 2)
    assert model.headerData(1, Qt.Orientation.Horizontal) == "N"
    assert model.data(model.index(1, 0)) == "b"


def _students(n: int) -> list[StudentRow]:
    rows = []
    for i in range(n):
        name = f"Name{i} Surname{i % 97}"
        rows.append(StudentRow(uuid.uuid4(), f"ENR-{i:05d}", name, f"s{i}@x.org", f"98{i:08d}",
                               "active", date(2025, 1, 1),
                               f"enr-{i:05d} {name.lower()} s{i}@x.org 98{i:08d}"))
    return rows


def test_student_filter_matches_every_word_fast_over_5000(qapp) -> None:  # type: ignore[no-untyped-def]
    model: RowsModel[StudentRow] = RowsModel(STUDENT_COLUMNS)
    model.set_rows(_students(5000))
    proxy = StudentSortProxy()
    proxy.setSourceModel(model)
    assert proxy.rowCount() == 5000
    timings = []
    for text in ("n", "na", "name1", "name12", "name12 surname", "name123 surname26"):
        started = time.perf_counter()
        model.set_filter(search_predicate(text))
        proxy.rowCount()
        timings.append(time.perf_counter() - started)
    assert proxy.rowCount() == 1
    assert model.row_at(proxy.mapToSource(proxy.index(0, 0)).row()).enrollment_no == "ENR-00123"
    assert max(timings) < 0.05, timings
    model.set_filter(search_predicate(""))
    assert proxy.rowCount() == 5000
