"""One settings mechanism: every BRWATCH_* variable is a typed field of a settings group, read
nowhere else, listed in the generated docs/settings.md, and refused by name when malformed."""

from __future__ import annotations

import json
import re

import pytest

from brwatch.cli.settings import GROUPS, settings_markdown, settings_rows
from brwatch.notify.settings import NotifySettings
from brwatch.schedule.settings import SchedulerSettings
from brwatch.settings import CoreSettings, CrawlSettings, SettingsError
from brwatch.web.settings import WebSettings
from tests.conftest import ROOT

# Variables brwatch sets for its own child processes (a crawl's, a worker's Scrapy settings),
# and the test suite's own.
INTERNAL = {
    "BRWATCH_ENTRY_HOSTS",
    "BRWATCH_GROUP_DELAYS",
    "BRWATCH_POLITENESS_GROUPS",
    "BRWATCH_SHARED_DELAY",
    "BRWATCH_WORKER_ID",
    "BRWATCH_PARENT_PID",
    "BRWATCH_PROGRESS",
    "BRWATCH_RUN_IDS",
    "BRWATCH_TEST_PG",
    "BRWATCH_TEST_PG_URL",
}
_VARIABLE = re.compile(r"BRWATCH_[A-Z0-9_]*[A-Z0-9]\b")


def test_docs_settings_md_is_what_the_code_generates() -> None:
    # Regenerate with: brwatch settings --markdown > docs/settings.md
    assert (ROOT / "docs" / "settings.md").read_text(encoding="utf-8") == settings_markdown()


def test_every_variable_the_code_or_docs_name_is_a_setting() -> None:
    known = {variable for _, _, variable, _ in settings_rows()}
    # (docs/design.md is the design, naming contracts before they are built.)
    files = [
        ROOT / "README.md",
        *(p for p in (ROOT / "docs").glob("*.md") if p.name != "design.md"),
    ]
    files += [*(ROOT / "src" / "brwatch").rglob("*.py"), *(ROOT / "crawler").rglob("*.py")]
    named = {m for path in files for m in _VARIABLE.findall(path.read_text(encoding="utf-8"))}
    unknown = sorted(named - known - INTERNAL - {"BRWATCH_SCHEDULE", "BRWATCH_NOTIFY"})
    assert not unknown, f"variables named but not settings: {unknown}"


def test_no_module_reads_a_setting_from_the_environment_itself() -> None:
    direct = re.compile(r"(?:os\.environ(?:\.get)?[\[(]|getenv\()\s*[\"']BRWATCH_")
    readers = [
        str(path.relative_to(ROOT))
        for path in [*(ROOT / "src" / "brwatch").rglob("*.py"), *(ROOT / "crawler").rglob("*.py")]
        if direct.search(path.read_text(encoding="utf-8"))
        and path.name not in {"run.py"}  # brwatch_crawler/run.py: BRWATCH_PARENT_PID, from brwatch
    ]
    assert not readers, f"read BRWATCH_* themselves instead of brwatch.settings: {readers}"


def test_each_group_reads_its_variables_and_the_overrides_win() -> None:
    environ = {
        "BRWATCH_DB_URL": "postgresql+psycopg://db/x",
        "BRWATCH_DB_CONNECT_TIMEOUT": "3",
        "BRWATCH_STORE_BATCH": "7",
        "BRWATCH_PORT": "8123",
        "BRWATCH_SCHEDULE_JITTER": "5",
        "BRWATCH_NOTIFY_SMTP_STARTTLS": "yes",
        "BRWATCH_SOURCES": "",  # empty counts as unset
    }
    core = CoreSettings.load(environ)
    assert (core.db_url, core.db_connect_timeout, core.sources) == (
        "postgresql+psycopg://db/x",
        3.0,
        None,
    )
    assert CrawlSettings.load(environ).store_batch == 7
    assert WebSettings.load(environ).port == 8123
    assert WebSettings.load(environ, port=9000).port == 9000  # --port wins
    assert SchedulerSettings.load(environ).jitter == 5.0
    assert SchedulerSettings.load(environ, jitter="9").jitter == 9.0
    assert NotifySettings.load(environ).smtp_starttls is True


@pytest.mark.parametrize(
    ("group", "variable", "value", "reason"),
    [
        (CoreSettings, "BRWATCH_DB_STATEMENT_TIMEOUT", "-1", "greater than 0"),
        (CoreSettings, "BRWATCH_RIGHTS_READER", "html5lib", "'auto', 'lexbor' or 'lxml'"),
        (CrawlSettings, "BRWATCH_WORKERS", "many", "valid integer"),
        (WebSettings, "BRWATCH_PORT", "70000", "less than 65536"),
        (WebSettings, "BRWATCH_SECURE_COOKIES", "sometimes", "valid boolean"),
        (SchedulerSettings, "BRWATCH_SCHEDULE_KILL_GRACE", "-3", "greater than or equal to 0"),
        (NotifySettings, "BRWATCH_NOTIFY_SMTP_PORT", "twenty", "valid integer"),
    ],
)
def test_a_malformed_value_is_refused_naming_the_variable(group, variable, value, reason) -> None:
    with pytest.raises(SettingsError) as error:
        group.load({variable: value})
    assert str(error.value).startswith(f"{variable}={value!r}: ")
    assert reason in str(error.value)


def test_every_setting_has_a_meaning_and_each_variable_one_row() -> None:
    rows = settings_rows()
    assert [g for g in GROUPS if not g.title] == []
    assert all(info.description for _, _, _, info in rows)
    variables = [variable for _, _, variable, _ in rows]
    assert len(variables) == len(set(variables))


def test_the_command_shows_values_in_effect_and_hides_secrets(brwatch) -> None:
    shown = brwatch(
        "settings",
        "--json",
        env={"BRWATCH_STORE_BATCH": "9", "BRWATCH_SECRET_KEY": "hunter2", "BRWATCH_PORT": ""},
    )
    assert shown.returncode == 0, shown.stderr
    rows = {row["variable"]: row for row in map(json.loads, shown.stdout.splitlines())}
    assert rows["BRWATCH_STORE_BATCH"] == {
        "variable": "BRWATCH_STORE_BATCH",
        "value": 9,
        "from": "environment",
    }
    assert rows["BRWATCH_SECRET_KEY"]["value"] == "(set)" and "hunter2" not in shown.stdout
    assert rows["BRWATCH_PORT"] == {"variable": "BRWATCH_PORT", "value": 8000, "from": "default"}
    bad = brwatch("settings", env={"BRWATCH_PORT": "eighty"})
    assert bad.returncode == 2 and "BRWATCH_PORT='eighty'" in bad.stderr


def test_the_environment_is_read_again_when_it_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRWATCH_DB_STATEMENT_TIMEOUT", "42")
    first = CoreSettings.load()
    assert first.db_statement_timeout == 42.0 and CoreSettings.load() is first  # read once
    monkeypatch.setenv("BRWATCH_DB_STATEMENT_TIMEOUT", "7")
    assert CoreSettings.load().db_statement_timeout == 7.0
    monkeypatch.setenv("BRWATCH_DB_STATEMENT_TIMEOUT", "soon")
    with pytest.raises(SettingsError, match="BRWATCH_DB_STATEMENT_TIMEOUT='soon'"):
        CoreSettings.load()
