"""The portal's web plumbing: templates, cookies, CSRF, security headers and form bodies.

Pages are rendered on the server with Jinja2 (autoescaped) and need no JavaScript. Every
response carries a strict Content-Security-Policy (only the portal's own stylesheet; no
scripts at all), refuses framing, sends no Referer to other sites (verification links carry a
token) and is not cached when it shows a student's data.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from institute_core.display import date_text, money, number, time_text
from sync_server.portal import i18n
from sync_server.settings import Settings

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self' data:; "
                                "font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                                "base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Same-origin only: the browser still tells the server where a form came from (Origin),
    # and no other site learns a portal or verification address.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
MAX_FORM_BYTES = 16 * 1024


def _weekday(name: str, lang: str) -> str:
    days = {"en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                   "Sunday"),
            "hi": ("सोमवार", "मंगलवार", "बुधवार", "गुरुवार", "शुक्रवार", "शनिवार", "रविवार")}
    order = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    return days.get(lang, days["en"])[order.index(name)] if name in order else name


def _when(value: date | datetime | str | None) -> str:
    """A date in the institute's style; payload dates arrive as ISO text."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return date_text(value) if value else ""


def _clock(value: time | None) -> str:
    return time_text(value) if value else ""


def _num(value: float | Decimal | int | None, places: int = 0) -> str:
    return "–" if value is None else number(value, places)


_env = Environment(loader=FileSystemLoader(HERE / "templates"),
                   autoescape=select_autoescape(default=True), trim_blocks=True,
                   lstrip_blocks=True)
def _money(value: Decimal | None) -> str:
    return "–" if value is None else money(value)


_env.filters.update(day=_when, clock=_clock, num=_num, money=_money)


def render(request: Request, template: str, lang: str, status: int = 200,
           **context: Any) -> Response:
    """A page in `lang`, with the security headers and a fresh language cookie if asked."""

    def t(key: str, **values: object) -> str:
        return i18n.text(lang, key, **values)

    html = _env.get_template(template).render(
        t=t, lang=lang, weekday=lambda name: _weekday(name, lang),
        path=request.url.path, **context)
    response = HTMLResponse(html, status_code=status)
    return secured(request, response, private=True)


def secured(request: Request, response: Response, *, private: bool) -> Response:
    for key, value in SECURITY_HEADERS.items():
        response.headers[key] = value
    settings: Settings = request.app.state.settings
    if settings.portal_secure_cookies:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    if private:
        response.headers["Cache-Control"] = "no-store"
    chosen = request.query_params.get("lang")
    if chosen in i18n.LANGUAGES:
        response.set_cookie(i18n.LANG_COOKIE, str(chosen), max_age=365 * 86400,
                            secure=settings.portal_secure_cookies, httponly=True,
                            samesite="lax", path="/")
    return response


def language(request: Request) -> str:
    return i18n.choose(request.query_params.get("lang"), request.cookies.get(i18n.LANG_COOKIE),
                       request.headers.get("accept-language"))


# --- cookies ----------------------------------------------------------------------------------

def cookie_name(settings: Settings, base: str) -> str:
    """`__Host-` names when cookies are secure: the browser then refuses them unless they are
    Secure, host-only and for the whole site (no subdomain can plant one)."""
    return f"__Host-{base}" if settings.portal_secure_cookies else base


SESSION_COOKIE = "portal_session"
FORM_COOKIE = "portal_form"


def set_cookie(response: Response, settings: Settings, base: str, value: str,
               max_age: int | None) -> None:
    response.set_cookie(cookie_name(settings, base), value, max_age=max_age,
                        secure=settings.portal_secure_cookies, httponly=True, samesite="lax",
                        path="/")


def clear_cookie(response: Response, settings: Settings, base: str) -> None:
    response.delete_cookie(cookie_name(settings, base), path="/",
                           secure=settings.portal_secure_cookies, httponly=True,
                           samesite="lax")


def read_cookie(request: Request, base: str) -> str | None:
    settings: Settings = request.app.state.settings
    return request.cookies.get(cookie_name(settings, base))


def form_token(request: Request) -> str:
    """The signed-out forms' CSRF value (double submit): the one in the browser's cookie, or
    a new one the response must set."""
    return read_cookie(request, FORM_COOKIE) or secrets.token_urlsafe(24)


# --- form bodies ------------------------------------------------------------------------------

class BadForm(ValueError):
    """A body that is not a small urlencoded form."""


async def read_form(request: Request) -> dict[str, str]:
    """The posted form's fields (first value of each), parsed by hand: small bodies only,
    urlencoded only (the portal's forms upload no files)."""
    media = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise BadForm("not a form")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise BadForm("form too large")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20,
                          strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadForm("unreadable form") from exc
    return {key: values[0].replace("\x00", "") for key, values in fields.items() if values}


def same_origin(request: Request) -> bool:
    """A browser's Origin (or Referer) header, when sent, must be this server: a form posted
    from another site is refused even before its CSRF token is looked at."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":  # not told (privacy settings): the CSRF token decides
        return True
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


def query_month(value: str | None, today: date) -> date:
    """The first day of `YYYY-MM` (this month when absent or unreadable, never the future)."""
    if value:
        try:
            year, month = (int(p) for p in value.split("-", 1))
            first = date(year, month, 1)
            if first <= today:
                return first
        except ValueError:
            pass
    return today.replace(day=1)


def months_back(today: date, count: int) -> list[date]:
    first = today.replace(day=1)
    result = []
    for _ in range(count):
        result.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return result
