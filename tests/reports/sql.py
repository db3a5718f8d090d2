"""Hand-written SQL for the figures the reports print (independent of the analytics code).

SQLite stores UUIDs as 32 hex digits, so ids are passed as `.hex`.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import text

from institute_core.replica import Replica

MARKS = """
SELECT sa.attendance_status AS status, ls.session_date AS day FROM session_attendance sa
  JOIN learning_sessions ls ON ls.id = sa.session_id
 WHERE sa.student_id = :s AND sa.deleted_at IS NULL AND ls.deleted_at IS NULL
   AND ls.status != 'cancelled' AND ls.session_date BETWEEN :a AND :b
UNION ALL
SELECT attendance_status, session_date FROM batch_session_attendance
 WHERE student_id = :s AND deleted_at IS NULL AND session_date BETWEEN :a AND :b
"""


def one(replica: Replica, sql: str, **params: object) -> tuple:  # type: ignore[type-arg]
    fixed = {k: v.hex if isinstance(v, uuid.UUID) else v for k, v in params.items()}
    with replica.engine.connect() as conn:
        return tuple(conn.execute(text(sql), fixed).one())


def rows(replica: Replica, sql: str, **params: object) -> list[tuple]:  # type: ignore[type-arg]
    fixed = {k: v.hex if isinstance(v, uuid.UUID) else v for k, v in params.items()}
    with replica.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), fixed)]


def student_rate(replica: Replica, student: uuid.UUID, start: date, end: date) -> str:
    attended, counted = one(replica, f"""
        SELECT COALESCE(SUM(status IN ('present', 'late')), 0),
               COALESCE(SUM(status IN ('present', 'late', 'absent')), 0)
          FROM ({MARKS})""", s=student, a=start.isoformat(), b=end.isoformat())
    return "n/a" if not counted else f"{attended * 100 / counted:.2f} %"


def status_counts(replica: Replica, student: uuid.UUID, start: date, end: date
                  ) -> dict[str, int]:
    found = rows(replica, f"SELECT status, COUNT(*) FROM ({MARKS}) GROUP BY status",
                 s=student, a=start.isoformat(), b=end.isoformat())
    return {status: count for status, count in found}


def topics_done(replica: Replica, student: uuid.UUID, subject: uuid.UUID) -> tuple[int, int]:
    done = one(replica, """
        SELECT COUNT(*) FROM student_topic_progress p JOIN topics t ON t.id = p.topic_id
         WHERE p.student_id = :s AND t.subject_id = :j AND p.deleted_at IS NULL
           AND t.deleted_at IS NULL AND p.status IN ('completed', 'mastered')""",
               s=student, j=subject)[0]
    total = one(replica, """SELECT COUNT(*) FROM topics WHERE subject_id = :j
                             AND deleted_at IS NULL AND status = 'active'""", j=subject)[0]
    return done, total
