"""The reuse verdict and its parts in a real browser (Debian's Chromium): the queue and the item
page, obligations in words, columns that long URLs cannot squeeze, a report preview as tall as
its report, and the reuse gate answering in Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from brwatch.storage.models import AttributionCheck, User
from tests.browser.conftest import LiveApp, screenshot
from tests.web_data import PASSWORD, add_article, password_hash, verdict

pytestmark = pytest.mark.browser

LONG_URL = "https://a-very-long-host-name.example/" + "-".join(["belt-and-road-corridor"] * 14)


@pytest.fixture(scope="module")
def reuse_world(live_app: LiveApp) -> Iterator[dict[str, int]]:
    """A reprint whose own page says nothing, with long URLs and readable obligations; a user
    whose interface is Chinese."""
    own = verdict("attribution_required")
    own.update(
        status="unknown", obligations=["credit_origin", "link_to_original", "no_derivatives"]
    )
    copy = add_article(
        live_app.db,
        30,
        title="Rail corridor story, reprinted",
        rights_status="unknown",
        rights=own,
        url=LONG_URL,
        canonical_url=LONG_URL,
        source="copycat",
        reprint_of_id=live_app.ids["prohibited"],
        attribution_link="missing",
        attribution={"origin": "Example News", "link": "missing", "link_url": LONG_URL + "/x"},
    )
    with live_app.db.session() as session:
        session.add(
            AttributionCheck(
                article_id=copy,
                origin="Example News",
                outcome="missing",
                link_url=LONG_URL + "/link",
                final_url=LONG_URL + "/final",
            )
        )
        session.add(User(name="zhou", role="legal", password_hash=password_hash(), locale="zh_CN"))
    yield {"copy": copy}


def log_in(page: Page, app: LiveApp, name: str) -> None:
    page.goto(app.base + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/queue$"))


def test_queue_and_item_page_show_the_reuse_verdict_and_where_it_comes_from(
    page: Page, live_app: LiveApp, reuse_world: dict[str, int]
) -> None:
    log_in(page, live_app, "edith")
    row = page.locator("tr[data-row]", has_text="Rail corridor story, reprinted")
    expect(row.locator("[data-reuse-status]")).to_have_attribute("data-reuse-status", "prohibited")
    expect(row).to_contain_text("page: Unknown")
    screenshot(page, "queue-reuse-verdict")

    page.goto(f"{live_app.base}/items/{reuse_world['copy']}")
    verdict_section = page.locator("section.verdict")
    expect(verdict_section.locator("[data-reuse-status]")).to_have_text("Prohibited")
    expect(verdict_section.locator("li[data-part=own]")).to_contain_text("Unknown")
    inherited = verdict_section.locator("li[data-part=reprint_of]")
    expect(inherited).to_contain_text("Prohibited")
    expect(inherited.locator("a")).to_have_attribute("href", f"/items/{live_app.ids['prohibited']}")
    obligations = verdict_section.locator("ul.obligations")
    expect(obligations).to_contain_text("Credit the original publisher")
    expect(obligations).to_contain_text("Link to the original article")
    expect(obligations).to_contain_text("Reproduce unchanged (no modifications)")
    expect(obligations).not_to_contain_text("credit_origin")

    # The long URLs in the review column wrap instead of squeezing the verdict column.
    widths = page.evaluate(
        """() => ({
            columns: document.querySelector('.columns').getBoundingClientRect().width,
            verdict: document.querySelector('section.verdict').getBoundingClientRect().width,
            review: document.querySelector('section.review').getBoundingClientRect().width,
            page: document.documentElement.scrollWidth,
            window: window.innerWidth,
        })"""
    )
    assert widths["verdict"] >= 0.45 * widths["columns"], widths
    assert abs(widths["verdict"] - widths["review"]) < 0.1 * widths["columns"], widths
    assert widths["page"] <= widths["window"], widths  # no sideways scrolling
    screenshot(page, "item-reuse-verdict-long-urls")


def test_the_report_preview_is_as_tall_as_the_report(page: Page, live_app: LiveApp) -> None:
    log_in(page, live_app, "lena")
    page.goto(f"{live_app.base}/reports?since=2026-01-01&until=2026-12-31")
    frame = page.locator("iframe.report-frame")
    expect(frame).to_be_visible()
    page.frame_locator("iframe.report-frame").locator("h1").first.wait_for()
    measure = """() => {
        const frame = document.querySelector('iframe.report-frame');
        return {height: frame.getBoundingClientRect().height,
                content: frame.contentDocument.documentElement.scrollHeight};
    }"""
    page.wait_for_function(
        """() => {
            const frame = document.querySelector('iframe.report-frame');
            const doc = frame.contentDocument;
            return doc && Math.abs(frame.getBoundingClientRect().height
                                   - doc.documentElement.scrollHeight) <= 4;
        }"""
    )
    sizes = page.evaluate(measure)
    assert sizes["content"] > 32 * 16  # longer than the old fixed 32rem frame
    assert sizes["height"] >= sizes["content"] - 4, sizes
    screenshot(page, "reports-preview-fits")


def test_reuse_gate_reasons_are_translated_in_the_chinese_interface(
    page: Page, live_app: LiveApp, reuse_world: dict[str, int]
) -> None:
    log_in(page, live_app, "zhou")
    page.goto(f"{live_app.base}/reuse-check")
    page.fill("input[name=article_url]", f"https://news.example/{live_app.ids['prohibited']}")
    page.fill("textarea[name=draft]", "一篇没有注明来源的草稿。")
    page.click("form.reuse-form button[type=submit]")
    reasons = page.locator("ul.reasons")
    expect(reasons).to_contain_text("草稿没有注明 Example News")
    expect(reasons).to_contain_text("请添加来源说明，例如“来源：Example News”")
    expect(reasons).not_to_contain_text("the draft does not credit")
    # The permission rests on the publisher's grant: said in Chinese too.
    notes = page.locator("section.gate p.note")
    expect(notes.first).to_contain_text("许可：Example News 的授权 #")
    expect(notes.first).to_contain_text("全部文章")  # the grant's scope, in words
    expect(page.locator("section.gate")).not_to_contain_text("permission: grant")
    screenshot(page, "reuse-check-zh")
