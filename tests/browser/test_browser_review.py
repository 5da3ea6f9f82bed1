"""The review app in a real browser: an editor's round trip; a hostile page stays inert."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveApp, screenshot
from tests.web_data import PASSWORD

pytestmark = pytest.mark.browser


def log_in(page: Page, app: LiveApp, name: str) -> None:
    page.goto(app.base + "/queue")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/queue$"))


def test_editor_filters_opens_decides_and_sees_the_audit_entry(
    page: Page, live_app: LiveApp
) -> None:
    page.goto(live_app.base + "/login")
    screenshot(page, "login")
    log_in(page, live_app, "edith")
    expect(page.locator("tr[data-row]")).to_have_count(6)
    screenshot(page, "queue")

    page.select_option("select[name=status]", "permission_required")
    page.click("form.filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"status=permission_required"))
    expect(page.locator("tr[data-row]")).to_have_count(1)
    # Keyboard: j selects the first row, o opens it.
    page.keyboard.press("j")
    expect(page.locator("tr[data-row].current")).to_have_count(1)
    page.keyboard.press("o")
    expect(page).to_have_url(re.compile(rf"/items/{live_app.ids['permission']}\?"))
    expect(page.locator("h1.item-title")).to_have_text("一带一路 新闻")
    screenshot(page, "item")

    page.keyboard.press("d")  # "do not reuse", and the note gets the focus
    expect(page.locator("input[value=do_not_reuse]")).to_be_checked()
    page.keyboard.type("publisher said no by e-mail")
    page.uncheck("input[name=advance]")
    page.click("#decide button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Decision recorded: Do not reuse.")
    expect(page.locator("[data-review-state]")).to_have_attribute(
        "data-review-state", "do_not_reuse"
    )
    entry = page.locator("li[data-audit]").first
    expect(entry).to_contain_text("edith")
    expect(entry).to_contain_text("Do not reuse")
    expect(entry).to_contain_text("publisher said no by e-mail")
    screenshot(page, "item-decided")


def test_hostile_snapshot_renders_inert(page: Page, live_app: LiveApp) -> None:
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, live_app, "edith")
    page.goto(f"{live_app.base}/items/{live_app.ids['hostile']}")
    frame_element = page.locator("iframe.snapshot-frame")
    expect(frame_element).to_have_attribute("sandbox", "")
    frame = page.frame_locator("iframe.snapshot-frame")
    expect(frame.locator("h1")).to_have_text("Port deal signed")
    expect(frame.locator("a", has_text="click me")).to_have_count(1)
    frame.locator("a", has_text="click me").click()
    frame.locator("h1").click()
    page.wait_for_timeout(500)  # give anything that might fire a chance to
    page.wait_for_load_state("networkidle")
    screenshot(page, "item-hostile")

    assert page.title() != "PWNED"
    assert page.evaluate("typeof window.__pwned") == "undefined"
    # No script, style, image, frame or form of the crawled page reached out anywhere.
    assert live_app.canary.requests == []
    assert all(url.startswith(live_app.base) for url in requests), requests
    assert dialogs == []
    # The hostile title is shown as text, and its javascript: URL is not a link.
    expect(page.locator("h1.item-title")).to_contain_text(
        "<script>window.__pwned=true</script>Hostile page"
    )
    expect(page.locator("a[href^='javascript:']")).to_have_count(0)


def test_legal_and_admin_pages(page: Page, live_app: LiveApp) -> None:
    log_in(page, live_app, "lena")
    page.goto(live_app.base + "/grants")
    page.fill("form.grant-form input[name=publisher]", "Xinhua News Agency")
    page.fill("form.grant-form input[name=reference]", "letter 2026-11-02")
    page.click("form.grant-form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("xinhua")  # the registry id
    expect(page.locator("li[data-audit]")).to_contain_text("add")
    screenshot(page, "grant")
    page.goto(live_app.base + "/grants")
    screenshot(page, "grants")
    page.goto(live_app.base + "/reuse-check")
    screenshot(page, "reuse-check")
    page.goto(live_app.base + "/reports?since=2026-10-01&until=2026-11-30")
    expect(page.locator("iframe.report-frame")).to_have_count(1)
    screenshot(page, "reports")
    page.click("form[action='/logout'] button")
    log_in(page, live_app, "adam")
    page.goto(live_app.base + "/users")
    expect(page.locator("table.users")).to_contain_text("edith")
    screenshot(page, "users")


def test_a_decision_sent_after_the_session_expired_is_not_lost(
    page: Page, live_app: LiveApp
) -> None:
    log_in(page, live_app, "olga")
    item = live_app.ids["attribution"]
    page.goto(f"{live_app.base}/items/{item}")
    page.keyboard.press("a")  # reuse with attribution
    page.keyboard.type("credit Xinhua and link the original")
    page.context.clear_cookies()  # the session ends while the editor is typing
    page.click("#decide button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/login\?next=%2Fitems%2F{item}"))
    page.fill("input[name=name]", "olga")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/items/{item}$"))
    expect(page.locator("input[value=reuse_with_attribution]")).to_be_checked()
    expect(page.locator("textarea[name=note]")).to_have_value("credit Xinhua and link the original")
    page.click("#decide button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Decision recorded: Reuse with attribution.")


def test_chinese_interface(page: Page, live_app: LiveApp) -> None:
    log_in(page, live_app, "adam")
    page.select_option("select[name=locale]", "zh_CN")  # submits itself
    expect(page.locator("h1")).to_contain_text("审核队列")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    screenshot(page, "queue-zh")
    page.goto(f"{live_app.base}/items/{live_app.ids['prohibited']}")
    expect(page.locator("h2").first).to_have_text("转用结论")
    expect(page.locator("form#decide")).to_have_count(0)  # admins do not decide
    snapshot = page.frame_locator("iframe.snapshot-frame").locator("p")
    expect(snapshot).to_contain_text("The Belt and Road Forum opened in Beijing")
    screenshot(page, "item-zh")
    page.select_option("select[name=locale]", "en")
    expect(page.locator("h1.item-title")).to_be_visible()
