"""/v1/messages/whatsapp: the WhatsApp Cloud API's webhook (verification and notifications);
/v1/messages/msg91: MSG91's SMS delivery reports.

Meta signs each notification with the app secret (`X-Hub-Signature-256: sha256=<HMAC>`); one
that is unsigned or signed otherwise is refused (403) and changes nothing. Verification answers
the `hub.challenge` when `hub.verify_token` is the configured one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import PlainTextResponse

from institute_core.sync.wire import ErrorBody
from sync_server.deps import EngineDep
from sync_server.errors import ApiError
from sync_server.messages.receipts import msg91_reports, whatsapp_webhook
from sync_server.messages.settings import MessagingSettings

router = APIRouter(prefix="/messages", tags=["messages"],
                   responses={code: {"model": ErrorBody} for code in (400, 403, 422)})


def _settings(request: Request) -> MessagingSettings:
    found = getattr(request.app.state, "messaging", None)
    if found is None:
        found = request.app.state.messaging = MessagingSettings()
    return found


# The challenge is plain text, a refusal JSON like every other.
_JSON_REFUSAL = {"description": "Refused", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/ErrorBody"}}}}


@router.get("/whatsapp", response_class=PlainTextResponse,
            responses={400: _JSON_REFUSAL, 403: _JSON_REFUSAL, 422: _JSON_REFUSAL})
def verify(request: Request, mode: Annotated[str, Query(alias="hub.mode")] = "",
           token: Annotated[str, Query(alias="hub.verify_token", max_length=500)] = "",
           challenge: Annotated[str, Query(alias="hub.challenge", max_length=500)] = ""
           ) -> PlainTextResponse:
    expected = _settings(request).whatsapp_verify_token
    if mode != "subscribe" or not expected or not hmac.compare_digest(token, expected):
        raise ApiError(403, "forbidden", "The verify token is not this server's.")
    return PlainTextResponse(challenge)


@router.post("/whatsapp")
async def notify(request: Request, engine: EngineDep,
                 x_hub_signature_256: Annotated[str | None, Header()] = None) -> dict[str, int]:
    secret = _settings(request).whatsapp_app_secret
    body = await request.body()
    if not secret:
        raise ApiError(403, "forbidden", "WhatsApp notifications are not set up on this "
                       "server (INSTITUTE_WHATSAPP_APP_SECRET).")
    wanted = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not x_hub_signature_256 or not hmac.compare_digest(x_hub_signature_256, wanted):
        raise ApiError(403, "forbidden", "The notification's signature is missing or wrong.")
    try:
        payload = json.loads(body)
    except ValueError:
        raise ApiError(400, "bad_request", "The notification is not JSON.") from None
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise ApiError(400, "bad_request", "Not a WhatsApp Business Account notification.")
    with engine.begin() as conn:
        return whatsapp_webhook(conn, payload)


# A report carries a few hundred bytes per number; MSG91 batches at most a page of them.
MSG91_BODY_LIMIT = 1_000_000


def _msg91_requests(body: bytes, content_type: str) -> list[Any]:
    """The list of report requests of a v2 (form field `data`, a JSON text) or v3/v4-style
    JSON body; ApiError 400 naming what was wrong."""
    try:
        if "application/x-www-form-urlencoded" in content_type:
            fields = parse_qs(body.decode("utf-8"), strict_parsing=False)
            if "data" not in fields:
                raise ApiError(400, "bad_request", "The report has no data field.")
            payload: Any = json.loads(fields["data"][0])
        else:
            payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "bad_request", "The report's data is not JSON.") from None
    if isinstance(payload, dict):
        payload = payload.get("data", [payload]) if "report" not in payload else [payload]
        if isinstance(payload, str):
            try:
                payload = json.loads(payload)
            except ValueError:
                raise ApiError(400, "bad_request", "The report's data is not JSON.") from None
    if not isinstance(payload, list):
        raise ApiError(400, "bad_request", "The report is neither a list nor an object.")
    return payload


@router.post("/msg91")
async def msg91_report(request: Request, engine: EngineDep,
                       token: Annotated[str, Query(max_length=500)] = "") -> dict[str, int]:
    """MSG91's SMS delivery reports (webhook v2 or v3): each sent SMS becomes delivered, or
    failed with MSG91's reason. The URL registered at MSG91 carries the server's secret token
    (MSG91 signs nothing): a report without it is refused and changes nothing."""
    expected = _settings(request).msg91_webhook_token
    if not expected:
        raise ApiError(403, "forbidden", "MSG91 delivery reports are not set up on this server "
                       "(INSTITUTE_MSG91_WEBHOOK_TOKEN).")
    if not hmac.compare_digest(token.encode(), expected.encode()):
        raise ApiError(403, "forbidden", "The report's token is missing or wrong.")
    body = await request.body()
    if len(body) > MSG91_BODY_LIMIT:
        raise ApiError(400, "bad_request", "The report is too large.")
    requests = _msg91_requests(body, request.headers.get("content-type", ""))
    with engine.begin() as conn:
        return msg91_reports(conn, requests)
