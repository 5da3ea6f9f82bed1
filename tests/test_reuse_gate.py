"""The reuse gate on its own (no database): drafts that pass, and fail for each reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from brwatch.reuse import ArticleFacts, DraftError, gate, parse_draft, read_draft
from brwatch.storage.models import Grant

NOW = datetime(2026, 6, 1, tzinfo=UTC)
COPY_URL = "https://www.chinanews.com.cn/gj/2026/05-03/1.shtml"
ORIGINAL_URL = "http://www.news.cn/world/2026-05/03/c_1.htm"


def facts(status: str = "attribution_required", **overrides) -> ArticleFacts:  # type: ignore[no-untyped-def]
    rights = {
        "status": status,
        "license": None,
        "requires_link": status == "attribution_required",
        "credit": None,
        "origin": "新华社",
        "obligations": ["credit", "link"],
        "conflict": False,
        "evidence": [
            {
                "rule_id": "zh-attribution-link",
                "kind": "notice",
                "status": status,
                "text": "转载请注明出处并附原文链接",
            }
        ],
    }
    rights.update(overrides.pop("rights", {}))
    base = {
        "url": COPY_URL,
        "canonical_url": COPY_URL,
        "origin": "新华社",
        "original_url": ORIGINAL_URL,
        "review_state": "pending",
        "article_id": 7,
    }
    base.update(overrides)
    return ArticleFacts(rights=rights, **base)


def grant(**fields) -> Grant:  # type: ignore[no-untyped-def]
    values = {
        "id": 3,
        "publisher": "xinhua",
        "scope": "all",
        "valid_from": NOW - timedelta(days=30),
        "valid_to": NOW + timedelta(days=30),
        "conditions": None,
        "reference": "contract 12",
    }
    values.update(fields)
    return Grant(**values)


GOOD_HTML = f"""<html><body><h1>China-Europe trains</h1><p>…</p>
<p>Source: Xinhua. <a href="{ORIGINAL_URL}">Original article</a></p></body></html>"""


def codes(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.code for r in result.reasons]


def test_credit_and_link_present_passes() -> None:
    result = gate(facts(), parse_draft(GOOD_HTML, "d.html"), [], at=NOW)
    assert result.may_publish and result.outcome == "pass" and result.reasons == []
    assert "Xinhua" in result.required["credit"] and ORIGINAL_URL in result.required["link_to"]


@pytest.mark.parametrize(
    "credit",
    ["来源：新华社", "Источник: Синьхуа", "المصدر: شينخوا", "(XINHUA)", "Xinhua News Agency"],
)
def test_any_of_the_publishers_names_is_a_credit(credit: str) -> None:
    draft = parse_draft(f"Text of the story.\n\n{credit}\n\nOriginal: {ORIGINAL_URL}\n", "d.txt")
    assert gate(facts(), draft, [], at=NOW).may_publish


def test_missing_credit_fails_with_what_to_add() -> None:
    draft = parse_draft(f"<p>Story.</p><p><a href='{ORIGINAL_URL}'>link</a></p>", "d.html")
    result = gate(facts(), draft, [], at=NOW)
    assert codes(result) == ["missing_credit"]
    assert "Xinhua" in result.reasons[0].fix


def test_missing_link_fails() -> None:
    result = gate(facts(), parse_draft("Story text. Source: Xinhua", "d.txt"), [], at=NOW)
    assert codes(result) == ["missing_link"]
    assert ORIGINAL_URL in result.reasons[0].fix


def test_link_to_the_wrong_article_of_the_publisher_fails() -> None:
    draft = parse_draft("Story. Source: [Xinhua](http://www.news.cn/other/2.htm)", "d.md")
    result = gate(facts(), draft, [], at=NOW)
    assert codes(result) == ["wrong_link"] and ORIGINAL_URL in result.reasons[0].fix


@pytest.mark.parametrize(
    "link", [COPY_URL, ORIGINAL_URL.replace("http://", "https://") + "/", ORIGINAL_URL + "#top"]
)
def test_the_canonical_url_or_the_original_counts_loosely_compared(link: str) -> None:
    draft = parse_draft(f"Story. Source: Xinhua <{link}>", "d.md")
    assert gate(facts(), draft, [], at=NOW).may_publish


@pytest.mark.parametrize("status", ["prohibited", "permission_required"])
def test_restricted_articles_need_a_grant(status: str) -> None:
    draft = parse_draft(GOOD_HTML, "d.html")
    result = gate(facts(status), draft, [], at=NOW)
    assert codes(result) == [f"needs_permission_{status}"]
    assert "grants add" in result.reasons[0].fix and "Xinhua" in result.reasons[0].fix
    allowed = gate(facts(status), draft, [grant()], at=NOW)
    assert allowed.may_publish and allowed.grant_id == 3


@pytest.mark.parametrize(
    ("lapsed", "word"),
    [
        ({"valid_to": NOW - timedelta(days=1)}, "validity"),
        ({"valid_from": NOW + timedelta(days=1)}, "validity"),
        ({"revoked_at": NOW - timedelta(days=1)}, "revoked"),
    ],
)
def test_expired_future_or_revoked_grants_do_not_count(lapsed, word) -> None:
    result = gate(facts("prohibited"), parse_draft(GOOD_HTML, "d.html"), [grant(**lapsed)], at=NOW)
    assert codes(result) == ["needs_permission_prohibited"]
    assert "#3" in result.reasons[0].message and word in result.reasons[0].message


def test_notice_quoted_in_the_grant_conditions_must_be_kept() -> None:
    conditions = 'Credit Xinhua and carry "© Xinhua 2026, used with permission".'
    draft = parse_draft(GOOD_HTML, "d.html")
    result = gate(facts("prohibited"), draft, [grant(conditions=conditions)], at=NOW)
    assert codes(result) == ["missing_notice"]
    kept = parse_draft(
        GOOD_HTML.replace("</body>", "<p>© Xinhua 2026, used with permission</p></body>")
    )
    passed = gate(facts("prohibited"), kept, [grant(conditions=conditions)], at=NOW)
    assert passed.may_publish
    assert any("conditions" in note for note in passed.notes)


def test_cc_by_needs_credit_and_the_licence_named() -> None:
    article = facts(
        "open_license",
        rights={
            "license": "CC-BY-4.0",
            "requires_link": False,
            "origin": None,
            "credit": "Jane Reporter",
            "obligations": ["credit"],
        },
        origin=None,
    )
    bare = parse_draft("Story. By Jane Reporter.", "d.txt")
    assert codes(gate(article, bare, [], at=NOW)) == ["missing_license_notice"]
    noted = parse_draft("Story. By Jane Reporter. Licensed under CC BY 4.0.", "d.txt")
    assert gate(article, noted, [], at=NOW).may_publish
    uncredited = parse_draft("Story. Licensed under CC BY 4.0.", "d.txt")
    assert codes(gate(article, uncredited, [], at=NOW)) == ["missing_credit"]


def test_public_domain_needs_nothing() -> None:
    article = facts(
        "public_domain", rights={"license": "CC0-1.0", "requires_link": False, "obligations": []}
    )
    assert gate(article, parse_draft("Anything at all.", "d.txt"), [], at=NOW).may_publish


def test_unknown_rights_need_review_or_a_grant() -> None:
    article = facts(
        "unknown",
        rights={"requires_link": False, "obligations": [], "origin": None},
        origin=None,
        original_url=None,
    )
    draft = parse_draft("Story text.", "d.txt")
    assert codes(gate(article, draft, [], at=NOW)) == ["needs_permission_unknown"]
    article.review_state = "cleared"
    assert gate(article, draft, [], at=NOW).may_publish


@pytest.mark.parametrize("state", ["cleared", "reuse_with_attribution", "permission_granted"])
def test_a_review_decision_overrides_the_machine_verdict(state: str) -> None:
    article = facts("prohibited", review_state=state)
    result = gate(article, parse_draft(GOOD_HTML, "d.html"), [], at=NOW)
    assert result.may_publish and any(state in note for note in result.notes)
    # …but the credit and the link are still required.
    assert codes(gate(article, parse_draft("Story.", "d.txt"), [], at=NOW)) == [
        "missing_credit",
        "missing_link",
    ]


def test_editor_decision_do_not_reuse_blocks() -> None:
    result = gate(facts(review_state="do_not_reuse"), parse_draft(GOOD_HTML, "d.html"), [], at=NOW)
    assert codes(result) == ["editor_decision"]


def test_conflicting_rights_await_legal_review() -> None:
    article = facts(rights={"conflict": True})
    assert codes(gate(article, parse_draft(GOOD_HTML, "d.html"), [], at=NOW)) == ["rights_conflict"]


def test_every_failing_requirement_is_listed() -> None:
    result = gate(facts("prohibited"), parse_draft("Story only.", "d.txt"), [], at=NOW)
    assert codes(result) == ["needs_permission_prohibited", "missing_credit", "missing_link"]
    assert all(r.fix for r in result.reasons)


def test_obligations_become_notes() -> None:
    article = facts(rights={"obligations": ["credit", "link", "no_modification", "non_commercial"]})
    result = gate(article, parse_draft(GOOD_HTML, "d.html"), [], at=NOW)
    assert result.may_publish
    assert any("unchanged" in n for n in result.notes)
    assert any("non-commercial" in n for n in result.notes)


def test_drafts_in_each_format() -> None:
    html = parse_draft(
        '<p>来源：新华社 <a href="http://a.example/x">原文</a></p><script>var u="http://evil"</script>'
    )
    assert html.format == "html" and [link.url for link in html.links] == ["http://a.example/x"]
    assert "evil" not in html.text and html.text == "来源：新华社 原文"
    md = parse_draft(
        '# Title\n\nSee [the story](http://a.example/y "t") and <http://b.example/z>.\n\n[r]: http://c.example/w\n'
    )
    assert md.format == "markdown"
    assert {link.url for link in md.links} == {
        "http://a.example/y",
        "http://b.example/z",
        "http://c.example/w",
    }
    assert "the story" in md.text and "#" not in md.text
    text = parse_draft("Plain words. 原文链接：http://www.news.cn/1.htm。")
    assert text.format == "text" and [link.url for link in text.links] == [
        "http://www.news.cn/1.htm"
    ]
    assert html.sha256 != md.sha256 and len(text.sha256) == 64
    xhtml = parse_draft(
        '<?xml version="1.0" encoding="utf-8"?><html><body><p>来源：新华社</p></body></html>'
    )
    assert xhtml.format == "html" and "来源：新华社" in xhtml.text


def test_unreadable_drafts_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DraftError, match="does not exist"):
        read_draft(tmp_path / "nope.md")
    with pytest.raises(DraftError, match="directory"):
        read_draft(tmp_path)
    (tmp_path / "empty.txt").write_text("  \n")
    with pytest.raises(DraftError, match="empty"):
        read_draft(tmp_path / "empty.txt")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(DraftError, match="binary"):
        read_draft(tmp_path / "image.png")
    (tmp_path / "gbk.txt").write_bytes(
        "来源：新华社。中欧班列累计开行突破十万列。".encode("gb18030")
    )
    assert "新华社" in read_draft(tmp_path / "gbk.txt").text
