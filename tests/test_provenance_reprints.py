"""Finding syndicated copies (Chinese and English, with small edits) and linking them to the
original: the claimed origin's own page when stored, else the earliest published copy."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from brwatch.provenance import (
    ReprintIndex,
    combine_rights,
    copies_of,
    effective_rights,
    link_reprints,
    shingles,
    signature,
)
from brwatch.storage.models import Article, Fingerprint

ZH = (
    "新华社北京5月3日电 国家主席今天在人民大会堂同来访的哈萨克斯坦总统举行会谈。两国元首一致同意，"
    "深化共建“一带一路”合作，推动中欧班列高质量发展，扩大能源、交通、农业和数字经济领域务实合作。"
    "会谈后，两国元首共同见证了经贸、互联互通、科技创新等领域十余项合作文件的签署。双方还发表了联合声明，"
    "表示将加强发展战略对接，携手构建更加紧密的命运共同体。"
)
ZH_COPY = (
    ZH.replace("今天", "3日").replace("十余项", "13项").replace("携手", "共同")
    + "（责任编辑：李明）"
)
ZH_OTHER = (
    "中新网5月4日电 记者从国家铁路集团获悉，"
    "今年前四个月中欧班列累计开行五千余列，发送货物五十余万标箱，"
    "同比分别增长百分之十和百分之十二。西部陆海新通道班列运输也保持快速增长，服务网络覆盖更多国家和地区，"
    "为稳定国际产业链供应链发挥了重要作用。"
)
EN = (
    "Kazakhstan and China agreed on Friday to expand freight rail links under the Belt and Road "
    "Initiative, with new container terminals planned at the Khorgos gateway and a second "
    "railway crossing to open next year. Officials said the number of China-Europe freight "
    "trains passing through Kazakh territory rose by a fifth last year, and that both sides "
    "would simplify customs procedures to cut waiting times at the border."
)
EN_COPY = (
    EN.replace("on Friday", "this week").replace("a fifth", "20 percent") + " (Editing by Jane Doe)"
)
EN_OTHER = (
    "Pakistan's planning ministry said on Monday that work on the Gwadar port expansion is "
    "behind schedule because of funding delays, and that the new airport will open only after "
    "the power plant serving the free zone is finished, according to a statement."
)


def _article(session, url: str, text: str, published: str | None, **fields):  # type: ignore[no-untyped-def]
    article = Article(
        canonical_url=url,
        url=url,
        source=fields.pop("source", url.split("/")[2]),
        text=text,
        published=datetime.fromisoformat(published).replace(tzinfo=UTC) if published else None,
        **fields,
    )
    session.add(article)
    session.flush()
    return article.id


def _reprint_of(db) -> dict[int, int | None]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return {a.id: a.reprint_of_id for a in session.query(Article)}


def test_chinese_uses_character_shingles_and_english_word_shingles() -> None:
    assert "新华社北" in shingles("新华社北京5月3日电")
    assert "china and kazakhstan" in shingles("China and Kazakhstan agreed")
    assert signature("太短了") is None  # too short to call anything a copy of it


def test_small_edits_keep_copies_similar_and_other_stories_apart() -> None:
    zh, zh_copy, zh_other = signature(ZH), signature(ZH_COPY), signature(ZH_OTHER)
    en, en_copy, en_other = signature(EN), signature(EN_COPY), signature(EN_OTHER)
    assert zh.jaccard(zh_copy) >= 0.5 and zh.jaccard(zh_other) < 0.2
    assert en.jaccard(en_copy) >= 0.5 and en.jaccard(en_other) < 0.2


def test_chinese_copies_link_to_the_claimed_origins_own_page(db) -> None:
    with db.session() as s:
        # The copies were published (and stored) before the origin's own page.
        copy1 = _article(
            s,
            "https://www.chinanews.com.cn/gn/1.shtml",
            ZH_COPY,
            "2026-05-03T10:00",
            origin="新华社",
        )
        copy2 = _article(
            s,
            "https://www.example-portal.cn/a/2.html",
            ZH_COPY + "更多报道请关注。",
            "2026-05-03T11:00",
            origin="新华网",
        )
        other = _article(s, "https://www.chinanews.com.cn/cj/3.shtml", ZH_OTHER, "2026-05-04T09:00")
        original = _article(
            s, "http://www.news.cn/politics/2026-05/03/c_1.htm", ZH, "2026-05-03T12:00"
        )
    index = ReprintIndex()
    assert link_reprints(db, copy1, index) is None  # alone so far
    assert link_reprints(db, copy2, index) == copy1  # earliest copy stands in for now
    assert link_reprints(db, other, index) is None
    assert link_reprints(db, original, index) is None  # it is the original
    assert _reprint_of(db) == {copy1: original, copy2: original, other: None, original: None}


def test_english_copies_link_to_the_earliest_and_relink_when_an_earlier_one_arrives(db) -> None:
    with db.session() as s:
        later = _article(s, "https://www.dawn.example.com/news/1", EN_COPY, "2026-05-03T15:00")
        middle = _article(s, "https://astana.example.kz/a/2", EN, "2026-05-03T12:00")
        unrelated = _article(s, "https://astana.example.kz/a/3", EN_OTHER, "2026-05-03T13:00")
    index = ReprintIndex()
    for article_id in (later, middle, unrelated):
        link_reprints(db, article_id, index)
    assert _reprint_of(db) == {later: middle, middle: None, unrelated: None}
    with db.session() as s:
        earliest = _article(
            s, "https://wire.example.org/story", EN + " More follows.", "2026-05-03T09:00"
        )
    assert link_reprints(db, earliest, index) is None
    assert _reprint_of(db) == {later: earliest, middle: earliest, unrelated: None, earliest: None}


def test_fingerprints_are_stored_and_an_index_rebuilds_from_them(db) -> None:
    with db.session() as s:
        first = _article(s, "https://a.example.com/1", EN, "2026-05-01T00:00")
        second = _article(s, "https://b.example.com/1", EN_COPY, "2026-05-02T00:00")
    link_reprints(db, first, ReprintIndex())
    with db.session() as s:
        assert s.get(Fingerprint, first) is not None
    # A fresh process: its index is rebuilt from the table and still finds the original.
    assert link_reprints(db, second, ReprintIndex.from_database(db)) == first
    rebuilt = ReprintIndex.from_database(db)
    assert len(rebuilt) == 2 and first in rebuilt and second in rebuilt


def test_deleted_articles_drop_out_of_the_index(db) -> None:
    with db.session() as s:
        gone = _article(s, "https://a.example.com/gone", EN, "2026-05-01T00:00")
        kept = _article(s, "https://b.example.com/kept", EN_COPY, "2026-05-02T00:00")
    index = ReprintIndex()
    link_reprints(db, gone, index)
    with db.session() as s:
        s.delete(s.get(Article, gone))
    assert link_reprints(db, kept, index) is None
    assert gone not in index


def test_copies_lists_the_cluster_original_first(db) -> None:
    with db.session() as s:
        a = _article(s, "https://a.example.com/1", EN_COPY, "2026-05-02T00:00")
        b = _article(s, "https://b.example.com/1", EN, "2026-05-01T00:00")
        _article(s, "https://c.example.com/1", EN_OTHER, "2026-05-01T00:00")
    index = ReprintIndex()
    link_reprints(db, a, index)
    link_reprints(db, b, index)
    copies = copies_of(db, a, index)
    assert [(c.article_id, c.is_original) for c in copies] == [(b, True), (a, False)]


def test_copies_command(db, db_url, brwatch) -> None:
    with db.session() as s:
        a = _article(s, "https://a.example.com/1", ZH_COPY, "2026-05-02T00:00", origin="新华社")
        b = _article(s, "http://www.news.cn/1.htm", ZH, "2026-05-03T00:00")
    index = ReprintIndex()
    link_reprints(db, a, index)
    link_reprints(db, b, index)
    done = brwatch("copies", "https://a.example.com/1", "--json", db=db_url)
    assert done.returncode == 0, done
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(x["url"], x["original"]) for x in lines] == [
        ("http://www.news.cn/1.htm", True),
        ("https://a.example.com/1", False),
    ]
    # The export carries the link (DESIGN.md `reprint_of`).
    exported = brwatch("export", "--all", "--json", db=db_url)
    assert exported.returncode == 0, exported
    reprint_of = {
        line["url"]: line["reprint_of"] for line in map(json.loads, exported.stdout.splitlines())
    }
    assert reprint_of == {
        "https://a.example.com/1": "http://www.news.cn/1.htm",
        "http://www.news.cn/1.htm": None,
    }
    missing = brwatch("copies", "https://nowhere.example.com/", db=db_url)
    assert missing.returncode == 2 and "not a stored article" in " ".join(missing.stderr.split())


@pytest.mark.parametrize(
    ("own", "original", "expected"),
    [
        ("attribution_required", "prohibited", "prohibited"),
        ("prohibited", "open_license", "prohibited"),
        ("unknown", "open_license", "open_license"),
        ("unknown", "unknown", "unknown"),
        ("open_license", "permission_required", "permission_required"),
    ],
)
def test_the_stricter_rights_win(own: str, original: str, expected: str) -> None:
    merged = combine_rights(
        {"status": own, "evidence": [{"rule_id": "a"}], "obligations": ["credit"]},
        {
            "status": original,
            "evidence": [{"rule_id": "b"}],
            "obligations": ["link"],
            "requires_link": True,
        },
        {"article_id": 1},
    )
    assert merged["status"] == expected
    assert merged["obligations"] == ["credit", "link"] and merged["requires_link"] is True
    assert [e["rule_id"] for e in merged["evidence"]] == ["a", "b"]
    assert merged["evidence"][1]["inherited"] is True


def test_a_reprint_carries_its_originals_rights(db) -> None:
    with db.session() as s:
        copy = _article(
            s,
            "https://a.example.com/1",
            EN_COPY,
            "2026-05-02T00:00",
            rights={"status": "attribution_required", "evidence": []},
        )
        original = _article(
            s,
            "https://b.example.com/1",
            EN,
            "2026-05-01T00:00",
            rights={"status": "prohibited", "evidence": []},
        )
    index = ReprintIndex()
    link_reprints(db, copy, index)
    link_reprints(db, original, index)
    rights = effective_rights(db, copy)
    assert rights["status"] == "prohibited"
    assert rights["inherited"][0]["article_id"] == original


def test_the_credited_publishers_terms_apply(db) -> None:
    with db.session() as s:
        article = _article(
            s,
            "https://a.example.com/1",
            EN,
            None,
            origin="Xinhua",
            rights={"status": "attribution_required", "evidence": []},
        )
    rights = effective_rights(db, article)
    assert rights["status"] == "prohibited"  # Xinhua's registered terms
    assert rights["inherited"][0]["publisher"] == "xinhua"


def test_the_table_overrules_a_stale_in_memory_index(db) -> None:
    with db.session() as s:
        first = _article(s, "https://a.example.com/1", EN, "2026-05-01T00:00")
        second = _article(s, "https://b.example.com/1", EN_COPY, "2026-05-02T00:00")
    index = ReprintIndex()
    link_reprints(db, first, index)
    # Another process rewrites the first article into a different story.
    with db.session() as s:
        s.get(Article, first).text = EN_OTHER
    link_reprints(db, first, ReprintIndex())
    # This process's index still holds the old signature of `first`, and must not trust it.
    assert link_reprints(db, second, index) is None
    assert _reprint_of(db) == {first: None, second: None}


def test_find_article_tolerates_how_the_url_is_written(db) -> None:
    from brwatch.provenance import find_article

    with db.session() as s:
        wanted = _article(s, "https://www.news.example.cn/a/1.htm", EN, None)
        _article(s, "https://www.news.example.cn/a/2.htm", EN_OTHER, None)
    with db.session() as s:
        for spelling in (
            "https://www.news.example.cn/a/1.htm",
            "http://news.example.cn/a/1.htm/",
            "http://www.news.example.cn/a/1.htm",
        ):
            assert find_article(s, spelling).id == wanted
        assert find_article(s, "https://www.news.example.cn/a/3.htm") is None


def test_refresh_adds_only_what_other_processes_stored(db) -> None:
    from brwatch.provenance import save_fingerprint

    with db.session() as s:
        first = _article(s, "https://a.example.com/1", EN, None)
        second = _article(s, "https://b.example.com/1", EN_COPY, None)
    index = ReprintIndex()
    link_reprints(db, first, index)
    loaded = ReprintIndex.from_database(db)
    assert first in loaded and loaded.refresh(db) == 0  # nothing new: nothing re-added
    save_fingerprint(db, second, signature(EN_COPY))  # another process stores a fingerprint
    assert loaded.refresh(db) == 1 and second in loaded


def test_copies_of_a_former_original_follow_it_even_when_not_similar_themselves(db) -> None:
    # A translation linked to its original by hand shares no shingles with the new earliest
    # copy; it must still follow the cluster's original when that changes.
    with db.session() as s:
        former = _article(s, "https://a.example.com/1", EN, "2026-05-02T00:00")
        translated = _article(s, "https://b.example.com/1", EN_OTHER, "2026-05-03T00:00")
        s.get(Article, translated).reprint_of_id = former  # type: ignore[union-attr]
        earliest = _article(s, "https://c.example.com/1", EN_COPY, "2026-05-01T00:00")
    index = ReprintIndex()
    link_reprints(db, former, index)
    assert _reprint_of(db)[translated] == former
    assert link_reprints(db, earliest, index) is None
    assert _reprint_of(db) == {former: earliest, translated: earliest, earliest: None}
