"""/v1/messages/whatsapp: the WhatsApp Cloud API's webhook (verification and notifications).

Meta signs each notification with the app secret (`X-Hub-Signature-256: sha256=<HMAC>`); one
that is unsigned or signed otherwise is refused (403) and changes nothing. Verification answers
the `hub.challenge` when `hub.verify_token` is the configured one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import PlainTextResponse

from institute_core.sync.wire import ErrorBody
from sync_server.deps import EngineDep
from sync_server.errors import ApiError
from sync_server.messages.receipts import whatsapp_webhook
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
