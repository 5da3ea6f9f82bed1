"""Every notification setting and its default, in one place.

Each is read from the environment as ``BRWATCH_NOTIFY_<NAME>`` (``BRWATCH_NOTIFY_SMTP_HOST``,
…); docs/notifications.md lists them all (a test checks that it does).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

ENV_PREFIX = "BRWATCH_NOTIFY_"


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class NotifySettings:
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

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> NotifySettings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is None:
                continue
            kind: type[Any] = type(f.default)
            try:
                if kind is bool:
                    values[f.name] = raw.strip().lower() in {"1", "true", "yes", "on"}
                else:
                    values[f.name] = kind(raw)
            except ValueError:
                raise ValueError(
                    f"{ENV_PREFIX}{f.name.upper()}: {raw!r} is not a {kind.__name__}"
                ) from None
        return cls(**values)
