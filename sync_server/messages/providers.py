"""The adapters the server's settings configure (a channel without settings sends nothing)."""

from __future__ import annotations

from sync_server.messages.adapters import (
    ChannelAdapter,
    Msg91Adapter,
    SmtpAdapter,
    WhatsAppAdapter,
)
from sync_server.messages.settings import MessagingSettings


def adapters_from(settings: MessagingSettings) -> dict[str, ChannelAdapter]:
    adapters: dict[str, ChannelAdapter] = {}
    if settings.smtp_host and settings.smtp_from:
        adapters["email"] = SmtpAdapter(settings.smtp_host, settings.smtp_port,
                                        settings.smtp_from, settings.smtp_user,
                                        settings.smtp_password, settings.smtp_starttls)
    if settings.msg91_authkey:
        adapters["sms"] = Msg91Adapter(settings.msg91_url, settings.msg91_authkey,
                                       settings.msg91_template_id)
    if settings.whatsapp_token and settings.whatsapp_phone_id:
        adapters["whatsapp"] = WhatsAppAdapter(settings.whatsapp_url,
                                               settings.whatsapp_phone_id,
                                               settings.whatsapp_token)
    return adapters
