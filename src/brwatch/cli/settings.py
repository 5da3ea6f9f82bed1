"""`brwatch settings`: every setting in effect and where its value came from; with
``--markdown``, the table of docs/settings.md, generated from the settings classes."""

from __future__ import annotations

import argparse
import os
from typing import Any

from pydantic.fields import FieldInfo
from rich.markup import escape
from rich.table import Table

from brwatch.cli._common import console, print_json_line
from brwatch.notify.settings import NotifySettings
from brwatch.schedule.settings import SchedulerSettings
from brwatch.settings import CoreSettings, CrawlSettings, SettingsGroup
from brwatch.web.settings import WebSettings

# Every group, in the order the table lists them.
GROUPS: tuple[type[SettingsGroup], ...] = (
    CoreSettings,
    CrawlSettings,
    WebSettings,
    SchedulerSettings,
    NotifySettings,
)
# Shown as "(set)" rather than their value.
SECRETS = frozenset({"BRWATCH_SECRET_KEY", "BRWATCH_METRICS_TOKEN", "BRWATCH_NOTIFY_SMTP_PASSWORD"})
# Defaults computed when a process starts, described rather than shown.
COMPUTED_DEFAULTS = {
    "BRWATCH_WORKERS": "CPU count",
    "BRWATCH_SECRET_KEY": "random per process",
}
MARKDOWN_HEADER = """\
# Settings

Every setting brwatch reads from its environment, generated from `brwatch.settings` and the
groups beside the code that reads them (`brwatch settings --markdown`; a test checks this file
is what it prints). `brwatch settings` shows the values in effect and where each came from. An
empty variable counts as unset; a value that does not fit is refused with the variable's name.
Command-line options (`--db`, `--sources`, `--port`, `brwatch schedule --<name>`) win over the
variables.
"""


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("settings", help="every setting in effect, or the docs table")
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="one JSON object per setting")
    shown.add_argument(
        "--markdown", action="store_true", help="print docs/settings.md (names, defaults, meaning)"
    )
    parser.set_defaults(handler=run)


def settings_rows() -> list[tuple[type[SettingsGroup], str, str, FieldInfo]]:
    """(group, field name, variable, field) of every setting, each variable once."""
    rows = []
    seen: set[str] = set()
    for group in GROUPS:
        for name, info in group.model_fields.items():
            variable = group.env_name(name)
            if variable not in seen:  # a variable two groups read is listed with the first
                seen.add(variable)
                rows.append((group, name, variable, info))
    return rows


def _default_text(variable: str, info: FieldInfo) -> str:
    if variable in COMPUTED_DEFAULTS:
        return COMPUTED_DEFAULTS[variable]
    default = info.get_default(call_default_factory=False)
    if default is None or default == "":
        return "unset"
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return str(default)


def settings_markdown() -> str:
    """The text of docs/settings.md."""
    parts = [MARKDOWN_HEADER]
    current: type[SettingsGroup] | None = None
    for group, _, variable, info in settings_rows():
        if group is not current:
            current = group
            parts.append(f"\n## {group.title}\n\n{group.about}\n\n")
            parts.append("| variable | default | meaning |\n|---|---|---|\n")
        default = _default_text(variable, info).replace("|", "\\|")
        shown = default if default == "unset" or variable in COMPUTED_DEFAULTS else f"`{default}`"
        meaning = (info.description or "").replace("|", "\\|")
        parts.append(f"| `{variable}` | {shown} | {meaning} |\n")
    return "".join(parts)


def _in_effect(environ: dict[str, str]) -> list[dict[str, Any]]:
    values: dict[type[SettingsGroup], SettingsGroup] = {g: g.load() for g in GROUPS}
    found = []
    for group, name, variable, info in settings_rows():
        given = bool(environ.get(variable))
        value = getattr(values[group], name)
        if variable in SECRETS:
            value = "(set)" if given else _default_text(variable, info)
        elif value is None or value == "":
            value = "unset"
        found.append(
            {"variable": variable, "value": value, "from": "environment" if given else "default"}
        )
    return found


def run(args: argparse.Namespace) -> int:
    if args.markdown:
        print(settings_markdown(), end="")
        return 0
    rows = _in_effect(dict(os.environ))
    if args.json:
        for row in rows:
            print_json_line(row)
        return 0
    table = Table(title="settings in effect (docs/settings.md says what each does)")
    for column in ("variable", "value", "from"):
        table.add_column(column)
    for row in rows:
        style = "bold" if row["from"] == "environment" else None
        table.add_row(row["variable"], escape(str(row["value"])), row["from"], style=style)
    console.print(table)
    return 0
