"""The Jinja2 environment: autoescaped templates, gettext, and the helpers pages share."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from brwatch.web import i18n, labels

TEMPLATES_DIR = Path(__file__).parent / "templates"


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


def _day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "—"


def _with_query(params: dict[str, Any], **changes: Any) -> str:
    """The query string of the current filters with some values changed (pagination, sorting)."""
    merged = {**params, **changes}
    return "?" + urlencode({k: v for k, v in merged.items() if v not in (None, "", False)})


def _translated(params: dict[str, Any]) -> dict[str, Any]:
    """Message parameters that are themselves messages (a state's label) in the user's language."""
    return {k: i18n.gettext(v) if isinstance(v, str) else v for k, v in params.items()}


def translate(message: str, **params: Any) -> Markup:
    """A message that is not a literal of the template (an error's, a flash's, a stored code's
    label): translated when the catalog has it, HTML-escaped, and filled in only when values are
    given, each escaped. Jinja's own `_()` trusts its message as markup and always formats it:
    right for literals, wrong for text that may hold `<` or `%` from a page or a user."""
    text = Markup.escape(i18n.gettext(str(message)))
    if not params:
        return text
    try:
        return text % params
    except (KeyError, TypeError, ValueError):
        return text


# Values of a gate sentence that are words of ours, not names: translated like the sentence.
_GATE_WORDS = {"scope", "state"}


def gate_text(text: str) -> Markup:
    """A reuse-gate sentence (brwatch.reuse.GateText) in the user's language, part by part."""
    from brwatch.web.decisions import STATE_LABELS  # the review states' labels

    def word(name: str, value: object) -> object:
        if name not in _GATE_WORDS or not isinstance(value, str):
            return value
        return i18n.gettext(STATE_LABELS.get(value, value))

    parts: Iterable[tuple[str, dict[str, Any]]] = getattr(text, "parts", None) or ((str(text), {}),)
    return Markup("").join(
        translate(template, **{k: word(k, v) for k, v in values.items()})
        for template, values in parts
    )


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["when"] = _when
    env.filters["day"] = _day
    env.filters["translated"] = _translated
    env.globals["tr"] = translate
    env.globals["gate_text"] = gate_text
    env.globals["OBLIGATION_LABELS"] = labels.OBLIGATION_LABELS
    env.globals["with_query"] = _with_query
    env.globals["LANGUAGES"] = i18n.LANGUAGES
    return env


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    env: Environment = request.app.state.templates
    user = getattr(request.state, "user", None)
    i18n.activate(user.locale if user else i18n.negotiate(request.headers.get("accept-language")))
    html = env.get_template(name).render(
        request=request,
        user=user,
        csrf_token=request.session.get("csrf", ""),
        flashes=request.session.pop("flash", []),
        **context,
    )
    return HTMLResponse(html, status_code=status_code)
