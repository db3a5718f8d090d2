"""The sync protocol's messages (JSON over HTTP, `/v1`), shared by server and client.

See docs/sync.md for the protocol. Values inside `fields`/`values` are encoded with
`institute_core.sync.codec` (UUIDs, dates and Decimals as text).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

# The replica schema and wire format this build speaks; bumped with every migration that
# changes synced tables. The server refuses clients older than its MIN_CLIENT_SCHEMA.
SCHEMA_VERSION = 1

MAX_PUSH_CHANGES = 1_000
MAX_PULL_LIMIT = 5_000
# The widest numbers the server's columns hold: larger ones are refused at the wire (422),
# never left to overflow in PostgreSQL.
MAX_BIGINT = 2**63 - 1
MAX_INT = 2**31 - 1
# PostgreSQL text cannot hold the NUL character and no field of this protocol has a use for
# it; a pattern (checked in pydantic's core) keeps it out of every text field of a request,
# and the server's 422 names the field (sync_server/errors.py).
NO_NUL_PATTERN = r"^[^\x00]*$"
Text = Annotated[str, Field(pattern=NO_NUL_PATTERN)]
SchemaVersion = Annotated[int, Field(ge=0, le=MAX_INT)]


class Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- auth -----------------------------------------------------------------------------------

class LoginRequest(Wire):
    email: Text = Field(min_length=3, max_length=255)
    password: Text = Field(min_length=1, max_length=1024)
    device_id: uuid.UUID | None = None


class TokenPair(Wire):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserInfo


class RefreshRequest(Wire):
    refresh_token: Text = Field(min_length=10, max_length=512)


class UserInfo(Wire):
    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    role: str
    status: str


class DeviceRegistration(Wire):
    device_id: uuid.UUID
    name: Text = Field(default="", max_length=200)
    schema_version: SchemaVersion
    # The series this desk numbered receipts in before (institute_core/numbering.py): a device
    # the server no longer knows (restored from a backup) gets it back if no device holds it.
    series_code: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9]{1,7}$")


class DeviceInfo(Wire):
    device_id: uuid.UUID
    user_id: uuid.UUID
    last_seq: int
    server_time_ms: int
    # The server's epoch: a new one after every restore from a backup (docs/sync.md), and
    # the version clock right after the last restore (None: never restored by the command).
    epoch: str | None = None
    restored_version: int | None = None
    # This device's series of document numbers (receipts: institute_core/numbering.py); None
    # from a server older than the fees.
    series_code: str | None = None


class DeviceStatus(Wire):
    """One registered device as admins see it (GET /v1/admin/devices)."""

    device_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    name: str
    last_seq: int
    last_seen_at: str | None
    # Server time minus the device's clock at its last request: positive when the device's
    # clock is behind, negative when it runs ahead. None until it sent its time.
    clock_offset_ms: int | None
    schema_version: int | None
    last_pull_version: int | None
    # The last push the server applied; when its pushes fail since (an unexpected server
    # error), the first and latest failure, the latest reference (in the server log) and why.
    last_push_at: str | None = None
    push_failing_since: str | None = None
    push_failed_at: str | None = None
    push_failure_ref: str | None = None
    push_failure_reason: str | None = None


class CompactionResult(Wire):
    """What one tombstone compaction removed (POST /v1/admin/compact)."""

    compacted_version: int
    removed: dict[str, int]


# --- portal ---------------------------------------------------------------------------------

class GuardianCodeRequest(Wire):
    """POST /v1/portal/codes and /v1/portal/codes/revoke: whose guardian it is for."""

    student_id: uuid.UUID


class GuardianCode(Wire):
    """A guardian's one-time portal sign-in code, as the server issued it (shown once)."""

    code: str
    student_id: uuid.UUID
    expires_at: datetime


# --- push -----------------------------------------------------------------------------------

class Change(Wire):
    """One captured edit of one row: the fields it set and what it was based on."""

    change_id: uuid.UUID
    seq: int = Field(ge=1, le=MAX_BIGINT)
    table: Text = Field(max_length=64)
    row_id: uuid.UUID
    fields: dict[str, Any]
    hlc: Text = Field(max_length=128)
    author_id: uuid.UUID | None
    device_id: uuid.UUID
    base_version: int = Field(ge=0, le=MAX_BIGINT)


class PushRequest(Wire):
    device_id: uuid.UUID
    schema_version: SchemaVersion
    changes: list[Change] = Field(max_length=MAX_PUSH_CHANGES)


class Outcome(StrEnum):
    APPLIED = "applied"        # no concurrent edit: every field applied
    MERGED = "merged"          # concurrent edits to other fields: merged field by field
    WON = "won"                # concurrent edit to the same field: this change won
    LOST = "lost"              # concurrent edit to the same field: the server's value stayed
    REJECTED = "rejected"      # not allowed or not valid; `reason` says why, nothing applied
    DUPLICATE = "duplicate"    # already applied earlier (a retried upload); nothing changed


class ConflictRecord(Wire):
    """A value that was overwritten (or refused) in a conflict: both sides, nothing dropped."""

    id: uuid.UUID
    table: str
    row_id: uuid.UUID
    field: str
    kind: str                       # owner_wins | later_wins | unique_collision | deleted_row
    kept_value: Any
    lost_value: Any
    kept_by: uuid.UUID | None
    lost_by: uuid.UUID | None
    kept_hlc: str | None
    lost_hlc: str | None
    kept_device: uuid.UUID | None
    lost_device: uuid.UUID | None
    server_version: int
    created_at: str
    resolved_at: str | None = None


class ChangeResult(Wire):
    change_id: uuid.UUID
    seq: int
    outcome: Outcome
    version: int | None = None
    reason: str | None = None
    conflicts: list[ConflictRecord] = []


class PushResponse(Wire):
    results: list[ChangeResult]
    last_seq: int
    server_time_ms: int
    epoch: str | None = None


# --- pull -----------------------------------------------------------------------------------

class PulledRow(Wire):
    table: str
    id: uuid.UUID
    version: int
    values: dict[str, Any]


# A pull answer repeats in headers what a desk needs to ask for the next page (its cursor,
# whether to ask at all, and how many rows this one holds), so that the desk asks before it
# has parsed the body; the body stays the one source of the rows and is checked against them.
NEXT_CURSOR_HEADER = "X-Next-Cursor"
MORE_HEADER = "X-Has-More"          # "1": ask for the next page; "0": the last (or a reset)
ROW_COUNT_HEADER = "X-Row-Count"


class PullResponse(Wire):
    rows: list[PulledRow]
    conflicts: list[ConflictRecord] = []
    next_cursor: str
    has_more: bool
    # Set on the last page: rows per table this user may see (deleted included), for the
    # post-sync check that catches silent drift.
    counts: dict[str, int] | None = None
    # The device must drop its replica and pull its scope again (away past tombstone retention).
    reset_required: bool = False
    server_time_ms: int
    epoch: str | None = None
    # The last change of the device named by X-Device-Id this server has applied; None when
    # the server does not know that device (for a registered desk: a restored server).
    last_seq: int | None = None


# The error code of a refresh whose session the server ended (a sign-out, or an administrator's
# password reset or deactivation): the desk forgets its offline verifier of the old password.
SIGN_IN_REVOKED = "sign_in_revoked"


class ErrorBody(Wire):
    error: str
    detail: str
    fields: dict[str, str] | None = None
    # Set on a 500: the reference under which the server logged the failure (for the admin).
    ref: str | None = None


TokenPair.model_rebuild()
