"""A scripted device for server tests: signs in, registers, numbers its changes, pushes, pulls."""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

from institute_core.ids import natural_id
from institute_core.sync.codec import encode_value
from institute_core.sync.hlc import Timestamp, wall_clock_ms
from institute_core.sync.wire import SCHEMA_VERSION

PASSWORD = "correct horse 42"


class HttpClient(Protocol):
    def get(self, url: str, **kwargs: Any) -> Any: ...
    def post(self, url: str, **kwargs: Any) -> Any: ...


@dataclass
class Device:
    """One replica of one user, driven by hand."""

    http: HttpClient
    email: str
    device_id: uuid.UUID = field(default_factory=uuid.uuid4)
    seq: int = 0
    token: str = ""
    refresh_token: str = ""
    user_id: uuid.UUID | None = None
    clock_ms: int | None = None  # None: real time
    cursor: str = ""
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    series_code: str | None = None  # given by the server at registration (receipt numbers)
    _counter: itertools.count[int] = field(default_factory=itertools.count)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "X-Schema-Version": str(SCHEMA_VERSION),
                "X-Client-Time-Ms": str(self.now_ms()), "X-Device-Id": str(self.device_id)}

    def now_ms(self) -> int:
        return self.clock_ms if self.clock_ms is not None else wall_clock_ms()

    def sign_in(self, password: str = PASSWORD) -> Device:
        r = self.http.post("/v1/auth/login", json={"email": self.email, "password": password,
                                                   "device_id": str(self.device_id)})
        assert r.status_code == 200, r.text
        body = r.json()
        self.token, self.refresh_token = body["access_token"], body["refresh_token"]
        self.user_id = uuid.UUID(body["user"]["id"])
        r = self.http.post("/v1/devices", headers=self.headers(),
                           json={"device_id": str(self.device_id), "name": "test",
                                 "schema_version": SCHEMA_VERSION})
        assert r.status_code == 200, r.text
        self.series_code = r.json().get("series_code")
        return self

    def hlc(self, wall_ms: int | None = None) -> str:
        return Timestamp(wall_ms if wall_ms is not None else self.now_ms(), next(self._counter),
                         str(self.device_id)).encode()

    def change(self, table: str, row_id: uuid.UUID, fields: dict[str, Any], *,
               base_version: int = 0, hlc: str | None = None) -> dict[str, Any]:
        self.seq += 1
        return {"change_id": str(uuid.uuid4()), "seq": self.seq, "table": table,
                "row_id": str(row_id), "fields": {k: encode_value(v) for k, v in fields.items()},
                "hlc": hlc or self.hlc(), "author_id": str(self.user_id),
                "device_id": str(self.device_id), "base_version": base_version}

    def push_raw(self, changes: list[dict[str, Any]]) -> Any:
        # Encoded as ASCII JSON (as the standard library does by default): any text a script
        # could send, lone surrogates and NaN included, reaches the server as it would.
        body = json.dumps({"device_id": str(self.device_id), "schema_version": SCHEMA_VERSION,
                           "changes": changes})
        return self.http.post("/v1/sync/push", content=body.encode(),
                              headers={**self.headers(), "Content-Type": "application/json"})

    def push(self, *changes: dict[str, Any]) -> list[dict[str, Any]]:
        r = self.push_raw(list(changes))
        assert r.status_code == 200, r.text
        return list(r.json()["results"])

    def pull_page(self, cursor: str = "", limit: int = 1000) -> dict[str, Any]:
        r = self.http.get("/v1/sync/pull", headers=self.headers(),
                          params={"cursor": cursor, "limit": limit})
        assert r.status_code == 200, r.text
        return dict(r.json())

    def pull_all(self, limit: int = 1000) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Every page from this device's cursor on; returns (rows, last page)."""
        rows: list[dict[str, Any]] = []
        while True:
            page = self.pull_page(self.cursor, limit)
            rows.extend(page["rows"])
            self.conflicts.extend(page["conflicts"])
            self.cursor = page["next_cursor"]
            if not page["has_more"]:
                return rows, page


def now() -> datetime:
    return datetime.now(UTC)


def new_row(**values: Any) -> dict[str, Any]:
    """Creation fields the way a replica sends them (timestamps included)."""
    stamp = now()
    return {"created_at": stamp, "updated_at": stamp, "deleted_at": None, **values}


@dataclass
class School:
    """A small institute made by the admin through push: ids of what exists."""

    subject: uuid.UUID
    topic: uuid.UUID
    student_user: uuid.UUID
    student: uuid.UUID
    enrollment: uuid.UUID
    session: uuid.UUID
    other_session: uuid.UUID
    inquiry: uuid.UUID
    versions: dict[str, int]


def build_school(admin: Device, faculty1: uuid.UUID, faculty2: uuid.UUID,
                 counselor_user: uuid.UUID) -> School:
    """Subject, topic, a student taught by faculty 1 and counselled by the counselor,
    a session of each faculty with that student and an inquiry."""
    subject, topic, suser, student = (uuid.uuid4() for _ in range(4))
    session, other_session, inquiry = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    enrollment = natural_id("student_subject_enrollments", student, subject)
    today = date.today()
    session_row = {"subject_id": subject, "session_date": today, "start_time": "10:00:00",
                   "end_time": "11:00:00", "duration_minutes": 60}
    changes = [
        admin.change("subjects", subject, new_row(name="Python", code="PY1",
                                                  duration_hours=40)),
        admin.change("topics", topic, new_row(subject_id=subject, name="Loops", order_index=1,
                                              estimated_duration_minutes=60)),
        admin.change("users", suser, new_row(email="stu@example.org", first_name="Stu",
                                             last_name="Dent", role="student")),
        admin.change("students", student, new_row(user_id=suser, enrollment_no="E-1",
                                                  admission_date=today,
                                                  counselor_id=counselor_user)),
        admin.change("student_subject_enrollments", enrollment,
                     new_row(student_id=student, subject_id=subject, faculty_id=faculty1,
                             enrollment_date=today)),
        admin.change("learning_sessions", session,
                     new_row(student_id=student, faculty_id=faculty1, **session_row)),
        admin.change("crm_inquiries", inquiry, new_row(student_name="Walk In", phone="123")),
    ]
    results = admin.push(*changes)
    assert [r["outcome"] for r in results] == ["applied"] * len(changes), results
    versions = {c["table"]: r["version"] for c, r in zip(changes, results, strict=True)}
    return School(subject, topic, suser, student, enrollment, session, other_session, inquiry,
                  versions)
