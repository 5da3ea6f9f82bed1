"""The web app's settings (``BRWATCH_*``): one documented place for every default."""

from __future__ import annotations

import secrets
from typing import ClassVar

from pydantic import Field

from brwatch.settings import SettingsGroup

DEFAULT_PORT = 8000


class WebSettings(SettingsGroup):
    title: ClassVar[str] = "Web app"
    about: ClassVar[str] = "Read by `brwatch serve` when it starts."

    secret_key: str = Field(
        default_factory=lambda: secrets.token_urlsafe(32),
        description="signs session cookies; unset: a random key per process, so everyone logs "
        "in again after a restart",
    )
    secure_cookies: bool = Field(
        False,
        description="always mark the session cookie `Secure` (also `brwatch serve "
        "--secure-cookies`); requests over https get it anyway",
    )
    port: int = Field(
        DEFAULT_PORT,
        gt=0,
        lt=65536,
        description="`brwatch serve`'s port when `--port` is not given",
    )
    session_max_age: int = Field(12 * 3600, gt=0, description="seconds a session lasts after login")
    session_idle_timeout: int = Field(
        2 * 3600, gt=0, description="seconds a session lasts without a request"
    )
    login_max_failures: int = Field(
        5, ge=1, description="failed logins per user name and client within the window"
    )
    login_max_failures_per_client: int = Field(
        30, ge=1, description="failed logins per client within the window, whatever the name"
    )
    login_window_seconds: int = Field(15 * 60, gt=0, description="the login rate limit's window")
    page_size: int = Field(50, ge=1, description="queue rows per page")
    max_page_size: int = Field(200, ge=1, description="most queue rows a page may ask for")
    bulk_limit: int = Field(1000, ge=1, description="items one bulk decision may touch")
    signing_key: str | None = Field(
        None,
        description="the key that signs evidence packages; unset: `brwatch-signing-key.pem` "
        "in the working directory",
    )

    @classmethod
    def from_environment(cls) -> WebSettings:
        return cls.load()
