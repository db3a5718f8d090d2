"""The public certificate verification page: `/portal/verify/<token>` (the QR code's address).

Anyone may open it, signed in or not. It names the student, the course and the date of a
certificate, and says whether it is valid or was revoked (with the reason); a token matching
no certificate is "unknown". Tokens are random (192 bits): the page cannot be used to list
certificates, and the certificate number alone opens nothing.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from institute_core.schema import table_of
from sync_server.portal import web

router = APIRouter(prefix="/portal/verify", include_in_schema=False)
_certificates = table_of("certificates")
MAX_TOKEN = 64


def lookup(engine: Any, token: str) -> Any:
    """The certificate a token names, or None."""
    if not token or len(token) > MAX_TOKEN:
        return None
    c = _certificates
    with engine.connect() as conn:
        return conn.execute(select(c.c.certificate_number, c.c.student_name, c.c.course_name,
                                   c.c.issued_on, c.c.revoked_at, c.c.revoked_reason)
                            .where(c.c.verification_token == token,
                                   c.c.deleted_at.is_(None))).first()


@router.get("")
def verify_form(request: Request) -> Response:
    code = (request.query_params.get("code") or "").strip()
    if code:
        # The code typed from paper: on to its page (kept out of the query string).
        return web.secured(request, RedirectResponse(f"/portal/verify/{code[:MAX_TOKEN]}",
                                                     status_code=303), private=True)
    return web.render(request, "verify.html", web.language(request), user=None, found=None,
                      asked=False)


@router.get("/{token}")
def verify(request: Request, token: str) -> Response:
    found = lookup(request.app.state.engine, token)
    verdict = "unknown" if found is None else "revoked" if found.revoked_at else "valid"
    return web.render(request, "verify.html", web.language(request),
                      404 if found is None else 200, user=None, found=found, verdict=verdict,
                      asked=True)
