"""Channel adapters: one interface, one provider each.

- email: SMTP (smtplib), STARTTLS and login when configured;
- SMS: MSG91's Flow API (POST {url} with the `authkey` header and
  `{"template_id": ..., "short_url": "0", "recipients": [{"mobiles": "91...", VAR: value}]}`,
  with `"sender"` when the server names a sender id (a branch's own, settings.py);
  India's DLT rules make every SMS a registered template);
- WhatsApp: the Business Cloud API (POST {graph}/{phone-number-id}/messages with a bearer
  token and a template message with named body parameters).

`send` returns the provider's message id or raises `Transient` (try again later: the provider
is down, busy or rate limiting) or `Refused` (it will never take this message; the reason is
the provider's own words).
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol

import httpx


@dataclass(frozen=True)
class Outbound:
    """What an adapter needs of a queued message."""

    message_id: str
    channel: str
    recipient: str
    body: str
    subject: str | None = None
    language: str | None = None
    provider_template: str | None = None
    variables: dict[str, Any] | None = None
    # The SMS sender id (DLT header) when the server names one, per branch (settings.py).
    sender: str | None = None
    # Files an email carries, as (file name, PDF bytes): a receipt the dispatcher drew.
    attachments: tuple[tuple[str, bytes], ...] = ()


class Transient(Exception):
    """The provider could not take the message now: retry with backoff."""


class Refused(Exception):
    """The provider refused the message for good: it fails with this reason."""


class ChannelAdapter(Protocol):
    def send(self, message: Outbound) -> str:
        """Hand the message to the provider; its message id."""
        ...

    def close(self) -> None: ...


class SmtpAdapter:
    def __init__(self, host: str, port: int, sender: str, user: str = "", password: str = "",
                 starttls: bool = True, timeout: float = 20.0) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._user, self._password, self._starttls = user, password, starttls
        self._timeout = timeout
        self._smtp: smtplib.SMTP | None = None
        # One SMTP conversation at a time: the dispatcher sends from several threads.
        self._lock = threading.Lock()

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
            if self._starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self._user:
                smtp.login(self._user, self._password)
            self._smtp = smtp
        return self._smtp

    def send(self, message: Outbound) -> str:
        with self._lock:
            return self._send(message)

    def _send(self, message: Outbound) -> str:
        mail = EmailMessage()
        mail["From"], mail["To"] = self._sender, message.recipient
        mail["Subject"] = message.subject or message.body.splitlines()[0][:78]
        domain = self._sender.rpartition("@")[2] or None
        mail["Message-ID"] = make_msgid(idstring=message.message_id, domain=domain)
        mail.set_content(message.body)
        for name, data in message.attachments:
            mail.add_attachment(data, maintype="application", subtype="pdf", filename=name)
        try:
            refused = self._connection().send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise Refused(_smtp_reason(exc.recipients)) from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            if 500 <= exc.smtp_code < 600:
                raise Refused(f"{exc.smtp_code} {_text(exc.smtp_error)}") from exc
            raise Transient(f"{exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise Transient(f"mail server unreachable: {exc}") from exc
        if refused:
            raise Refused(_smtp_reason(refused))
        return str(mail["Message-ID"])

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
            self._smtp = None


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _smtp_reason(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{who}: {code} {_text(text)}" for who, (code, text) in refused.items())


def _http_failure(response: httpx.Response, reason: str) -> Exception:
    """Busy, rate limited or down: retry; anything else the provider refused."""
    if response.status_code == 429 or response.status_code >= 500:
        return Transient(f"HTTP {response.status_code}: {reason}")
    return Refused(f"HTTP {response.status_code}: {reason}")


class Msg91Adapter:
    def __init__(self, url: str, authkey: str, default_template: str = "",
                 client: httpx.Client | None = None) -> None:
        self._url, self._authkey, self._default = url, authkey, default_template
        self._client = client or httpx.Client(timeout=20.0)

    def send(self, message: Outbound) -> str:
        template = message.provider_template or self._default
        if not template:
            raise Refused("no MSG91 template id: set the template's provider template "
                          "(its DLT template id) or INSTITUTE_MSG91_TEMPLATE_ID")
        recipient: dict[str, Any] = {"mobiles": message.recipient.lstrip("+")}
        recipient.update({k: str(v) for k, v in (message.variables or {}).items()})
        body: dict[str, Any] = {"template_id": template, "short_url": "0",
                                "recipients": [recipient]}
        if message.sender:
            # MSG91 takes the sender from the API when the flow's sender is "FromAPI".
            body["sender"] = message.sender
        try:
            response = self._client.post(self._url, json=body, headers={
                "authkey": self._authkey, "accept": "application/json"})
        except httpx.HTTPError as exc:
            raise Transient(f"MSG91 unreachable: {exc}") from exc
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        reason = str(answer.get("message") or response.text[:200])
        if response.status_code != 200:
            raise _http_failure(response, reason)
        if answer.get("type") != "success":
            raise Refused(f"MSG91: {reason}")
        return reason  # MSG91 answers the request id in "message"

    def close(self) -> None:
        self._client.close()


class WhatsAppAdapter:
    def __init__(self, base_url: str, phone_id: str, token: str,
                 client: httpx.Client | None = None) -> None:
        self._url = f"{base_url.rstrip('/')}/{phone_id}/messages"
        self._token = token
        self._client = client or httpx.Client(timeout=20.0)

    def send(self, message: Outbound) -> str:
        if not message.provider_template:
            # Outside a 24-hour customer window WhatsApp delivers only approved templates.
            raise Refused("no WhatsApp template: set the template's provider template to the "
                          "name WhatsApp approved it under")
        # The message keeps only the variables its template uses (messaging/queue.py), named
        # as in the template WhatsApp approved.
        parameters = [{"type": "text", "parameter_name": name, "text": str(value)}
                      for name, value in (message.variables or {}).items()]
        template: dict[str, Any] = {"name": message.provider_template,
                                    "language": {"code": message.language or "en"}}
        if parameters:
            template["components"] = [{"type": "body", "parameters": parameters}]
        body = {"messaging_product": "whatsapp", "recipient_type": "individual",
                "to": message.recipient.lstrip("+"), "type": "template", "template": template}
        try:
            response = self._client.post(self._url, json=body, headers={
                "Authorization": f"Bearer {self._token}"})
        except httpx.HTTPError as exc:
            raise Transient(f"WhatsApp unreachable: {exc}") from exc
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code != 200:
            error = answer.get("error") or {}
            reason = f"{error.get('code', '')} {error.get('message', response.text[:200])}"
            raise _http_failure(response, reason.strip())
        try:
            return str(answer["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as exc:
            raise Transient(f"WhatsApp answered without a message id: {answer}") from exc

    def close(self) -> None:
        self._client.close()
