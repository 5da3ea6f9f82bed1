"""A small web of invented news sites on loopback, with its ground truth, for the end-to-end
test (tests/test_newsweb_e2e.py) and the benchmark (benchmarks/newsweb.py).

- **Silk Road Herald** (English): an RSS feed of the newest stories and paginated section pages
  linked "Next", named in the sources entry's ``allow`` like the articles. No title in the
  sources file: the site's name is learned from its pages. Reprints need credit and a link.
- **丝路经济网** (Chinese, GBK): a plain sitemap only. "转载请注明出处". No sources title either.
- **Open Corridor Review**: an RSS feed; every story under CC BY 4.0.
- **Eurasia Wire**: a news sitemap of stories in English, Russian, Spanish and French; all rights
  reserved.
- **Belt Road Digest**: an aggregator reprinting the others, each copy crediting its origin
  ("Source: Silk Road Herald", "来源：丝路经济网") with a good link, none, a dead one, or one to a
  third site; every page of it claims ``og:site_name`` "Silk Road Herald" (a spoof that must
  not re-key the Herald). Its Chinese copies carry the original's publication time exactly.

Texts are drawn from seeded word lists, so no two stories are near-duplicates except a copy and
its original.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from tests.sites import Page, Site

XML = {"Content-Type": "application/xml; charset=utf-8"}
GBK = {"Content-Type": "text/html; charset=gbk"}
HOSTS = {
    "herald": "127.0.0.91",
    "silkecon": "127.0.0.92",
    "corridor": "127.0.0.93",
    "eurasia": "127.0.0.94",
    "digest": "127.0.0.95",
}
OUTCOMES = ("ok", "missing", "broken", "wrong_target")
_START = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


def _words(text: str) -> list[str]:
    return text.split()


_EN = _words(
    "railway port corridor freight terminal logistics customs tariff investment financing bank "
    "loan partner ministry minister summit agreement signed memorandum cooperation connectivity "
    "energy pipeline solar wind grid power plant bridge highway tunnel airport shipping container "
    "trade export import grain cotton steel cement textile digital cable satellite payment yuan "
    "dollar budget contract tender engineer worker training school hospital water dam irrigation "
    "border crossing caravan route station depot warehouse zone industrial park factory assembly"
)
_ZH = _words(
    "中欧班列 港口 铁路 物流 口岸 通关 投资 融资 银行 贷款 合作 协议 签署 备忘录 "
    "互联互通 能源 管道 光伏 风电 电网 电站 桥梁 公路 隧道 机场 航运 集装箱 贸易 "
    "出口 进口 粮食 棉花 钢铁 水泥 纺织 数字 卫星 支付 人民币 预算 合同 招标 "
    "工程师 工人 培训 学校 医院 水利 大坝 灌溉 边境 站点 仓库 园区 工厂"
)
_RU = _words(
    "железная дорога порт коридор грузы терминал логистика таможня инвестиции банк кредит "
    "партнёр министерство соглашение сотрудничество энергия трубопровод мост шоссе туннель "
    "аэропорт контейнер торговля экспорт импорт зерно хлопок сталь цифровой спутник платёж"
)
_ES = _words(
    "ferrocarril puerto corredor carga terminal logística aduana inversión banco préstamo socio "
    "ministerio acuerdo cooperación energía oleoducto puente carretera túnel aeropuerto "
    "contenedor comercio exportación importación grano algodón acero digital satélite pago"
)
_FR = _words(
    "chemin de fer port corridor fret terminal logistique douane investissement banque prêt "
    "partenaire ministère accord coopération énergie oléoduc pont autoroute tunnel aéroport "
    "conteneur commerce exportation importation céréales coton acier numérique satellite"
)
_TOPIC = {
    "en": "the Belt and Road Initiative",
    "zh": "一带一路倡议",
    "ru": "инициатива «Пояс и путь»",
    "es": "la Franja y la Ruta",
    "fr": "les Nouvelles routes de la soie",
}


def _paragraphs(rng: random.Random, lang: str, count: int = 6) -> list[str]:
    words = {"en": _EN, "zh": _ZH, "ru": _RU, "es": _ES, "fr": _FR}[lang]
    joiner = "" if lang == "zh" else " "
    stop = "。" if lang == "zh" else "."
    paragraphs = []
    for _ in range(count):
        sentence = joiner.join(rng.choice(words) for _ in range(rng.randint(18, 26)))
        paragraphs.append(f"{_TOPIC[lang]}{'，' if lang == 'zh' else ': '}{sentence}{stop}")
    return paragraphs


@dataclass
class Story:
    site: str
    path: str
    title: str
    lang: str
    published: datetime
    paragraphs: list[str]
    status: str  # the rights status of the original page


@dataclass
class Truth:
    """What a perfect crawl and check would store."""

    articles: set[str] = field(default_factory=set)  # every article URL of every site
    lang: dict[str, str] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)  # own rights status of originals
    attribution: dict[str, str] = field(default_factory=dict)  # copy URL -> outcome
    reprint_of: dict[str, str | None] = field(default_factory=dict)  # copied-story URL -> original
    inherited: dict[str, str] = field(default_factory=dict)  # copy URL -> original URL


@dataclass
class NewsWeb:
    sites: dict[str, Site]
    truth: Truth
    sources: list[dict[str, Any]]


def _html(
    title: str,
    site_title: str,
    body: str,
    *,
    lang: str,
    published: datetime | None,
    separator: str = " - ",
    head: str = "",
    charset: str = "utf-8",
    footer: str | None = None,
) -> str:
    date = (
        f"<meta property='article:published_time' content='{published.isoformat()}'>"
        if published
        else ""
    )
    return (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='{charset}'>{date}{head}"
        f"<title>{escape(title)}{separator}{escape(site_title)}</title></head><body>"
        f"<header><a class='logo' href='/'>{escape(site_title)}</a>"
        "<nav><a href='/'>Home</a></nav></header>"
        f"<article><h1>{escape(title)}</h1>{body}</article>"
        f"<footer>{escape(footer or f'© 2026 {site_title}')}</footer></body></html>"
    )


def _rss(site: Site, paths: list[str]) -> Page:
    items = "".join(f"<item><link>{site.url(p)}</link></item>" for p in paths)
    return Page(f"<?xml version='1.0'?><rss><channel>{items}</channel></rss>", headers=XML)


def _section(paths: list[str], titles: list[str], next_path: str | None, number: int) -> str:
    items = "".join(
        f"<li><a href='{p}'>{escape(t)}</a></li>" for p, t in zip(paths, titles, strict=True)
    )
    more = f"<p><a href='{next_path}'>Next</a></p>" if next_path else ""
    return (
        f"<html><head><title>World, page {number} - Silk Road Herald</title></head><body>"
        "<header><a class='logo' href='/'>Silk Road Herald</a></header>"
        f"<h1>World</h1><ul>{items}</ul>{more}<footer>© 2026 Silk Road Herald</footer>"
        "</body></html>"
    )


def build(
    sites: dict[str, Site],
    *,
    herald: int = 45,
    silkecon: int = 20,
    corridor: int = 10,
    eurasia: int = 12,
    copies: int = 24,
    seed: int = 12,
) -> NewsWeb:
    """Fill the started ``sites`` (keys of HOSTS) with pages; the web's truth and sources."""
    rng = random.Random(seed)
    truth = Truth()
    stories: dict[str, list[Story]] = {name: [] for name in HOSTS}

    def add(site: str, path: str, title: str, lang: str, published: datetime, status: str) -> None:
        story = Story(site, path, title, lang, published, _paragraphs(rng, lang), status)
        stories[site].append(story)
        url = sites[site].url(story.path)
        truth.articles.add(url)
        truth.lang[url] = story.lang
        truth.status[url] = story.status

    # Silk Road Herald: RSS (newest 10) and sections of 10, linked "Next".
    for n in range(herald):
        add(
            "herald",
            f"/news/{1000 + n}.html",
            f"Corridor report {n}: {' '.join(rng.sample(_EN, 3))}",
            "en",
            _START + timedelta(hours=3 * n),
            "attribution_required",
        )
    herald_site = sites["herald"]
    newest = list(reversed(stories["herald"]))
    for story in newest:
        notice = (
            "<p class='notice'>Republishing is welcome with credit to Silk Road Herald and a "
            "link to the original article.</p>"
        )
        body = "".join(f"<p>{escape(p)}</p>" for p in story.paragraphs) + notice
        herald_site.pages[story.path] = Page(
            _html(story.title, "Silk Road Herald", body, lang="en", published=story.published)
        )
    herald_site.pages["/rss.xml"] = _rss(herald_site, [s.path for s in newest[:10]])
    pages = [newest[i : i + 10] for i in range(0, len(newest), 10)]
    for number, chunk in enumerate(pages, start=1):
        following = f"/list/{number + 1}.html" if number < len(pages) else None
        herald_site.pages[f"/list/{number}.html"] = Page(
            _section([s.path for s in chunk], [s.title for s in chunk], following, number)
        )

    # 丝路经济网: GBK pages, a sitemap only.
    for n in range(silkecon):
        add(
            "silkecon",
            f"/zh/2026/{200 + n}.html",
            f"{''.join(rng.sample(_ZH, 3))}新进展{n}",
            "zh",
            _START + timedelta(hours=5 * n, minutes=30),
            "attribution_required",
        )
    zh_site = sites["silkecon"]
    for story in stories["silkecon"]:
        body = "".join(f"<p>{p}</p>" for p in story.paragraphs) + "<p>转载请注明出处。</p>"
        html = _html(
            story.title,
            "丝路经济网",
            body,
            lang="zh-CN",
            published=story.published,
            separator="_",
            charset="gbk",
            footer="版权所有：丝路经济网",
        ).replace("Home", "首页")
        zh_site.pages[story.path] = Page(html.encode("gbk"), headers=GBK)
    urls = "".join(f"<url><loc>{zh_site.url(s.path)}</loc></url>" for s in stories["silkecon"])
    zh_site.pages["/sitemap.xml"] = Page(
        f"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>",
        headers=XML,
    )

    # Open Corridor Review: CC BY 4.0, RSS.
    for n in range(corridor):
        add(
            "corridor",
            f"/story/{n}",
            f"Open corridor analysis {n}: {' '.join(rng.sample(_EN, 2))}",
            "en",
            _START + timedelta(hours=7 * n, minutes=10),
            "open_license",
        )
    cc_site = sites["corridor"]
    licence = (
        "<p>This article is licensed under <a rel='license' "
        "href='https://creativecommons.org/licenses/by/4.0/'>CC BY 4.0</a>.</p>"
    )
    for story in stories["corridor"]:
        body = "".join(f"<p>{escape(p)}</p>" for p in story.paragraphs) + licence
        head = "<meta property='og:site_name' content='Open Corridor Review'>"
        cc_site.pages[story.path] = Page(
            _html(
                story.title,
                "Open Corridor Review",
                body,
                lang="en",
                published=story.published,
                head=head,
            )
        )
    cc_site.pages["/feed.xml"] = _rss(cc_site, [s.path for s in stories["corridor"]])

    # Eurasia Wire: a multilingual news sitemap.
    languages = ("en", "ru", "es", "fr")
    for n in range(eurasia):
        lang = languages[n % len(languages)]
        add(
            "eurasia",
            f"/{lang}/wire-{n}.html",
            f"{' '.join(rng.sample({'en': _EN, 'ru': _RU, 'es': _ES, 'fr': _FR}[lang], 4))}",
            lang,
            _START + timedelta(hours=4 * n, minutes=20),
            "permission_required",
        )
    wire = sites["eurasia"]
    entries = []
    for story in stories["eurasia"]:
        body = "".join(f"<p>{escape(p)}</p>" for p in story.paragraphs)
        body += "<p>© 2026 Eurasia Wire. All rights reserved.</p>"
        wire.pages[story.path] = Page(
            _html(story.title, "Eurasia Wire", body, lang=story.lang, published=story.published)
        )
        entries.append(
            f"<url><loc>{wire.url(story.path)}</loc><news:news><news:publication>"
            f"<news:name>Eurasia Wire</news:name><news:language>{story.lang}</news:language>"
            f"</news:publication><news:publication_date>{story.published.isoformat()}"
            f"</news:publication_date><news:title>{escape(story.title)}</news:title>"
            "</news:news></url>"
        )
    wire.pages["/news-sitemap.xml"] = Page(
        "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9' "
        "xmlns:news='http://www.google.com/schemas/sitemap-news/0.9'>"
        f"{''.join(entries)}</urlset>",
        headers=XML,
    )

    # Belt Road Digest: copies, each crediting its origin; links good, missing, dead, wrong.
    digest = sites["digest"]
    originals = [
        *(("herald", s) for s in stories["herald"][: copies // 2]),
        *(("silkecon", s) for s in stories["silkecon"][: copies // 3]),
    ]
    originals += [("corridor", s) for s in stories["corridor"][: copies - len(originals)]]
    credit = {
        "herald": "Source: Silk Road Herald",
        "silkecon": "来源：丝路经济网",
        "corridor": "Source: Open Corridor Review",
    }
    wrong_site = wire.url(stories["eurasia"][0].path) if stories["eurasia"] else cc_site.url("/")
    copy_paths = []
    for k, (site_name, story) in enumerate(originals):
        outcome = OUTCOMES[k % len(OUTCOMES)]
        origin_site = sites[site_name]
        original_url = origin_site.url(story.path)
        link = {
            "ok": original_url,
            "missing": None,
            "broken": origin_site.url(f"/gone/{k}.html"),
            "wrong_target": wrong_site,
        }[outcome]
        name = credit[site_name].split("：")[-1].removeprefix("Source: ")
        linked = f" <a href='{link}'>{escape(name)}</a>" if link else ""
        body = "".join(f"<p>{escape(p)}</p>" for p in story.paragraphs)
        body += f"<p class='source'>{escape(credit[site_name])}{linked}</p>"
        # Chinese copies carry the original's time to the second (the tie of the issue).
        published = story.published + (timedelta(0) if story.lang == "zh" else timedelta(hours=2))
        path = f"/copy/{k}.html"
        digest.pages[path] = Page(
            _html(
                story.title,
                "Belt Road Digest",
                body,
                lang=story.lang,
                published=published,
                separator=" | ",
                head="<meta property='og:site_name' content='Silk Road Herald'>",
            )
        )
        url = digest.url(path)
        copy_paths.append(path)
        truth.articles.add(url)
        truth.lang[url] = story.lang
        truth.attribution[url] = outcome
        truth.reprint_of[url] = original_url
        truth.reprint_of[original_url] = None
        truth.inherited[url] = original_url
    digest.pages["/feed.xml"] = _rss(digest, copy_paths)

    sources = [
        {
            "name": "herald",
            "lang": "en",
            "start_urls": [herald_site.url("/list/1.html")],
            "feeds": [herald_site.url("/rss.xml")],
            "allow": [r"/news/\d+\.html$", r"/list/\d+\.html$"],
        },
        {"name": "silkecon", "lang": "zh", "sitemaps": [zh_site.url("/sitemap.xml")]},
        {
            "name": "corridor",
            "title": "Open Corridor Review",
            "feeds": [cc_site.url("/feed.xml")],
        },
        {
            "name": "eurasia",
            "title": "Eurasia Wire",
            "lang": list(languages),
            "sitemaps": [wire.url("/news-sitemap.xml")],
        },
        {"name": "digest", "title": "Belt Road Digest", "feeds": [digest.url("/feed.xml")]},
    ]
    return NewsWeb(sites, truth, sources)


def start(hosts: dict[str, str] | None = None) -> dict[str, Site]:
    """The five sites, started on their loopback hosts and empty; stop them with ``stop``."""
    return {name: Site(host).start() for name, host in (hosts or HOSTS).items()}


def stop(sites: dict[str, Site]) -> None:
    for site in sites.values():
        site.stop()


def _key(url: str | None) -> str | None:
    return url.rstrip("/") if url else None


def score(db_url: str, truth: Truth) -> dict[str, Any]:
    """Coverage, language, attribution outcome, reprint_of and inherited status, each as a
    share of what the truth expects, with the misses."""
    from sqlalchemy import select

    from brwatch.storage import Database
    from brwatch.storage.models import Article

    db = Database(db_url)
    try:
        with db.session() as session:
            rows = {
                a.url: (a.id, a.lang, a.attribution_link, a.reprint_of_id, a.reuse_rights)
                for a in session.scalars(select(Article))
            }
    finally:
        db.dispose()
    url_of = {row[0]: url for url, row in rows.items()}
    misses: dict[str, list[Any]] = {
        "coverage": [],
        "lang": [],
        "attribution": [],
        "reprint_of": [],
        "inherited": [],
    }
    for url in sorted(truth.articles):
        if url not in rows:
            misses["coverage"].append(url)
        elif (rows[url][1] or "") != truth.lang[url]:
            misses["lang"].append((url, rows[url][1], truth.lang[url]))
    for url, expected in sorted(truth.attribution.items()):
        got = rows[url][2] if url in rows else None
        if got != expected:
            misses["attribution"].append((url, got, expected))
    for url, expected in sorted(truth.reprint_of.items()):
        got = url_of.get(rows[url][3]) if url in rows and rows[url][3] else None
        if _key(got) != _key(expected):
            misses["reprint_of"].append((url, got, expected))
    for url, original in sorted(truth.inherited.items()):
        inherited = ((rows.get(url) or (None,) * 5)[4] or {}).get("inherited") or []
        if not any(_key(part.get("url")) == _key(original) for part in inherited):
            misses["inherited"].append((url, original))
    totals = {
        "coverage": len(truth.articles),
        "lang": len(truth.articles),
        "attribution": len(truth.attribution),
        "reprint_of": len(truth.reprint_of),
        "inherited": len(truth.inherited),
    }
    scores = {
        name: round(1 - len(misses[name]) / total, 4) if total else 1.0
        for name, total in totals.items()
    }
    return {"scores": scores, "totals": totals, "misses": misses}
