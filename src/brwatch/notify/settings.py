"""Every notification setting and its default, in one place.

Each is read from the environment as ``BRWATCH_NOTIFY_<NAME>`` (``BRWATCH_NOTIFY_SMTP_HOST``,
…); docs/settings.md lists them all (generated from this class).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from brwatch.settings import SettingsGroup, setting

ENV_PREFIX = "BRWATCH_NOTIFY_"


class NotifySettings(SettingsGroup):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX)
    title: ClassVar[str] = "Notifications"
    about: ClassVar[str] = "Read by `brwatch notify send` (docs/notifications.md)."

    # Email.
    smtp_host: str = setting("", "SMTP server; empty: email notifications are not sent")
    smtp_port: int = setting(25, "SMTP port (587 with smtp_starttls, 465 with smtp_ssl)")
    smtp_user: str = setting("", "SMTP login name (empty: no login)")
    smtp_password: str = setting("", "SMTP password")
    smtp_starttls: bool = setting(False, "upgrade the connection with STARTTLS")
    smtp_ssl: bool = setting(False, "connect with TLS from the start (SMTPS)")
    mail_from: str = setting("brwatch@localhost", "sender address of notification emails")
    # Timeouts: a slow server delays notifications only, never anything else.
    smtp_timeout: float = setting(30.0, "seconds an SMTP connection or answer may take")
    webhook_timeout: float = setting(10.0, "seconds a webhook POST may take")
    # Retries within one run (tenacity), then across runs.
    attempts: int = setting(3, "tries per digest within one run, with exponential back-off")
    backoff: float = setting(2.0, "seconds before the second try in a run (doubling after)")
    backoff_max: float = setting(30.0, "longest wait between tries in a run")
    retry_after: float = setting(
        300.0, "seconds before a later run tries a failed digest again (doubling per failure)"
    )
    retry_after_max: float = setting(21600.0, "longest wait before trying a failed digest again")
    stale_claim: float = setting(
        900.0, "seconds after which a digest left 'sending' by a process that died is retried"
    )
    # Content.
    public_url: str = setting(
        "", "base URL of the web app, for links (e.g. https://brwatch.example)"
    )
    max_items: int = setting(50, "items listed per section of a digest (the rest are counted)")
