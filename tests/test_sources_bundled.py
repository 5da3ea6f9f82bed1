"""The bundled crawler/sources.yaml: valid, broad, cited, and its allow
patterns accept the article URLs the research found for each site
(../shared/SOURCES-RESEARCH.md) and refuse section fronts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from brwatch.sources import Source, default_sources_path, load_sources, make_trigger

# Article URLs quoted in SOURCES-RESEARCH.md, per source name of the bundled file.
RESEARCH_ARTICLES: dict[str, list[str]] = {
    "seetao": [
        "https://www.seetao.com/details/276749.html",
        "https://www.seetao.com/details/266061.html",
        "https://www.seetao.com/m_details/12379.html",
    ],
    "xinhua-en": [
        "https://english.news.cn/20260917/62224fd5e67a441dbc2c97717c9c2942/c.html",
        "https://english.news.cn/20260609/9e32edbd6ad94d4e8d6a42441cf14d1b/c.html",
        "https://english.news.cn/20230115/98a3b5c41af641938a2a205f1e0b9f71/c.html",
    ],
    "xinhua-zh": [
        "https://www.news.cn/politics/20260310/b24bd46099eb457e88133d2cb10fc638/c.html",
        "https://www.news.cn/politics/20260812/4c2c72e299ef4561915d2e507393a81f/c.html",
        "http://www.news.cn/fortune/2023-11/17/c_1129981476.htm",
    ],
    "xinhua-fr": [
        "https://french.news.cn/20240622/9ec9efc2f35145559b62136ea98268b6/c.html",
        "https://french.news.cn/2022-04/18/c_1310563300.htm",
    ],
    "imsilkroad": ["https://www.imsilkroad.com/news/p/480044.html"],
    "yidaiyilu-zh": [
        "https://www.yidaiyilu.gov.cn/p/0ODODQPQ.html",
        "https://www.yidaiyilu.gov.cn/p/027R5MHO.html",
        "https://www.yidaiyilu.gov.cn/p/245298.html",
    ],
    "yidaiyilu-en": [
        "https://eng.yidaiyilu.gov.cn/p/0O3RTJ32.html",
        "https://eng.yidaiyilu.gov.cn/p/160558.html",
    ],
    "chinadaily-en": [
        "https://www.chinadaily.com.cn/a/202609/10/WS6aa250dfe4b06d4aa055d572.html",
        "https://global.chinadaily.com.cn/a/202609/10/WS6aa2625ce4b06d4aa055d5ea.html",
        "https://www.chinadaily.com.cn/a/202405/13/WS664167f4a31082fc043c6af7.html",
    ],
    "cgtn-en": [
        "https://news.cgtn.com/news/2026-06-14/China-unveils-AI-world-model-that-understands-physical-world-1NYmex0KQlG/p.html",
        "https://news.cgtn.com/news/2026-03-09/Bahrain-s-oil-company-Bapco-declares-force-majeure-following-explosion-1Lnkq6SzqY8/p.html",
        "https://news.cgtn.com/news/2026-09-09/VHJhbnNjcmlwdDkyMzM4/index.html",
        "https://news.cgtn.com/news/3d3d514f79416a4d31457a6333566d54/index.html",
    ],
    "china-org-cn": [
        "http://www.china.org.cn/china/2025-03/28/content_117792218.htm",
        "http://www.china.org.cn/opinion/2022-10/21/content_78478030.htm",
    ],
    "ecns": [
        "http://www.ecns.cn/cns-wire/2026-07-20/detail-ihfhkrtk6181675.shtml",
        "https://www.ecns.cn/cns-wire/2026-06-18/detail-ihffptmh9488055.shtml",
        "http://www.ecns.cn/news/economy/2024-11-18/detail-ihekectp0358339.shtml",
    ],
    "people-en": ["http://en.people.cn/n3/2022/1123/c90000-10175286.html"],
    "people-zh": [
        "http://world.people.com.cn/n1/2025/0820/c1002-40546429.html",
        "http://politics.people.com.cn/n1/2024/0424/c1001-40223222.html",
    ],
    "globaltimes": [
        "https://www.globaltimes.cn/page/202609/1370760.shtml",
        "https://www.globaltimes.cn/page/202605/1362322.shtml",
        "https://www.globaltimes.cn/content/1200050.shtml",
    ],
    "chinanews": [
        "https://www.chinanews.com.cn/gj/2026/04-19/10606399.shtml",
        "https://www.chinanews.com.cn/gj/2026/10-08/10709383.shtml",
    ],
    "caixin-global": [
        "https://www.caixinglobal.com/2026-07-29/moonshot-open-sources-kimi-k3-as-us-china-ai-tensions-intensify-102468927.html",
        "https://www.caixinglobal.com/2026-07-03/unitree-robotics-wins-approval-for-618-million-star-market-ipo-102460136.html",
    ],
    "scmp": [
        "https://www.scmp.com/economy/china-economy/article/3354380/chinas-vast-new-canal-link-southeast-asia-set-open-earlier-expected",
        "https://www.scmp.com/news/world/article/3349833/hormuz-oil-crisis-hits-china-family-dentists-5-weekend-reads-you-missed",
        # as the feeds link them (research §18: feed links carry ?utm_source=rss_feed)
        "https://www.scmp.com/economy/china-economy/article/3354380/chinas-vast-new-canal-link-southeast-asia-set-open-earlier-expected?utm_source=rss_feed",
    ],
    "qazinform-en": [
        "https://qazinform.com/news/scam-claims-and-backlash-hit-kazakhstans-ai-unicorn-higgsfield-b311a7",
        "https://qazinform.com/news/strong-regions-strong-country-how-three-new-regions-in-kazakhstan-emerge_a4017987",
    ],
    "kazinform-ru": [
        "https://www.inform.kz/ru/v-kazahstane-razrabotayut-standart-dlya-traditsionnoy-meditsini-b9921a",
        "https://www.inform.kz/ru/polnost-yu-obespechit-region-myasom-pticy-namereny-v-sko_a3725092",
    ],
    "dawn": [
        "https://www.dawn.com/news/1925419/pak-india-cricket-veteran-match-cancelled-after-indian-players-pull-out-of-game",
        "https://www.dawn.com/news/1969386",
    ],
    "app-pakistan": [
        "https://www.app.com.pk/national/uzbekistans-media-delegation-explores-pakistans-diplomatic-media-landscape/",
    ],
    "thestar-my": [
        "https://www.thestar.com.my/news/nation/2026/05/18/kuching-urban-transportation-system-to-start-pilot-run-in-q4",
        "https://www.thestar.com.my/news/nation/2026/09/06/malaysia-airlines-cancels-12-jakarta-flights-after-anak-krakatau-eruption",
    ],
    "tass-en": ["https://tass.com/world/1929037", "https://tass.com/world/1809373"],
    "ria": [
        "https://ria.ru/20260317/iran-2081087907.html",
        "https://ria.ru/20260626/moshennichestvo-2101179333.html",
    ],
    "sputnik-zh": ["https://sputniknews.cn/20260805/1072640842.html"],
    "thediplomat": [
        "https://thediplomat.com/2026/03/gulf-war-3-0-how-is-india-securing-its-oil-supplies/",
        "https://thediplomat.com/2026/01/chinas-taiwan-drills-are-crossing-a-new-line/",
    ],
}

# Sources whose research section gives a pattern but no observed article URL (inferred patterns,
# or a China Daily edition sharing the English pattern); they are checked for validity only.
WITHOUT_OBSERVED_EXAMPLES = {"xinhua-ar", "chinadaily-zh", "tass-ru"}

# Pages the research says are not articles and must not be stored as such (section fronts,
# the People's Daily "About" page, feeds, other sites).
NOT_ARTICLES: dict[str, list[str]] = {
    "xinhua-en": [
        "https://english.news.cn/world/index.htm",
        "https://english.news.cn/list/latestnews.htm",
        "https://english.news.cn/silkroad/index.html",
    ],
    "xinhua-zh": ["http://www.news.cn/world/index.html", "https://www.news.cn/sitemap.xml"],
    "people-en": ["http://en.people.cn/n3/2022/1123/c90000-9716018.html"],
    "chinadaily-en": ["https://www.chinadaily.com.cn/world/page_40.html"],
    "app-pakistan": ["https://www.app.com.pk/category/business/feed/"],
    "dawn": ["https://www.dawn.com/feeds/home", "https://www.dawn.com/trends/coronavirus"],
    "tass-en": ["https://tass.com/search"],
    "seetao": ["https://www.seetao.com/details/276749.html.evil.example/"],
}


@pytest.fixture(scope="module")
def bundled() -> dict[str, Source]:
    return {source.name: source for source in load_sources(default_sources_path())}


def test_the_bundled_file_is_valid_and_broad(bundled: dict[str, Source]) -> None:
    assert len(bundled) >= 20
    languages = {lang for source in bundled.values() for lang in source.lang}
    assert {"zh", "en", "ru", "fr", "ar"} <= languages
    for must_have in (
        "seetao",
        "xinhua-en",
        "xinhua-zh",
        "yidaiyilu-zh",
        "chinadaily-en",
        "cgtn-en",
        "china-org-cn",
        "ecns",
        "people-en",
        "globaltimes",
        "dawn",
    ):
        assert must_have in bundled
    for source in bundled.values():
        assert source.allow, f"{source.name}: no allow pattern, the crawl would follow everything"
        assert source.schedule and source.trigger_spec is not None
        assert source.delay is not None and source.delay >= 1


def test_every_schedule_builds_a_trigger_that_fires(bundled: dict[str, Source]) -> None:
    now = datetime.now(UTC)  # interval triggers count from their creation
    for source in bundled.values():
        assert source.trigger_spec is not None
        trigger = make_trigger(source.trigger_spec)
        next_fire = trigger.get_next_fire_time(None, now)
        latest = now + timedelta(hours=6, minutes=1)  # the longest bundled schedule: every 6h
        assert next_fire is not None and now <= next_fire <= latest, source.name


def test_every_research_article_url_is_followed(bundled: dict[str, Source]) -> None:
    for name, urls in RESEARCH_ARTICLES.items():
        for url in urls:
            assert bundled[name].allows(url), f"{name}: allow patterns refuse {url}"


def test_every_source_has_research_examples_unless_none_were_observed(
    bundled: dict[str, Source],
) -> None:
    assert set(bundled) == set(RESEARCH_ARTICLES) | WITHOUT_OBSERVED_EXAMPLES


def test_section_fronts_and_other_pages_are_not_followed(bundled: dict[str, Source]) -> None:
    for name, urls in NOT_ARTICLES.items():
        for url in urls:
            assert not bundled[name].allows(url), f"{name}: allow patterns accept {url}"


def test_no_dead_feed_named_by_the_research_is_used(bundled: dict[str, Source]) -> None:
    dead = [  # research "Cross-site findings" 1 and the per-site feed entries marked dead/stale
        "english.news.cn/rss/",
        "xinhuanet.com/english/rss/",
        "chinadaily.com.cn/rss/",
        "en.people.cn/rss/",
        "globaltimes.cn/rss/",
        "china.org.cn/rss/",
        "french.news.cn/rss/",
        "www.people.com.cn",  # Crawl-delay: 120
    ]
    for source in bundled.values():
        for _kind, url in source.entry_points:
            assert not any(marker in url for marker in dead), f"{source.name}: {url}"


def test_each_source_cites_its_research_section() -> None:
    text = default_sources_path().read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=  # §)", text.split("\nsources:\n", 1)[1])
    cited: dict[str, str] = {}
    for block in blocks:
        names = re.findall(r"^  - name: (\S+)$", block, flags=re.MULTILINE)
        section = re.match(r"\s*# (§\d+)", block)
        assert len(names) == 1 and section, block[:200]
        cited[names[0]] = section.group(1)
    assert set(cited) == {source.name for source in load_sources(default_sources_path())}
    assert cited["seetao"] == "§1" and cited["dawn"] == "§21"
