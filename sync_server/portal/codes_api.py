"""`POST /v1/portal/codes`: an administrator asks for a guardian's one-time sign-in code.

A guardian can also ask for a code on the portal's sign-in page, which sends it by SMS or
email to the contact on file (portal/code_requests.py); for a guardian with no contact on file
the administrator prints it (or reads it out); `institute-sync-server portal-code` does the
same on the server's console.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from institute_core.sync.wire import ErrorBody, GuardianCode, GuardianCodeRequest
from sync_server.deps import CurrentUser, EngineDep, SettingsDep
from sync_server.errors import ApiError
from sync_server.portal.sessions import issue_code, revoke_for_student
from sync_server.principal import Principal

router = APIRouter(prefix="/portal", tags=["portal"],
                   responses={code: {"model": ErrorBody} for code in (401, 403, 422)})


def require_admin(principal: Principal, what: str) -> None:
    # Portal codes open a student's records to them or a guardian: who manages students.
    if not principal.may("students.manage"):
        raise ApiError(403, "forbidden", f"Only administrators can do this: {what}.")


class SessionsEnded(BaseModel):
    ended: int


@router.post("/codes", response_model=GuardianCode, responses={404: {"model": ErrorBody}})
def new_code(body: GuardianCodeRequest, principal: CurrentUser, engine: EngineDep,
             settings: SettingsDep) -> GuardianCode:
    require_admin(principal, "issuing a guardian sign-in code")
    try:
        issued = issue_code(engine, settings, body.student_id, principal.user_id)
    except LookupError as exc:
        raise ApiError(404, "not_found", "No student with this id.") from exc
    return GuardianCode(code=issued.code, student_id=issued.student_id,
                      expires_at=issued.expires_at)


@router.post("/codes/revoke", response_model=SessionsEnded)
def end_guardian_sessions(body: GuardianCodeRequest, principal: CurrentUser,
                          engine: EngineDep) -> SessionsEnded:
    require_admin(principal, "ending a student's guardian sign-ins")
    return SessionsEnded(ended=revoke_for_student(engine, body.student_id))
