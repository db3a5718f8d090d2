"""Message providers, quiet hours, rates and prices: server settings, read from the
environment once (server.env). Credentials are never rows, so they never reach a desk."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from institute_core.enums import Channel
from institute_core.messaging.quiet_hours import QuietHours


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _env_number(name: str, default: str) -> Decimal:
    raw = _env(name, default) or default
    try:
        return Decimal(raw)
    except InvalidOperation as exc:
        raise SystemExit(f"{name} must be a number, got {raw!r}") from exc


def _per_branch(name: str) -> dict[str, str]:
    """"NORTH=22:00-08:00; SOUTH=off" (branch code = value, `;` or `,` between them): a
    setting some branches override. Codes compare in upper case, as branches store them."""
    found: dict[str, str] = {}
    for part in _env(name).replace(",", ";").split(";"):
        if not part.strip():
            continue
        code, sep, value = part.partition("=")
        if not sep or not code.strip() or not value.strip():
            raise SystemExit(f"{name}: write each branch as CODE=value, got {part.strip()!r}")
        found[code.strip().upper()] = value.strip()
    return found


def _branch_quiet_hours() -> dict[str, QuietHours]:
    zone = _env("INSTITUTE_TIME_ZONE", "Asia/Kolkata")
    try:
        return {code: QuietHours.parse(text, zone)
                for code, text in _per_branch("INSTITUTE_QUIET_HOURS_BRANCHES").items()}
    except ValueError as exc:
        raise SystemExit(f"INSTITUTE_QUIET_HOURS_BRANCHES: {exc}") from exc


@dataclass(frozen=True)
class MessagingSettings:
    """Everything the dispatcher can be told (environment variable names in comments)."""

    # INSTITUTE_SMTP_HOST / _PORT / _USER / _PASSWORD / _FROM / _STARTTLS (1 or 0)
    smtp_host: str = field(default_factory=lambda: _env("INSTITUTE_SMTP_HOST"))
    smtp_port: int = field(default_factory=lambda: int(_env("INSTITUTE_SMTP_PORT", "587")))
    smtp_user: str = field(default_factory=lambda: _env("INSTITUTE_SMTP_USER"))
    smtp_password: str = field(default_factory=lambda: _env("INSTITUTE_SMTP_PASSWORD"))
    smtp_from: str = field(default_factory=lambda: _env("INSTITUTE_SMTP_FROM"))
    smtp_starttls: bool = field(default_factory=lambda: _env("INSTITUTE_SMTP_STARTTLS", "1")
                                != "0")
    # INSTITUTE_MSG91_AUTHKEY, INSTITUTE_MSG91_URL (the Flow API), INSTITUTE_MSG91_TEMPLATE_ID
    # (used when a template names none)
    msg91_authkey: str = field(default_factory=lambda: _env("INSTITUTE_MSG91_AUTHKEY"))
    msg91_url: str = field(default_factory=lambda: _env(
        "INSTITUTE_MSG91_URL", "https://control.msg91.com/api/v5/flow/"))
    msg91_template_id: str = field(default_factory=lambda: _env("INSTITUTE_MSG91_TEMPLATE_ID"))
    # INSTITUTE_MSG91_SENDER: the sender id (DLT header) SMS go out under when MSG91's flow
    # takes it from the API; INSTITUTE_MSG91_SENDERS ("NORTH=SUNNTH; MAIN=SUNACD"): a branch's
    # own, by branch code (issue 17). Empty: the sender id set on the flow at MSG91.
    msg91_sender: str = field(default_factory=lambda: _env("INSTITUTE_MSG91_SENDER"))
    msg91_senders: dict[str, str] = field(default_factory=lambda: _per_branch(
        "INSTITUTE_MSG91_SENDERS"))
    # INSTITUTE_WHATSAPP_TOKEN, INSTITUTE_WHATSAPP_PHONE_ID, INSTITUTE_WHATSAPP_URL (Graph API
    # base with its version)
    whatsapp_token: str = field(default_factory=lambda: _env("INSTITUTE_WHATSAPP_TOKEN"))
    whatsapp_phone_id: str = field(default_factory=lambda: _env("INSTITUTE_WHATSAPP_PHONE_ID"))
    whatsapp_url: str = field(default_factory=lambda: _env(
        "INSTITUTE_WHATSAPP_URL", "https://graph.facebook.com/v21.0"))
    # INSTITUTE_WHATSAPP_APP_SECRET (checks the webhook's signature) and
    # INSTITUTE_WHATSAPP_VERIFY_TOKEN (answers the webhook's verification)
    whatsapp_app_secret: str = field(default_factory=lambda: _env(
        "INSTITUTE_WHATSAPP_APP_SECRET"))
    whatsapp_verify_token: str = field(default_factory=lambda: _env(
        "INSTITUTE_WHATSAPP_VERIFY_TOKEN"))
    # INSTITUTE_MSG91_WEBHOOK_TOKEN: the secret in the delivery-report URL registered at MSG91
    # (MSG91 signs nothing; a report without this token is refused)
    msg91_webhook_token: str = field(default_factory=lambda: _env(
        "INSTITUTE_MSG91_WEBHOOK_TOKEN"))
    # INSTITUTE_QUIET_HOURS ("21:00-09:00", or "off") in INSTITUTE_TIME_ZONE
    quiet_hours: QuietHours = field(default_factory=lambda: QuietHours.parse(
        _env("INSTITUTE_QUIET_HOURS", "21:00-09:00"),
        _env("INSTITUTE_TIME_ZONE", "Asia/Kolkata")))
    # INSTITUTE_QUIET_HOURS_BRANCHES ("NORTH=22:00-08:00; SOUTH=off"): a branch's own quiet
    # hours, by branch code, overriding INSTITUTE_QUIET_HOURS for its students' messages
    branch_quiet_hours: dict[str, QuietHours] = field(default_factory=_branch_quiet_hours)
    # INSTITUTE_SMS_PER_SECOND / _WHATSAPP_ / _EMAIL_: most messages a process sends a second
    rates: dict[str, float] = field(default_factory=lambda: {
        Channel.SMS.value: float(_env("INSTITUTE_SMS_PER_SECOND", "100")),
        Channel.WHATSAPP.value: float(_env("INSTITUTE_WHATSAPP_PER_SECOND", "80")),
        Channel.EMAIL.value: float(_env("INSTITUTE_EMAIL_PER_SECOND", "10")),
    })
    # INSTITUTE_SMS_PRICE (rupees per SMS part), _WHATSAPP_PRICE, _EMAIL_PRICE (per message)
    prices: dict[str, Decimal] = field(default_factory=lambda: {
        Channel.SMS.value: _env_number("INSTITUTE_SMS_PRICE", "0.20"),
        Channel.WHATSAPP.value: _env_number("INSTITUTE_WHATSAPP_PRICE", "0.80"),
        Channel.EMAIL.value: _env_number("INSTITUTE_EMAIL_PRICE", "0"),
    })
    # INSTITUTE_MESSAGE_CONCURRENCY: sends a dispatcher process has in flight at once
    concurrency: int = field(default_factory=lambda: int(_env("INSTITUTE_MESSAGE_CONCURRENCY",
                                                              "8")))
    # INSTITUTE_MESSAGE_ATTEMPTS: tries before a message a provider keeps refusing fails
    max_attempts: int = field(default_factory=lambda: int(_env("INSTITUTE_MESSAGE_ATTEMPTS",
                                                               "5")))
    # INSTITUTE_MESSAGE_RETRY_SECONDS: the first retry's wait; each further one doubles it
    retry_seconds: float = field(default_factory=lambda: float(_env(
        "INSTITUTE_MESSAGE_RETRY_SECONDS", "30")))

    def quiet_hours_for(self, branch_code: str | None) -> QuietHours:
        """The quiet hours of a message to someone of `branch_code` (None: no branch)."""
        if branch_code is None:
            return self.quiet_hours
        return self.branch_quiet_hours.get(branch_code.upper(), self.quiet_hours)

    def sender_for(self, branch_code: str | None) -> str | None:
        """The SMS sender id of a message to someone of `branch_code` (None: the flow's)."""
        own = self.msg91_senders.get(branch_code.upper()) if branch_code else None
        return own or self.msg91_sender or None

    def configured(self) -> list[str]:
        """The channels whose provider is set up."""
        found = []
        if self.smtp_host and self.smtp_from:
            found.append(Channel.EMAIL.value)
        if self.msg91_authkey:
            found.append(Channel.SMS.value)
        if self.whatsapp_token and self.whatsapp_phone_id:
            found.append(Channel.WHATSAPP.value)
        return found
