"""What the quick attendance screen does, without widgets: mark, undo, quick entry, topics.

Every change updates the model at once (the faculty sees it) and is saved immediately on the
database thread through the attendance service – there is no Save button. Saves run in the
order they were made; a refused save is reported and the roster reloaded from the replica, so
the screen never shows something that was not saved.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop_app.attendance.model import AttendanceModel
from desktop_app.context import AppContext
from institute_core.enums import AttendanceStatus
from institute_core.services import attendance
from institute_core.services.common import SessionKey
from institute_core.services.suggestions import Syllabus, load_syllabus, subject_statuses
from institute_core.validation import person_message


@dataclass(frozen=True)
class _Previous:
    student_id: uuid.UUID
    status: AttendanceStatus | None
    check_in: time | None


class AttendanceController(QObject):
    """Marks, undo, quick entry and topic tagging for one session at a time."""

    sig_loaded = Signal()
    sig_saved = Signal()  # something was written (sync counts, Today refresh)
    sig_error = Signal(str)
    sig_syllabus_loaded = Signal(object)  # Syllabus

    def __init__(self, ctx: AppContext, model: AttendanceModel,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.model = model
        self.key: SessionKey | None = None
        self.title = ""
        self.subject_id: uuid.UUID | None = None
        self.syllabus: Syllabus | None = None
        # student -> topic -> progress status, for suggestions in syllabus order
        self.statuses: dict[uuid.UUID, dict[uuid.UUID, str]] = {}
        self._undo: list[list[_Previous]] = []
        self._saving = 0

    # --- loading ---------------------------------------------------------------------------

    def load(self, key: SessionKey) -> None:
        """Show the roster of `key` (read on the database thread)."""
        self.key = key
        self._undo.clear()
        replica = self._ctx.replica

        def _do_load() -> tuple[attendance.Roster, dict[uuid.UUID, dict[uuid.UUID, str]]]:
            roster = attendance.load_roster(replica, key)
            with replica.read() as session:
                statuses = subject_statuses(session, [r.student_id for r in roster.rows],
                                            roster.subject_id)
            return roster, statuses

        self._ctx.tasks.run_db(_do_load, self._on_loaded, self._on_failed)

    def _on_loaded(self, loaded: tuple[attendance.Roster,
                                       dict[uuid.UUID, dict[uuid.UUID, str]]]) -> None:
        roster, statuses = loaded
        if roster.key != self.key:
            return  # another session was opened meanwhile
        self.statuses = statuses
        self.title = roster.title
        new_subject = roster.subject_id != self.subject_id
        self.subject_id = roster.subject_id
        self.model.set_rows(roster.rows)
        self.sig_loaded.emit()
        if new_subject or self.syllabus is None:
            replica, subject_id = self._ctx.replica, roster.subject_id

            def _do_syllabus() -> Syllabus:
                with replica.read() as session:
                    return load_syllabus(session, subject_id)

            self._ctx.tasks.run_db(_do_syllabus, self._on_syllabus)

    def _on_syllabus(self, syllabus: Syllabus) -> None:
        self.syllabus = syllabus
        self.sig_syllabus_loaded.emit(syllabus)

    def reload(self) -> None:
        if self.key is not None:
            key, undo = self.key, list(self._undo)
            self.load(key)
            self._undo = undo

    @property
    def idle(self) -> bool:
        """No save is waiting (for tests and for closing)."""
        return self._saving == 0

    # --- marking ---------------------------------------------------------------------------

    def mark(self, row: int, status: AttendanceStatus | None) -> None:
        """Mark one student (None clears); saved at once."""
        student = self.model.row_at(row).student_id
        self._apply({student: status}, only_unmarked=False)

    def mark_all(self, status: AttendanceStatus = AttendanceStatus.PRESENT) -> int:
        """Every unmarked student gets `status`; returns how many."""
        marks = {r.student_id: status for r in self.model.rows if r.status is None}
        if marks:
            self._apply(dict(marks), only_unmarked=True)
        return len(marks)

    def quick_entry(self, text: str) -> tuple[str, ...]:
        """Absentees typed as numbers or first letters; the rest of the unmarked present.

        Returns the problems (nothing is marked while there are any).
        """
        entry = attendance.parse_quick_entry(text, self.model.rows)
        if entry.problems:
            return entry.problems
        self._apply(attendance.quick_entry_marks(entry, self.model.rows), only_unmarked=False)
        return ()

    def undo(self) -> bool:
        """Take back the last mark, mark-all or quick entry; False when there is nothing."""
        if not self._undo:
            return False
        step = self._undo.pop()
        for prev in step:
            self.model.update(prev.student_id, status=prev.status, check_in=prev.check_in)
        replica, actor, key = self._ctx.replica, self._ctx.actor, self.key
        assert key is not None

        def _do_undo() -> None:
            for prev in step:
                attendance.mark(replica, actor, key, prev.student_id, prev.status,
                                at=prev.check_in)

        self._save(_do_undo)
        return True

    def _apply(self, marks: dict[uuid.UUID, AttendanceStatus | None], *,
               only_unmarked: bool) -> None:
        key = self.key
        assert key is not None
        now = datetime.now().time().replace(second=0, microsecond=0)
        step = []
        for student_id, status in marks.items():
            row = self.model.row_at(self.model.row_of(student_id))  # type: ignore[arg-type]
            step.append(_Previous(student_id, row.status, row.check_in))
            check_in = row.check_in
            if status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE):
                check_in = check_in or now
            else:
                check_in = None
            self.model.update(student_id, status=status, check_in=check_in)
        self._undo.append(step)
        replica, actor = self._ctx.replica, self._ctx.actor

        def _do_mark() -> dict[uuid.UUID, Any]:
            # The service sets the check-in: now while the session is on, else its start.
            return attendance.mark_many(replica, actor, key, marks,
                                        only_unmarked=only_unmarked)

        self._save(_do_mark, self._on_marked)

    def _on_marked(self, saved: dict[uuid.UUID, Any]) -> None:
        # A later change (an undo typed meanwhile) is already shown and queued after this
        # save: only take the saved check-in when the row still shows what was saved.
        for student_id, (status, check_in) in saved.items():
            row = self.model.row_of(student_id)
            if row is not None and self.model.row_at(row).status == status:
                self.model.update(student_id, check_in=check_in)

    # --- notes and topics ----------------------------------------------------------------

    def save_notes(self, student_id: uuid.UUID, text: str) -> None:
        row = self.model.row_of(student_id)
        if row is None or self.model.row_at(row).notes == text.strip():
            return
        self.model.update(student_id, notes=text.strip())
        replica, actor, key = self._ctx.replica, self._ctx.actor, self.key
        assert key is not None
        self._save(lambda: attendance.set_notes(replica, actor, key, student_id, text))

    def tag(self, topic_id: uuid.UUID, student_id: uuid.UUID | None,
            level: int | None = None) -> None:
        """Tag a topic for one student, or (None) every present or late student."""
        replica, actor, key = self._ctx.replica, self._ctx.actor, self.key
        assert key is not None
        students = None if student_id is None else [student_id]
        self._save(lambda: attendance.tag_topic(replica, actor, key, topic_id, students,
                                                level=level), lambda _r: self.reload())

    def untag(self, topic_id: uuid.UUID, student_id: uuid.UUID) -> None:
        replica, actor, key = self._ctx.replica, self._ctx.actor, self.key
        assert key is not None
        self._save(lambda: attendance.untag_topic(replica, actor, key, topic_id, [student_id]),
                   lambda _r: self.reload())

    def set_level(self, student_id: uuid.UUID, topic_id: uuid.UUID, level: int) -> None:
        row = self.model.row_of(student_id)
        if row is not None:
            topics = tuple(t if t.topic_id != topic_id else
                           attendance.TaggedTopic(t.topic_id, t.name, level)
                           for t in self.model.row_at(row).topics)
            self.model.update(student_id, topics=topics)
        replica, actor, key = self._ctx.replica, self._ctx.actor, self.key
        assert key is not None
        self._save(lambda: attendance.set_level(replica, actor, key, student_id, topic_id, level))

    def set_prep(self, student_id: uuid.UUID, review: tuple[uuid.UUID, ...],
                 new: tuple[uuid.UUID, ...]) -> None:
        """Next-session preparation of an individual session: topics to review, new topics."""
        self.model.update(student_id, prep={"topics_to_review": [str(t) for t in review],
                                            "new_topics": [str(t) for t in new]})
        replica, actor, key = self._ctx.replica, self._ctx.actor, self.key
        assert key is not None
        self._save(lambda: attendance.set_prep(replica, actor, key, student_id, review=review,
                                               new=new))

    # --- saving ----------------------------------------------------------------------------

    def _save(self, fn: Callable[[], Any], then: Callable[[Any], None] | None = None) -> None:
        self._saving += 1

        def done(result: Any) -> None:
            self._saving -= 1
            if then is not None:
                then(result)
            self.sig_saved.emit()

        def failed(exc: BaseException) -> None:
            self._saving -= 1
            self.sig_error.emit(person_message(exc))
            self.reload()

        self._ctx.tasks.run_db(fn, done, failed)

    def _on_failed(self, exc: BaseException) -> None:
        self.sig_error.emit(person_message(exc))
