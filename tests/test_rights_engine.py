"""verdict_for on small pages: scopes, hard negatives, resolution, signals, hostile input."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from lxml import etree

from brwatch.document import parse_document
from brwatch.rights import verdict_for, verdict_for_text
from brwatch.rights.page import page_text

COPYRIGHT_STORY = (
    "The court ruled on Tuesday that reproduction of the photographs without permission "
    "is prohibited under copyright law, a decision publishers said would change how news "
    "is shared online. "
)
EVIDENCE_KEYS = {"rule_id", "kind", "status", "text", "scope", "start", "end", "confidence"}


def page(body: str = "", head: str = "", **kwargs) -> object:  # type: ignore[no-untyped-def]
    return parse_document(
        f"<html><head>{head}</head><body>{body}</body></html>", "https://example.org/a", **kwargs
    )


def verdict(body: str = "", head: str = "", **kwargs):  # type: ignore[no-untyped-def]
    return verdict_for(page(body, head, **kwargs))


def test_verdict_has_the_contract_shape() -> None:
    result = verdict("<p>Story.</p><footer>© 2024 Xinhua. All rights reserved.</footer>").to_dict()
    assert set(result) == {
        "status", "license", "requires_link", "credit", "origin", "obligations", "conflict",
        "evidence", "ruleset",
    }  # fmt: skip
    assert result["status"] == "permission_required"
    assert result["credit"] == "Xinhua"
    assert result["ruleset"]
    assert all(set(item) == EVIDENCE_KEYS for item in result["evidence"])
    json.dumps(result)


def test_evidence_offsets_point_into_the_page_text() -> None:
    doc = page("<p>Story.</p><footer><p>版权所有 未经授权禁止转载</p></footer>")
    result = verdict_for(doc)
    assert result.status == "prohibited"
    text = page_text(doc.tree).text
    prohibition = next(e for e in result.evidence if e.status == "prohibited")
    assert prohibition.scope == "footer"
    assert text[prohibition.start : prohibition.end] == "未经授权禁止转载"


def test_spaced_out_chinese_notice_is_read() -> None:
    assert (
        verdict("<footer>人 民 网 版 权 所 有 ， 未 经 书 面 授 权 禁 止 使 用</footer>").status
        == "prohibited"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Reproduction is not allowed without permission.",
        "未經授權，禁止轉載",
        "Перепечатка запрещена",
        "يحظر إعادة النشر دون إذن",
        "Reproduction interdite",
        "Prohibida su reproducción total o parcial.",
        "É proibida a reprodução sem autorização.",
        "Nachdruck nur mit Genehmigung des Verlags.",
        "Материалдарды рұқсатсыз көшіруге тыйым салынады.",
        "ادارے کی اجازت کے بغیر کسی مواد کو شائع کرنا منع ہے",
        "Haberlerin izinsiz kullanılması yasaktır.",
    ],
)
def test_prohibitions_in_every_language(text: str) -> None:
    assert verdict(f"<footer><p>{text}</p></footer>").status == "prohibited"


def test_article_tail_statement_beats_the_site_wide_generic_claim() -> None:
    result = verdict(
        "<article><p>" + "新闻正文。" * 40 + "</p><p>转载请注明出处及原文链接</p></article>"
        "<footer>© 2024 某网 版权所有</footer>"
    )
    assert result.status == "attribution_required"
    assert result.requires_link and {"credit", "link_to_original"} <= set(result.obligations)
    assert not result.conflict


def test_most_restrictive_explicit_statement_wins_and_disagreement_is_a_conflict() -> None:
    head = '<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">'
    result = verdict("<footer>未经授权禁止转载</footer>", head)
    assert result.status == "prohibited"
    assert result.conflict


def test_open_licence_with_matching_credit_terms_is_no_conflict() -> None:
    head = '<link rel="license" href="https://creativecommons.org/licenses/by-sa/4.0/">'
    result = verdict(
        "<p>版权声明：本文遵循 CC 4.0 BY-SA 版权协议，转载请附上原文出处链接。</p>", head
    )
    assert result.status == "open_license"
    assert result.license == "CC-BY-SA-4.0"
    assert not result.conflict
    assert result.requires_link


@pytest.mark.parametrize(
    "markup",
    [
        "<script>/*! jQuery | (c) 2015 jQuery Foundation. All rights reserved. */</script>",
        "<style>/* Copyright 2020 X. All rights reserved */</style>",
        "<template><p>版权所有 未经授权禁止转载</p></template>",
        "<!-- Copyright 2004 Nielsen. Reproduction prohibited -->",
        "<pre>Copyright (c) 2015 Foo. All rights reserved.</pre>",
        "<figure><img src=a.jpg><figcaption>© Reuters. All rights reserved.</figcaption></figure>",
        "<p>图片来源：东方IC 版权作品 请勿转载</p>",
        '<div class="cookie-banner">We use cookies. Reproduction of cookies is prohibited.</div>',
        '<div class="share-bar">Share this article</div>',
        "<p>Reprinted with permission from The Guardian. © 2024 Guardian News.</p>",
        "<p>© Reuters</p>",
        "<p>Map data ©2024 Google</p>",
        "<p>凡本网注明“来源：XXX（非新浪网）”的作品，均转载自其它媒体，转载目的在于传递更多信息，并不代表本网赞同其观点。</p>",
        "<p>" + COPYRIGHT_STORY * 3 + "</p>",
        "<p>Licensed under the MIT License. Permission is hereby granted, free of charge.</p>",
    ],
)
def test_hard_negatives_do_not_restrict_the_page(markup: str) -> None:
    result = verdict("<article><p>An ordinary story about trade.</p>" + markup + "</article>")
    assert result.status == "unknown", result.to_dict()


def test_photo_credit_inside_the_footer_credits_block_is_the_site_notice() -> None:
    result = verdict(
        '<footer><div class="credits">© 2024 UOL. Todos os direitos reservados.</div></footer>'
    )
    assert result.status == "permission_required"


@pytest.mark.parametrize(
    ("head", "credit"),
    [
        ('<meta name="copyright" content="© 2024 China Daily">', "China Daily"),
        ('<meta name="DC.rights" content="Xinhua News Agency">', "Xinhua News Agency"),
        ('<meta name="dcterms.rights" content="人民网版权所有">', "人民网"),
    ],
)
def test_meta_copyright_claims(head: str, credit: str) -> None:
    result = verdict("<p>Story.</p>", head)
    assert result.status == "permission_required"
    assert result.credit == credit
    assert result.evidence[0].scope == "meta"


@pytest.mark.parametrize(
    ("href", "status", "spdx"),
    [
        ("https://creativecommons.org/licenses/by-nc-nd/4.0/", "open_license", "CC-BY-NC-ND-4.0"),
        ("http://creativecommons.org/licenses/by-sa/3.0/de/", "open_license", "CC-BY-SA-3.0-DE"),
        ("https://creativecommons.org/publicdomain/zero/1.0/", "public_domain", "CC0-1.0"),
        ("https://creativecommons.org/publicdomain/mark/1.0/", "public_domain", "CC-PDM-1.0"),
    ],
)
def test_rel_license_links(href: str, status: str, spdx: str) -> None:
    result = verdict(f'<p>Text</p><a rel="license" href="{href}">licence</a>')
    assert (result.status, result.license) == (status, spdx)
    assert result.evidence[0].kind == "rel_license"


def test_json_ld_rights_properties() -> None:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "copyrightHolder": {"@type": "Organization", "name": "Kazinform"},
        "creditText": "Kazinform",
        "isAccessibleForFree": False,
        "image": {"@type": "ImageObject", "license": "https://example.org/photo-terms"},
    }
    result = verdict(
        "<p>Story</p>", f'<script type="application/ld+json">{json.dumps(data)}</script>'
    )
    assert result.status == "open_license" and result.license == "CC-BY-4.0"
    kinds = {e.kind for e in result.evidence}
    assert {
        "jsonld_license",
        "jsonld_copyright_holder",
        "jsonld_credit_text",
        "jsonld_paywalled",
    } <= kinds
    assert "paywalled" in result.obligations
    # The picture's own licence is not the article's.
    assert not any("photo-terms" in e.text for e in result.evidence)


def test_microdata_license() -> None:
    body = (
        '<div itemscope itemtype="https://schema.org/Article"><span itemprop="headline">T</span>'
        '<link itemprop="license" href="https://creativecommons.org/licenses/by-nd/4.0/"></div>'
    )
    result = verdict(body)
    assert result.license == "CC-BY-ND-4.0"


def test_tdm_and_robots_signals_are_obligations() -> None:
    head = (
        '<meta name="tdm-reservation" content="1"><meta name="robots" content="index, noarchive">'
    )
    result = verdict(
        "<p>Story</p>", head, headers={"X-Robots-Tag": "nosnippet", "tdm-reservation": "1"}
    )
    assert result.status == "unknown"
    assert {"no_tdm", "no_archive", "no_snippet"} <= set(result.obligations)
    assert {"meta", "header"} <= {e.scope for e in result.evidence}


def test_feed_rights_from_the_argument_and_from_hints() -> None:
    assert (
        verdict_for(page("<p>x</p>"), feed_rights="© 2024 TASS. All rights reserved").status
        == "permission_required"
    )
    doc = page("<p>x</p>", hints={"feed_rights": "Перепечатка запрещена"})
    result = verdict_for(doc)
    assert result.status == "prohibited"
    assert result.evidence[0].scope == "feed"


@pytest.mark.parametrize(
    ("body", "origin"),
    [
        ("<p>来源：新华社</p><p>正文</p>", "新华社"),
        ("<p>新华社北京3月5日电（记者张三）正文。</p>", "新华社"),
        ("<p>LONDON (Reuters) - Oil prices rose on Monday.</p>", "Reuters"),
        ("<p>МОСКВА, 1 января. /ТАСС/. Президент России заявил.</p>", "ТАСС"),
        ("<p>المصدر: وكالة الأنباء السعودية</p>", "وكالة الأنباء السعودية"),
        ("<p>Source: Xinhua</p>", "Xinhua"),
    ],
)
def test_origin_claims(body: str, origin: str) -> None:
    result = verdict(body)
    assert result.origin == origin
    assert "credit_origin" in result.obligations


def test_article_text_places_notices_in_body_or_tail() -> None:
    story = "Trade grew strongly this year across the region. " * 20
    doc = page(f"<div><p>{story}</p><p>Please credit the source when using this content.</p></div>")
    article = SimpleNamespace(text=story + "\nPlease credit the source when using this content.")
    result = verdict_for(doc, article)
    assert result.status == "attribution_required"
    assert result.evidence[0].scope == "tail"


def test_text_only_verdicts() -> None:
    assert verdict_for_text("禁止商业转载，非商业转载请注明出处").status == "attribution_required"
    assert verdict_for_text("").status == "unknown"


@pytest.mark.parametrize(
    "body", [b"", b"\x00\xff\xfe garbage", b"<html><body></body></html>", b"<<<>>>"]
)
def test_empty_or_broken_pages_are_unknown(body: bytes) -> None:
    assert verdict_for(parse_document(body, "")).status == "unknown"


def test_a_20_mb_page_is_answered() -> None:
    paragraph = (
        "<p>Trade news of the day, in a short paragraph.</p><p>版权所有 未经授权禁止转载</p>\n"
    )
    body = ("<html><body>" + paragraph * (20_000_000 // len(paragraph)) + "</body></html>").encode()
    result = verdict_for(parse_document(body, ""))
    assert result.status == "prohibited"
    assert len(result.evidence) < 200


def test_a_1_mb_line_without_breaks_is_answered() -> None:
    body = ("<html><body><p>" + "a(" * 500_000 + "© 2024 X" + "</p></body></html>").encode()
    result = verdict_for(parse_document(body, ""))
    assert result.status in ("permission_required", "unknown")
    assert verdict_for_text("x" * 1_000_000 + " 禁止转载").status == "prohibited"


def test_thousands_of_signals_are_capped() -> None:
    links = "".join(f'<a rel="license" href="https://example.org/t/{i}">t</a>' for i in range(5000))
    metas = "".join(f'<meta name="copyright" content="Holder {i}">' for i in range(5000))
    result = verdict(links, metas)
    assert result.status == "permission_required"
    assert len(result.evidence) <= 100


def test_cc_rel_in_rdfa() -> None:
    body = (
        '<div xmlns:cc="http://creativecommons.org/ns#"><p>Story</p>'
        '<span property="cc:license" resource="http://creativecommons.org/licenses/by-nc/3.0/"></span></div>'
    )
    result = verdict(body)
    assert (result.status, result.license) == ("open_license", "CC-BY-NC-3.0")


def test_license_in_a_link_header() -> None:
    header = (
        '<https://example.org/a>; rel="canonical", '
        '<https://creativecommons.org/licenses/by/4.0/>; rel="license"'
    )
    result = verdict("<p>Story</p>", headers={"Link": header})
    assert (result.status, result.license) == ("open_license", "CC-BY-4.0")
    assert result.evidence[0].scope == "header"


def test_text_nodes_found_walking_back_match_the_positional_query(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Footer hits are located by a walk back from the end of <body>; every node it returns is
    the one the positional XPath would, past comments, scripts, styles and tails."""
    import brwatch.rights.page as page_module

    doc = page(
        "<div>lead <b>bold</b> tail<!-- note --> after comment</div>"
        "<script>var x = '© 2024';</script><style>p{}</style>"
        "<footer><p>© 2024 Example <a>Media</a>. All rights reserved.</p>"
        "<span>one</span><span>two</span> last words</footer>"
    )
    text = page_text(doc.tree)
    offsets = [
        text.text.index(word) for word in ("lead", "tail", "after", "Media", ". All", "last")
    ]
    walked = text.nodes_at(offsets)
    monkeypatch.setattr(page_module, "_BACKWARD_WALK_NODES", -1)  # positional query only
    queried = page_text(doc.tree).nodes_at(offsets)
    assert walked == queried
    assert [(element.tag, is_tail) for element, is_tail in walked] == [
        ("div", False), ("b", True), (etree.Comment, True), ("a", False), ("a", True),
        ("span", True),
    ]  # fmt: skip


def test_script_and_style_text_is_never_page_text_but_their_tails_are() -> None:
    doc = parse_document(
        "<html><head><script>var inHead = 1;</script></head><body>"
        "<p>Story<script>var notice = '版权所有';</script>未经授权禁止转载</p>"
        "<style>p::after { content: '© 2024 X'; }</style><div>Tail</div></body></html>",
        "",
    )
    text = page_text(doc.tree)
    assert text.strings == ["Story", "未经授权禁止转载", "Tail"]
    # The lines still lead back to their nodes: the second is the script's tail.
    (node,) = text.nodes_at([text.text.index("未经")])
    assert (node[0].tag, node[1]) == ("script", True)
    assert verdict_for(doc).status == "prohibited"
