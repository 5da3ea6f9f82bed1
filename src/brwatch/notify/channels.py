"""Where a digest goes: email over SMTP, or a webhook (JSON POST through the safe fetcher, since
the URL comes from a user). Each raises DeliveryFailed with the reason; retrying is the caller's.
"""

from __future__ import annotations

import json
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from brwatch.fetch import FetchError, SafeFetcher
from brwatch.notify.messages import Digest
from brwatch.notify.settings import NotifySettings


class DeliveryFailed(Exception):
    """The server was down, slow, refused, or answered an error; worth another try later."""


class EmailChannel:
    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings

    def send(self, address: str, digest: Digest) -> None:
        settings = self.settings
        if not settings.smtp_host:
            raise DeliveryFailed("no SMTP server configured (BRWATCH_NOTIFY_SMTP_HOST)")
        message = EmailMessage()
        message["From"] = settings.mail_from
        message["To"] = address
        message["Subject"] = digest.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="brwatch")
        message.set_content(digest.text)
        try:
            client: smtplib.SMTP
            if settings.smtp_ssl:
                client = smtplib.SMTP_SSL(
                    settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout,
                    context=ssl.create_default_context(),
                )  # fmt: skip
            else:
                client = smtplib.SMTP(
                    settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout
                )
            with client:
                if settings.smtp_starttls:
                    client.starttls(context=ssl.create_default_context())
                if settings.smtp_user:
                    client.login(settings.smtp_user, settings.smtp_password)
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"SMTP {settings.smtp_host}:{settings.smtp_port}: {exc}") from exc


class WebhookChannel:
    def __init__(self, settings: NotifySettings) -> None:
        self.fetcher = SafeFetcher(timeout=settings.webhook_timeout, max_bytes=100_000)

    def send(self, url: str, digest: Digest) -> None:
        payload = json.dumps(digest.webhook_json(), ensure_ascii=False).encode("utf-8")
        try:
            response = self.fetcher.post_json(url, payload)
        except FetchError as exc:
            raise DeliveryFailed(f"webhook: {exc.reason}") from exc
        if not 200 <= response.status < 300:
            raise DeliveryFailed(f"webhook answered HTTP {response.status}")
