"""Every notification setting and its default, in one place.

Each is read from the environment as ``BRWATCH_NOTIFY_<NAME>`` (``BRWATCH_NOTIFY_SMTP_HOST``,
…); docs/settings.md lists them all (generated from this class).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from brwatch.settings import SettingsGroup

ENV_PREFIX = "BRWATCH_NOTIFY_"


def _setting(default: Any, help: str) -> Any:
    bounds: dict[str, Any] = (
        {"ge": 0} if isinstance(default, int | float) and not isinstance(default, bool) else {}
    )
    return Field(default, description=help, **bounds)


class NotifySettings(SettingsGroup):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX)
    title: ClassVar[str] = "Notifications"
    about: ClassVar[str] = "Read by `brwatch notify send` (docs/notifications.md)."

    # Email.
    smtp_host: str = _setting("", "SMTP server; empty: email notifications are not sent")
    smtp_port: int = _setting(25, "SMTP port (587 with smtp_starttls, 465 with smtp_ssl)")
    smtp_user: str = _setting("", "SMTP login name (empty: no login)")
    smtp_password: str = _setting("", "SMTP password")
    smtp_starttls: bool = _setting(False, "upgrade the connection with STARTTLS")
    smtp_ssl: bool = _setting(False, "connect with TLS from the start (SMTPS)")
    mail_from: str = _setting("brwatch@localhost", "sender address of notification emails")
    # Timeouts: a slow server delays notifications only, never anything else.
    smtp_timeout: float = _setting(30.0, "seconds an SMTP connection or answer may take")
    webhook_timeout: float = _setting(10.0, "seconds a webhook POST may take")
    # Retries within one run (tenacity), then across runs.
    attempts: int = _setting(3, "tries per digest within one run, with exponential back-off")
    backoff: float = _setting(2.0, "seconds before the second try in a run (doubling after)")
    backoff_max: float = _setting(30.0, "longest wait between tries in a run")
    retry_after: float = _setting(
        300.0, "seconds before a later run tries a failed digest again (doubling per failure)"
    )
    retry_after_max: float = _setting(21600.0, "longest wait before trying a failed digest again")
    stale_claim: float = _setting(
        900.0, "seconds after which a digest left 'sending' by a process that died is retried"
    )
    # Content.
    public_url: str = _setting(
        "", "base URL of the web app, for links (e.g. https://brwatch.example)"
    )
    max_items: int = _setting(50, "items listed per section of a digest (the rest are counted)")
