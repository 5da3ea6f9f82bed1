"""Pages too large to parse whole: scripts do not count against the budget, the footer is
always read, and a page cut for size says so and is flagged for review (issue 18.6)."""

from __future__ import annotations

from brwatch.document import parse_document
from brwatch.document.document import MAX_PARSE_CHARS
from brwatch.rights import verdict_for


def test_a_notice_after_a_huge_inline_script_is_read() -> None:
    script = "<script>var data=[" + ",".join(["1"] * 4_200_000) + "];</script>"
    page = (
        "<html><body><article><p>Port news.</p></article>"
        f"{script}<footer>未经授权禁止转载</footer></body></html>"
    )
    assert len(page) > MAX_PARSE_CHARS
    doc = parse_document(page.encode(), "")
    verdict = verdict_for(doc)
    assert verdict.status == "prohibited"
    # Only the script's content went: nothing of the page's text was cut.
    assert not doc.truncated and not verdict.unmatched


def test_a_page_cut_for_size_keeps_its_footer_and_is_flagged() -> None:
    text = "<p>word word word word</p>" * 400_000
    page = f"<html><body>{text}<footer>Reproduction is prohibited.</footer></body></html>"
    doc = parse_document(page.encode(), "")
    assert doc.truncated and len(doc.text) <= MAX_PARSE_CHARS + 100
    verdict = verdict_for(doc)
    assert verdict.status == "prohibited"
    assert verdict.unmatched  # flagged for review
    assert [e.kind for e in verdict.evidence if e.kind == "truncated"] == ["truncated"]


def test_a_cut_page_without_any_notice_is_flagged_not_passed() -> None:
    page = "<html><body>" + "<p>word word word word</p>" * 400_000 + "</body></html>"
    verdict = verdict_for(parse_document(page.encode(), ""))
    assert verdict.status == "unknown" and verdict.unmatched
