"""Every error the API returns is an `ErrorBody` JSON with the fitting status code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from institute_core.sync.wire import NO_NUL_PATTERN, ErrorBody


class ApiError(Exception):
    """An expected refusal: status, a short machine code and a sentence for a person."""

    def __init__(self, status: int, error: str, detail: str, *,
                 fields: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail
        self.fields = fields
        self.headers = headers


CLIENT_TOO_OLD = "This version of Institute Desk is too old for the server: update the app."


def error_response(status: int, error: str, detail: str, *,
                   fields: dict[str, str] | None = None,
                   headers: dict[str, str] | None = None,
                   ref: str | None = None) -> JSONResponse:
    body = ErrorBody(error=error, detail=detail, fields=fields, ref=ref)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def _field_name(problem: Mapping[str, Any]) -> str:
    if problem.get("type") == "json_invalid":
        return "body"  # FastAPI puts the position where the field's name would be
    parts = [str(p) for p in problem.get("loc", ())
             if p not in ("body", "query", "header", "path")]
    return ".".join(parts) or "body"


def _message(problem: Mapping[str, Any]) -> str:
    """A sentence for one validation problem; the pattern that keeps NUL out of text is named
    for what it means."""
    if problem.get("type") == "string_pattern_mismatch" \
            and (problem.get("ctx") or {}).get("pattern") == NO_NUL_PATTERN:
        return "must not contain the NUL character (\\x00)"
    if problem.get("type") == "json_invalid":
        reason = (problem.get("ctx") or {}).get("error")
        return f"not valid JSON ({reason})" if reason else "not valid JSON"
    return str(problem.get("msg", "invalid"))


_STATUS_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden",
                 404: "not_found", 405: "method_not_allowed", 409: "conflict",
                 413: "body_too_large", 415: "unsupported_media_type", 429: "too_many_requests"}


# FastAPI's words for a body it could not decode at all (bytes that are not UTF-8, JSON
# nested past the parser's depth).
_UNREADABLE_BODY = "There was an error parsing the body"


def install_error_handlers(app: FastAPI) -> None:
    """Route every failure through `ErrorBody` so clients parse one shape."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.error, exc.detail, fields=exc.fields,
                              headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields: dict[str, str] = {}
        for problem in exc.errors():
            fields.setdefault(_field_name(problem), _message(problem))
        detail = "; ".join(f"{k}: {v}" for k, v in list(fields.items())[:5])
        return error_response(422, "invalid_request", f"The request is not valid: {detail}",
                              fields=fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = str(exc.detail)
        if exc.status_code == 400 and detail == _UNREADABLE_BODY:
            detail = ("The request body could not be read as JSON (it must be UTF-8 text, "
                      "not nested too deeply).")
        return error_response(exc.status_code, _STATUS_CODES.get(exc.status_code, "error"),
                              detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(OperationalError)
    async def _db_down(_request: Request, _exc: OperationalError) -> JSONResponse:
        return error_response(503, "database_unavailable",
                              "The server cannot reach its database right now; try again soon.",
                              headers={"Retry-After": "5"})
