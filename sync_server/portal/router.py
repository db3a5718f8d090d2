"""Routes of the student and guardian portal under /portal (HTML pages, forms, one PDF).

No URL names a student: every page reads the students of the signed-in session only, so there
is nothing to change in an address to reach another student. Forms are checked for origin and
CSRF before anything else; sign-in attempts are throttled per email and per network address
(the API's counters), code attempts per address.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from institute_core.analytics.period import Period
from institute_core.certificates.pdf import certificate_content, render_certificate
from institute_core.enums import Role
from institute_core.reports import service as report_service
from institute_core.reports.branding import ReportBranding
from institute_core.reports.fonts import find_font
from institute_core.reports.progress import collect_progress
from institute_core.schema.types import utcnow
from sync_server.auth import service as auth_service
from sync_server.auth import throttle
from sync_server.errors import ApiError
from sync_server.portal import code_requests, feedback, notices, reader, web
from sync_server.portal.i18n import text
from sync_server.portal.sessions import (
    GUARDIAN,
    STUDENT,
    PortalUser,
    open_session,
    read_session,
    redeem_code,
    revoke,
    same_secret,
)
from sync_server.receipt_pdf import receipt_pdf as draw_receipt_pdf
from sync_server.settings import Settings

router = APIRouter(prefix="/portal", include_in_schema=False)
SIGN_IN = "/portal/sign-in"
HOME = "/portal/home"


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _today() -> date:
    return date.today()


def _current(request: Request) -> PortalUser | None:
    return read_session(request.app.state.engine, web.read_cookie(request, web.SESSION_COOKIE))


def _redirect(request: Request, to: str) -> Response:
    return web.secured(request, RedirectResponse(to, status_code=303), private=True)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --- signing in and out -----------------------------------------------------------------------

def _sign_in_page(request: Request, status: int = 200, **context: Any) -> Response:
    token = web.form_token(request)
    response = web.render(request, "sign_in.html", web.language(request), status,
                          csrf=token, **context)
    web.set_cookie(response, _settings(request), web.FORM_COOKIE, token, max_age=None)
    return response


@router.get("")
@router.get("/")
def portal_root(request: Request) -> Response:
    return _redirect(request, HOME if _current(request) else SIGN_IN)


@router.get("/sign-in")
def sign_in_form(request: Request) -> Response:
    if _current(request) is not None:
        return _redirect(request, HOME)
    return _sign_in_page(request)


async def _checked_form(request: Request, session_csrf: str | None = None
                        ) -> dict[str, str] | None:
    """The form's fields if it came from this site with the right CSRF token, else None."""
    try:
        form = await web.read_form(request)
    except web.BadForm:
        return None
    expected = session_csrf if session_csrf is not None \
        else web.read_cookie(request, web.FORM_COOKIE)
    if not web.same_origin(request) or not same_secret(form.get("csrf"), expected):
        return None
    return form


def _throttled(engine: Any, key: str, limit: int, window: int) -> int | None:
    """Count one attempt for `key`; the seconds to wait when over the limit, else None."""
    try:
        throttle.count_attempt(engine, key, limit, window)
    except throttle.Throttled as exc:
        return exc.retry_after
    return None


def _too_many(request: Request, seconds: int) -> Response:
    response = _sign_in_page(request, 429, error=text(web.language(request), "too_many",
                                                      minutes=math.ceil(seconds / 60)))
    response.headers["Retry-After"] = str(seconds)
    return response


def _signed_in(request: Request, token: str, seconds: int) -> Response:
    response = _redirect(request, HOME)
    web.set_cookie(response, _settings(request), web.SESSION_COOKIE, token, max_age=seconds)
    return response


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await _checked_form(request)
    lang = web.language(request)
    if form is None:
        return _sign_in_page(request, 403, error=text(lang, "form_expired"))
    engine, settings = request.app.state.engine, _settings(request)
    ip_key = f"ip:{_client(request)}"  # the API's per-address counter: one budget for both
    wait = await run_in_threadpool(_throttled, engine, ip_key, settings.login_max_failures_per_ip,
                                   settings.login_window_seconds)
    if wait is not None:
        return _too_many(request, wait)
    failed = True
    try:
        user = await run_in_threadpool(auth_service.check_credentials, engine, settings,
                                       form.get("email", ""), form.get("password", ""))
        failed = False
    except ApiError as exc:
        if exc.status == 429:
            return _too_many(request, int((exc.headers or {}).get("Retry-After", "60")))
        key = "inactive" if exc.status == 403 else "wrong_credentials"
        return _sign_in_page(request, exc.status, error=text(lang, key),
                             email=form.get("email", ""))
    finally:
        if not failed:
            await run_in_threadpool(throttle.refund, engine, ip_key)
    if user.role != Role.STUDENT.value:
        return _sign_in_page(request, 403, error=text(lang, "not_student"))
    new = await run_in_threadpool(open_session, engine, settings, kind=STUDENT,
                                  user_id=user.id)
    return _signed_in(request, new.token, settings.portal_session_hours * 3600)


@router.post("/code")
async def sign_in_with_code(request: Request) -> Response:
    form = await _checked_form(request)
    lang = web.language(request)
    if form is None:
        return _sign_in_page(request, 403, error=text(lang, "form_expired"))
    engine, settings = request.app.state.engine, _settings(request)
    key = f"portal-code:{_client(request)}"
    wait = await run_in_threadpool(_throttled, engine, key, settings.login_max_failures,
                                   settings.login_window_seconds)
    if wait is not None:
        return _too_many(request, wait)
    student_id = await run_in_threadpool(redeem_code, engine, form.get("code", ""))
    if student_id is None:
        return _sign_in_page(request, 401, error=text(lang, "bad_code"))
    await run_in_threadpool(throttle.refund, engine, key)
    new = await run_in_threadpool(open_session, engine, settings, kind=GUARDIAN,
                                  student_id=student_id)
    return _signed_in(request, new.token, settings.portal_session_hours * 3600)


@router.post("/code/request")
async def request_code(request: Request) -> Response:
    """Send a code to the phone or email on file. The same answer whatever was typed, so the
    form reveals nobody's contact; the address budget of sign-ins limits the form itself."""
    form = await _checked_form(request)
    lang = web.language(request)
    if form is None:
        return _sign_in_page(request, 403, error=text(lang, "form_expired"))
    engine, settings = request.app.state.engine, _settings(request)
    wait = await run_in_threadpool(_throttled, engine, f"portal-code-ask:{_client(request)}",
                                   settings.login_max_failures,
                                   settings.login_window_seconds)
    if wait is not None:
        return _too_many(request, wait)
    response = _sign_in_page(request, notice=text(lang, "code_requested",
                                                  minutes=settings.portal_sent_code_minutes))
    # Looked up and queued after the page is sent: how long the answer takes cannot tell
    # whether the contact was on file either.
    response.background = BackgroundTask(code_requests.request_code, engine, settings,
                                         form.get("contact", ""), lang)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    user = await run_in_threadpool(_current, request)
    if user is not None:
        form = await _checked_form(request, user.csrf_token)
        if form is None:
            return _redirect(request, HOME)
        await run_in_threadpool(revoke, request.app.state.engine, user.session_id)
    response = _redirect(request, SIGN_IN)
    web.clear_cookie(response, _settings(request), web.SESSION_COOKIE)
    return response


# --- pages ------------------------------------------------------------------------------------

def _page(request: Request, template: str, build: Any, status: int = 200) -> Response:
    """A signed-in page: `build(conn, user, today)` gives its context."""
    user = _current(request)
    if user is None:
        return _redirect(request, SIGN_IN)
    with request.app.state.engine.connect() as conn:
        who = reader.header(conn, user.viewer)
        context = build(conn, user, _today())
    return web.render(request, template, web.language(request), status, user=user, who=who,
                      csrf=user.csrf_token, **context)


@router.get("/home")
def home(request: Request) -> Response:
    return _page(request, "home.html", lambda conn, user, today: {
        "schedule": reader.schedule(conn, user.viewer, today),
        "certificates": reader.certificates(conn, user.viewer),
        "notices": reader.announcements(conn, user.viewer, utcnow()),
        "branches": reader.branches(conn, user.viewer)})


@router.get("/announcements")
def announcements_page(request: Request) -> Response:
    """The student's notice board in full; opening it is reading it, so a student's unread
    announcements get their read receipts (the author's desk then counts them)."""
    engine = request.app.state.engine

    def build(conn: Any, user: PortalUser, today: date) -> dict[str, Any]:
        board = reader.announcements(conn, user.viewer, utcnow())
        if user.kind == STUDENT and user.user_id is not None:
            notices.mark_read(engine, user.user_id, [n.id for n in board if not n.read])
        return {"notices": board}

    return _page(request, "announcements.html", build)


@router.get("/certificates")
def certificates_page(request: Request) -> Response:
    return _page(request, "certificates.html", lambda conn, user, today: {
        "certificates": reader.certificates(conn, user.viewer)})


@router.get("/certificates/{certificate_id}.pdf")
def certificate_pdf(request: Request, certificate_id: str) -> Response:
    """A certificate of the session's student, drawn by the desk's own certificate code with
    the QR code of this server's verification page; any other id is the same 404."""
    def draw(conn: Any, user: PortalUser, settings: Settings) -> tuple[str, bytes] | None:
        found = reader.own_certificate(conn, user.viewer, certificate_id)
        if found is None:
            return None
        with Session(bind=conn) as session:
            content = certificate_content(
                session, found, institute=settings.institute_name, logo_path=None,
                server_url=str(request.base_url))
        with tempfile.TemporaryDirectory(prefix="portal-certificate-") as folder:
            out = Path(folder) / "certificate.pdf"
            render_certificate(content, out)
            return "certificate-" + _file_safe(content.number) + ".pdf", out.read_bytes()

    return _own_pdf(request, draw)


def _own_pdf(request: Request,
             draw: Callable[[Any, PortalUser, Settings], tuple[str, bytes] | None]) -> Response:
    """A PDF of the signed-in person's own: `draw` gives (file name, bytes), or None for an id
    that is not theirs (someone else's, none, malformed), which is the same 404 every time."""
    user = _current(request)
    if user is None:
        return _redirect(request, SIGN_IN)
    with request.app.state.engine.connect() as conn:
        drawn = draw(conn, user, _settings(request))
    if drawn is None:
        return _page(request, "not_found.html", lambda *_: {}, status=404)
    return _pdf(request, drawn[1], drawn[0])


def _file_safe(number: str) -> str:
    """A document number as part of a file name (its slashes as dashes)."""
    return "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in number)


def _pdf(request: Request, pdf: bytes, name: str) -> Response:
    response = Response(pdf, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return web.secured(request, response, private=True)


@router.get("/progress")
def progress_page(request: Request) -> Response:
    return _page(request, "progress.html", lambda conn, user, today: {
        "progress": reader.progress(conn, user.viewer, today)})


@router.get("/attendance")
def attendance_page(request: Request) -> Response:
    return _page(request, "attendance.html", lambda conn, user, today: {
        "page": reader.attendance_page(conn, user.viewer, today)})


@router.get("/assessments")
def assessments_page(request: Request) -> Response:
    return _page(request, "assessments.html", lambda conn, user, today: {
        "rows": reader.assessments(conn, user.viewer)})


def _feedback_context(conn: Any, user: PortalUser, today: date) -> dict[str, Any]:
    return {"targets": reader.feedback_targets(conn, user.viewer, today),
            "given": reader.own_feedback(conn, user.viewer)}


@router.get("/feedback")
def feedback_page(request: Request) -> Response:
    sent = request.query_params.get("sent") == "1"
    return _page(request, "feedback.html",
                 lambda conn, user, today: {**_feedback_context(conn, user, today),
                                            "sent": sent})


def _save_feedback(request: Request, user: PortalUser, form: dict[str, str]) -> bool:
    try:
        rating = int(form.get("rating", ""))
    except ValueError:
        return False
    if not 1 <= rating <= 5:
        return False
    engine = request.app.state.engine
    with engine.connect() as conn:
        choice = reader.resolve_target(conn, user.viewer, form.get("about", ""))
    if choice is None:
        return False
    feedback.record(engine, choice, rating, form.get("comments"),
                    anonymous=form.get("anonymous") == "1")
    return True


@router.post("/feedback")
async def give_feedback(request: Request) -> Response:
    user = await run_in_threadpool(_current, request)
    if user is None:
        return _redirect(request, SIGN_IN)
    form = await _checked_form(request, user.csrf_token)
    if form is not None and await run_in_threadpool(_save_feedback, request, user, form):
        return _redirect(request, "/portal/feedback?sent=1")

    def build(conn: Any, u: PortalUser, today: date) -> dict[str, Any]:
        return {**_feedback_context(conn, u, today), "sent": False,
                "error": "form_expired" if form is None else "feedback_invalid",
                "comments": (form or {}).get("comments", "")}

    response = await run_in_threadpool(_page, request, "feedback.html", build)
    response.status_code = 403 if form is None else 422
    return response


@router.get("/report")
def report_page(request: Request) -> Response:
    return _page(request, "report.html", lambda conn, user, today: {
        "months": web.months_back(today, 12)})


@router.get("/report.pdf")
def report_pdf(request: Request) -> Response:
    """The monthly progress report the admin desk prints, for the session's student."""
    user = _current(request)
    if user is None:
        return _redirect(request, SIGN_IN)
    today = _today()
    first = web.query_month(request.query_params.get("month"), today)
    last = min(today, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1))
    settings = _settings(request)
    with request.app.state.engine.connect() as conn:
        ids = reader.student_ids(user.viewer)
        payload = collect_progress(conn, ids[:1], Period(first, last), last)[0]
    with tempfile.TemporaryDirectory(prefix="portal-report-") as folder:
        out = Path(folder) / "report.pdf"
        report_service.render(payload, out, ReportBranding(name=settings.institute_name,
                                                           address=settings.institute_address))
        pdf = out.read_bytes()
    return _pdf(request, pdf, f"progress-{payload['student']['enrollment_no']}-{first:%Y-%m}.pdf")


@router.get("/fees")
def fees_page(request: Request) -> Response:
    return _page(request, "fees.html", lambda conn, user, today: {
        "fees": reader.fees(conn, user.viewer, today)})


@router.get("/fees/receipts/{payment_id}.pdf")
def receipt_pdf(request: Request, payment_id: str) -> Response:
    """A receipt of the session's student, drawn by the desk's own receipt code; any other id
    (someone else's, none, malformed) is the same 404."""
    def draw(conn: Any, user: PortalUser, settings: Settings) -> tuple[str, bytes] | None:
        found = reader.own_payment(conn, user.viewer, payment_id)
        return None if found is None else draw_receipt_pdf(conn, settings, found)

    return _own_pdf(request, draw)


# Hindi in the Noto face the PDFs use, for a browser without a Devanagari font of its own;
# the stylesheet's unicode-range makes a browser fetch it only for a page in Devanagari.
_FONTS = {"devanagari.ttf": "NotoSansDevanagari-Regular.ttf",
          "devanagari-bold.ttf": "NotoSansDevanagari-Bold.ttf"}


def _font(request: Request, name: str) -> Response:
    found = find_font(_FONTS[name])
    if found is None:
        return Response(status_code=404)
    response = FileResponse(found, media_type="font/ttf")
    response.headers["Cache-Control"] = "public, max-age=604800"
    return web.secured(request, response, private=False)


@router.get("/static/devanagari.ttf")
def devanagari_font(request: Request) -> Response:
    return _font(request, "devanagari.ttf")


@router.get("/static/devanagari-bold.ttf")
def devanagari_bold_font(request: Request) -> Response:
    return _font(request, "devanagari-bold.ttf")


@router.get("/static/portal.css")
def stylesheet(request: Request) -> Response:
    response = FileResponse(web.HERE / "static" / "portal.css", media_type="text/css")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return web.secured(request, response, private=False)
