"""The review web app and JSON API (`brwatch serve`)."""

from brwatch.web.app import create_app
from brwatch.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]
