"""In a real browser: legal downloads an item's signed evidence package from the item page; a
user opts in to notifications."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from brwatch.evidence import init_key, load_public_key, verify_package
from tests.browser.conftest import LiveApp, screenshot
from tests.browser.test_browser_review import log_in

pytestmark = pytest.mark.browser


def test_legal_downloads_the_evidence_package(
    page: Page, live_app: LiveApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = tmp_path / "signing-key.pem"
    init_key(key)
    monkeypatch.setenv("BRWATCH_SIGNING_KEY", str(key))  # the app reads it at each download
    log_in(page, live_app, "lena")
    page.goto(f"{live_app.base}/items/{live_app.ids['prohibited']}")
    button = page.locator("#evidence-package")
    expect(button).to_be_visible()
    screenshot(page, "item-evidence-button")
    with page.expect_download() as download_info:
        button.click()
    download = download_info.value
    assert download.suggested_filename == f"item-{live_app.ids['prohibited']}.wacz"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    result = verify_package(saved, load_public_key(key))
    assert result.ok, result.problems


def test_a_user_opts_in_to_notifications(page: Page, live_app: LiveApp) -> None:
    log_in(page, live_app, "edith")
    page.click("a[href='/account/notifications']")
    expect(page.locator("h1")).to_have_text("Notifications")
    page.check("input[name=enabled]")
    page.fill("input[name=email]", "edith@newsroom.example")
    page.check("input[name=source_flags]")
    page.click("form.notifications-form button[type=submit]")
    expect(page.locator("body")).to_contain_text("Notification settings saved.")
    expect(page.locator("input[name=email]")).to_have_value("edith@newsroom.example")
    expect(page.locator("input[name=source_flags]")).to_be_checked()
    screenshot(page, "notifications")
