"""One base for expected failures: the CLI and the web app each translate it in one place."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from brwatch.accounts.users import AccountError
from brwatch.attribution.registry import RegistryError
from brwatch.cli import main
from brwatch.cli._common import CommandError
from brwatch.errors import BrwatchError
from brwatch.evidence.keys import KeyProblem
from brwatch.evidence.warc import EvidenceError
from brwatch.fetch.policy import NetworkPolicyError
from brwatch.notify.subscriptions import SubscriptionError
from brwatch.pipeline.stages import StageError
from brwatch.relevance.vocabulary import TopicsError
from brwatch.reports.model import ReportError
from brwatch.reuse.draft import DraftError
from brwatch.reuse.grants import GrantError
from brwatch.reuse.service import ReuseError
from brwatch.rights.rules import RulesError
from brwatch.schedule.daemon import ScheduleSetupError
from brwatch.sources.loader import SourcesError
from brwatch.storage import Database
from brwatch.storage.database import DatabaseError
from brwatch.web import WebSettings, create_app

EXPECTED_FAILURES = [
    AccountError, RegistryError, CommandError, KeyProblem, EvidenceError, NetworkPolicyError,
    SubscriptionError, StageError, TopicsError, ReportError, DraftError, GrantError, ReuseError,
    RulesError, ScheduleSetupError, SourcesError, DatabaseError,
]  # fmt: skip


@pytest.mark.parametrize("error", EXPECTED_FAILURES, ids=lambda error: error.__name__)
def test_every_expected_failure_is_a_brwatch_error(error: type[Exception]) -> None:
    assert issubclass(error, BrwatchError)


def test_the_cli_prints_a_package_error_as_one_line_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A RulesError raised deep in the rules loader, not translated by the verb itself.
    bad = tmp_path / "rules"
    bad.mkdir()
    (bad / "broken.yaml").write_text("rules: [\n", encoding="utf-8")
    assert main(["rules", "test", "--dir", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "broken.yaml" in err
    assert "Traceback" not in err


def test_a_mistyped_report_date_is_refused_before_the_database_opens(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["report", "--since", "not-a-date"]) == 2
    assert "not-a-date" in capsys.readouterr().err


def test_the_web_app_answers_400_with_the_message(sqlite_db: Database) -> None:
    app = create_app(sqlite_db, WebSettings(secret_key="test-secret"))

    @app.get("/healthz/raise-for-test")
    def _raise() -> None:  # a route that lets a package's failure through
        raise GrantError("grant #7: 'until' is before 'from'")

    client = TestClient(app, raise_server_exceptions=False)
    page = client.get("/healthz/raise-for-test")
    assert page.status_code == 400
    assert "grant #7: &#39;until&#39; is before &#39;from&#39;" in page.text
    api = client.get("/healthz/raise-for-test", headers={"accept": "application/json"})
    assert api.status_code == 400
    assert api.json()["problems"] == ["grant #7: 'until' is before 'from'"]
