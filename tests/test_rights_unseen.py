"""Verdicts that hold on text nobody labelled: the seed's notice in every layout, every part of
a notice, licences and the public domain in prose, and the fail-safe for unmatched wording."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from brwatch.document import FetchedPage, parse_document
from brwatch.document.plain import html_from_text, input_kind
from brwatch.pipeline import process_page, store_processed
from brwatch.rights import verdict_for, verdict_for_text
from brwatch.storage import Database
from brwatch.storage.models import Article
from brwatch.web.queue import flagged_clause
from tests.conftest import ROOT

SEED = ROOT.parent / "shared" / "seed" / "seetao-belt-and-road-conference.txt"
NOTICE = (
    "(This article is from the official website of Jiandao: Reproduction is not allowed "
    "without permission, otherwise it will be punished. Please indicate the link between "
    "Jiandao and the original text when reprinting.)"
)
NOTICE_ZH = (
    "（本文来自见道网官网：未经许可不得转载，否则将予以追究。转载时请注明见道网及原文链接。）"
)
STORY = (
    "Over the past decade, international scientific and technological exchanges and "
    "cooperation have been carried out under the framework of the Belt and Road, forming a "
    "scientific and technological community guided by the government, led by enterprises "
    "and promoted by the people. "
)
STORY_ZH = (
    "十年来，在共建一带一路框架下开展的国际科技交流合作，"
    "形成了政府引导、企业主导、民间促进的科技共同体。"
)


def seed_paragraphs() -> list[str]:
    return [p.strip() for p in SEED.read_text(encoding="utf-8").split("\n\n") if p.strip()]


def page_html(paragraphs: list[str], footer: str = "") -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        "<html><head><title>The First the Belt and Road Science and Technology Exchange "
        f"Conference</title></head><body><article><h1>Conference</h1>{body}</article>"
        f"<footer>{html.escape(footer)}<p>Please Login to post a comment</p></footer>"
        "</body></html>"
    )


def judged(markup: str | bytes) -> object:
    from brwatch.extract import extract_article

    doc = parse_document(markup, "https://www.seetao.com/details/1.html")
    return verdict_for(doc, extract_article(doc))


def assert_seed_verdict(verdict: object, name: str) -> None:
    assert verdict.status == "prohibited", verdict.evidence
    assert verdict.requires_link is True
    assert verdict.origin == name and verdict.credit == name
    assert {"credit", "link_to_original"} <= set(verdict.obligations)


def test_the_seed_as_copied_from_the_site_is_read_as_text(brwatch) -> None:  # type: ignore[no-untyped-def]
    assert NOTICE in SEED.read_text(encoding="utf-8")  # the last paragraph ends with it
    assert input_kind(SEED.read_bytes()) == "text"
    result = brwatch("check", str(SEED), "--json")
    assert result.returncode == 0, result
    import json

    rights = json.loads(result.stdout)["rights"]
    assert rights["status"] == "prohibited"
    assert rights["requires_link"] is True
    assert rights["origin"] == rights["credit"] == "Jiandao"
    scopes = {(e["rule_id"], e["scope"]) for e in rights["evidence"]}
    assert ("en-prohibit-reproduction", "tail") in scopes


def test_the_seed_notice_at_the_end_of_its_long_paragraph() -> None:
    paragraphs = seed_paragraphs()
    assert len(paragraphs[-2]) > 1000 and paragraphs[-2].endswith("Zhou Yingwen")
    assert_seed_verdict(judged(page_html(paragraphs[:-1])), "Jiandao")


def test_the_seed_notice_as_its_own_paragraph_and_in_the_footer() -> None:
    story = [STORY * 3, STORY * 4]
    assert_seed_verdict(judged(page_html([*story, NOTICE])), "Jiandao")
    assert_seed_verdict(judged(page_html(story, footer=NOTICE)), "Jiandao")


def test_the_seed_notice_in_chinese_in_every_layout() -> None:
    story = [STORY_ZH * 3, STORY_ZH * 6]
    for paragraphs, footer in (
        ([*story, NOTICE_ZH], ""),
        ([story[0], story[1] + NOTICE_ZH], ""),
        (story, NOTICE_ZH),
    ):
        assert_seed_verdict(judged(page_html(paragraphs, footer)), "见道网")
    plain = "\n\n".join(["见道网", *story, NOTICE_ZH]).encode()
    assert_seed_verdict(judged(html_from_text(plain)), "见道网")


def test_a_story_about_copyright_in_a_long_paragraph_is_still_prose() -> None:
    story = (
        STORY + "The court ruled on Tuesday that reproduction of the photographs without "
        "permission is prohibited under copyright law, a decision publishers welcomed. " + STORY
    )
    assert judged(page_html([STORY * 2, story, STORY * 2])).status == "unknown"


def test_every_part_of_a_notice_is_its_own_evidence_and_obligation() -> None:
    verdict = verdict_for_text(
        "Reproduction is not allowed without permission. Please indicate the link to the "
        "original when reprinting. You must retain this copyright notice. You can't edit our "
        "material. For non-commercial use only."
    )
    assert verdict.status == "prohibited" and verdict.requires_link
    rules = {e.rule_id for e in verdict.evidence}
    assert {
        "en-prohibit-reproduction",
        "en-attribution-link",
        "term-keep-notice",
        "term-no-derivatives",
        "term-non-commercial",
    } <= rules
    assert {"credit", "link_to_original", "keep_notice", "no_derivatives", "non_commercial"} <= (
        set(verdict.obligations)
    )


@pytest.mark.parametrize(
    ("text", "status", "spdx"),
    [
        ("This article is republished under a Creative Commons Attribution-NoDerivatives "
         "licence.", "open_license", "CC-BY-ND-4.0"),
        ("版权声明：本文为博主原创文章，遵循 CC 4.0 BY-SA 版权协议，"
         "转载请附上原文出处链接和本声明。", "open_license", "CC-BY-SA-4.0"),
        ("Contenu publié sous licence Creative Commons BY-NC.", "open_license", "CC-BY-NC-4.0"),
        ("LICENSED UNDER CC BY NC ND", "open_license", "CC-BY-NC-ND-4.0"),
        ("Republish our articles for free, online or in print, under Creative Commons license.",
         "open_license", None),
        ("This article is a work of the U.S. federal government and is not subject to "
         "copyright protection in the United States.", "public_domain", None),
        ("Information presented on this website is considered public information and is not "
         "copyright protected.", "public_domain", None),
        ("To the extent possible under law, the author has waived all rights: CC0",
         "public_domain", "CC0-1.0"),
    ],
)  # fmt: skip
def test_licences_and_the_public_domain_in_prose(text: str, status: str, spdx: str | None) -> None:
    verdict = verdict_for_text(text)
    assert (verdict.status, verdict.license) == (status, spdx)


def test_an_open_licence_beats_the_site_copyright_line_and_its_conditions_stay_conditions() -> None:
    verdict = judged(
        page_html(
            [STORY * 3, STORY * 2],
            footer="© 2024 Example News. Republish our articles for free under a Creative "
            "Commons Attribution-NoDerivatives 4.0 licence. Don't republish our material "
            "wholesale, or automatically. You can't edit our material.",
        )
    )
    assert (verdict.status, verdict.license) == ("open_license", "CC-BY-ND-4.0")
    assert not verdict.conflict
    assert {"no_bulk_copy", "no_derivatives"} <= set(verdict.obligations)


def test_unmatched_rights_wording_is_kept_as_evidence_and_flags_the_article(
    db: Database,
) -> None:
    footer = "Republishing our reports needs the editors' consent."
    verdict = judged(page_html([STORY * 3, STORY * 2], footer=footer))
    unmatched = [e for e in verdict.evidence if e.kind == "unmatched"]
    assert [(e.text, e.scope, e.status) for e in unmatched] == [(footer, "footer", None)]
    assert verdict.unmatched
    # It states a need for consent: an inferred prohibition of low confidence decides.
    inferred = [e for e in verdict.evidence if e.kind == "inferred"]
    assert [(e.rule_id, e.status) for e in inferred] == [("inferred.prohibited", "prohibited")]
    assert verdict.status == "prohibited" and inferred[0].confidence < 0.9
    # Rights words without a ban stay unmatched evidence only.
    other = judged(
        page_html(
            [STORY * 3], footer="Syndication of these columns is handled by our licensing partner."
        )
    )
    assert other.unmatched and other.status == "unknown"
    # A rule's finding outranks nothing here: with a rule-matched notice there is no inference.
    ruled = judged(page_html([STORY * 3], footer="Reproduction without permission is prohibited."))
    assert not ruled.unmatched and {e.kind for e in ruled.evidence} == {"notice"}
    # A photo credit or a bare "Copyright" link is not rights wording in need of a rule.
    quiet = judged(page_html([STORY * 3], footer="Copyright Information | Photo: © Reuters"))
    assert not quiet.unmatched

    fetched = FetchedPage(
        "http://news.example/a",
        page_html([STORY * 3, STORY * 2], footer=footer).encode(),
        200,
        {"content-type": "text/html; charset=utf-8"},
        datetime(2026, 12, 1, tzinfo=UTC),
        "src",
    )
    assert store_processed(db, process_page(fetched)) == "new"
    with db.session() as session:
        article = session.scalars(select(Article)).one()
        assert article.rights_status == "prohibited" and article.rights_unmatched is True
        assert session.scalars(select(Article.id).where(flagged_clause())).all() == [article.id]


def test_rules_unmatched_lists_the_most_frequent_sentences(brwatch, db_url: str) -> None:  # type: ignore[no-untyped-def]
    db = Database(db_url)
    often, once = (
        "Republishing our reports needs the editors' consent.",
        ("Syndication of these columns is handled by our licensing partner."),
    )
    for number, footer in enumerate([often, often, often, once]):
        markup = page_html([STORY * 3, f"Story number {number}. " + STORY], footer=footer)
        fetched = FetchedPage(
            f"http://news.example/{number}",
            markup.encode(),
            200,
            {"content-type": "text/html; charset=utf-8"},
            datetime(2026, 12, 1, tzinfo=UTC),
            "src",
        )
        store_processed(db, process_page(fetched))
    db.dispose()
    import json

    result = brwatch("rules", "unmatched", "--json", db=db_url)
    assert result.returncode == 0, result
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["text"], r["articles"]) for r in rows] == [(often, 3), (once, 1)]
    assert rows[0]["scopes"] == ["footer"] and rows[0]["example_url"].startswith("http://news")
    table = brwatch("rules", "unmatched", "--limit", "1", db=db_url)
    assert table.returncode == 0 and "editors' consent" in table.stdout
    assert "licensing partner" not in table.stdout


def test_empty_and_binary_input_is_refused_with_a_message(brwatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "empty.txt").write_bytes(b"  \n")
    (tmp_path / "image.bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    result = brwatch("check", "empty.txt", "image.bin", "--json")
    assert result.returncode == 1
    errors = [
        json_line["error"]
        for json_line in map(__import__("json").loads, result.stdout.splitlines())
    ]
    assert errors == ["empty input: nothing to check", "binary data: neither an HTML page nor text"]
