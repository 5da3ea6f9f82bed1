"""Web app settings: one documented place for every default; some overridable by environment."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class WebSettings:
    # Signs session cookies. BRWATCH_SECRET_KEY keeps sessions valid across restarts and workers;
    # without it a random key is made per process (everyone logs in again after a restart).
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # Mark the session cookie Secure (set BRWATCH_SECURE_COOKIES=1 when served over https).
    secure_cookies: bool = False
    # A session ends this many seconds after login, or after this long without a request.
    session_max_age: int = 12 * 3600
    session_idle_timeout: int = 2 * 3600
    # Login rate limit: this many failures per user name and client within the window.
    login_max_failures: int = 5
    login_max_failures_per_client: int = 30
    login_window_seconds: int = 15 * 60
    # Queue pagination.
    page_size: int = 50
    max_page_size: int = 200
    # Bulk decisions touch at most this many items at once.
    bulk_limit: int = 1000
    # The key that signs evidence packages (None: $BRWATCH_SIGNING_KEY, else
    # brwatch-signing-key.pem in the working directory; made by `brwatch keys init`).
    signing_key: str | None = None

    @classmethod
    def from_environment(cls) -> WebSettings:
        overrides: dict[str, object] = {"secure_cookies": _env_flag("BRWATCH_SECURE_COOKIES")}
        if key := os.environ.get("BRWATCH_SECRET_KEY"):
            overrides["secret_key"] = key
        return cls(**overrides)  # type: ignore[arg-type]
