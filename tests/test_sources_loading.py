"""The sources file loader: valid files load, every kind of bad file is refused with file, line,
source and field named."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from brwatch.sources import (
    Source,
    SourcesError,
    default_sources_path,
    load_sources,
    make_trigger,
    parse_schedule,
    resolve_sources_path,
)

GOOD = """\
sources:
  - name: seetao
    title: Seetao (见道网)
    lang: en
    start_urls: [https://www.seetao.com/list/220.html]
    allow: ['/details/\\d+\\.html$']
    deny: ['/details/0\\.html$']
    schedule: "*/30 * * * *"
    delay: 2
  - name: feed-only
    lang: [zh, en]
    feeds: [http://127.0.0.2:8080/rss.xml]
    schedule: every 6h
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(SourcesError) as caught:
        load_sources(write(tmp_path, text))
    return caught.value.problems


def test_a_good_file_loads_with_defaults_and_parsed_schedules(tmp_path: Path) -> None:
    seetao, feed_only = load_sources(write(tmp_path, GOOD))
    assert seetao.name == "seetao" and seetao.display_title == "Seetao (见道网)"
    assert seetao.lang == ["en"]  # a single language is accepted as a string
    assert seetao.delay == 2
    assert seetao.trigger_spec == (
        "cron",
        {
            "minute": "*/30",
            "hour": "*",
            "day": "*",
            "month": "*",
            "day_of_week": "*",
        },
    )
    assert seetao.entry_points == [("start_url", "https://www.seetao.com/list/220.html")]
    assert feed_only.title is None and feed_only.display_title == "feed-only"
    assert feed_only.lang == ["zh", "en"]
    assert feed_only.trigger_spec == ("interval", 6 * 3600)
    assert feed_only.delay is None and feed_only.allow == [] and feed_only.sitemaps == []


def test_allow_and_deny_decide_which_links_are_followed(tmp_path: Path) -> None:
    seetao, feed_only = load_sources(write(tmp_path, GOOD))
    assert seetao.allows("https://www.seetao.com/details/276749.html")
    assert not seetao.allows("https://www.seetao.com/list/220.html")  # no allow pattern matches
    assert not seetao.allows("https://www.seetao.com/details/0.html")  # denied
    assert seetao.denies("https://www.seetao.com/details/0.html")
    assert not seetao.denies("https://www.seetao.com/list/220.html")  # not allowed, not denied
    assert feed_only.allows("http://anything.example/x")  # no allow patterns: everything


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("every 30s", ("interval", 30)),
        ("every 15m", ("interval", 900)),
        ("every 2h", ("interval", 7200)),
        ("every 1d", ("interval", 86400)),
        ("EVERY 6H", ("interval", 21600)),
        (
            "0 9 * * *",
            ("cron", {"minute": "0", "hour": "9", "day": "*", "month": "*", "day_of_week": "*"}),
        ),
    ],
)
def test_schedules_parse(text: str, expected: tuple[str, object]) -> None:
    assert parse_schedule(text) == expected


def test_numeric_weekdays_keep_their_crontab_meaning() -> None:
    # APScheduler 3 counts weekdays from Monday; crontab from Sunday. "1-5" must stay Mon-Fri.
    assert parse_schedule("0 9 * * 1-5").value["day_of_week"] == "mon,tue,wed,thu,fri"
    assert parse_schedule("0 9 * * 0").value["day_of_week"] == "sun"
    assert parse_schedule("0 9 * * 7").value["day_of_week"] == "sun"
    assert parse_schedule("0 9 * * 6,0").value["day_of_week"] == "sat,sun"
    assert parse_schedule("0 9 * * */2").value["day_of_week"] == "sun,tue,thu,sat"
    assert parse_schedule("0 9 * * mon-fri").value["day_of_week"] == "mon-fri"


def test_triggers_are_built_from_the_parsed_schedule() -> None:
    cron = make_trigger(parse_schedule("0 9 * * 1"))
    assert isinstance(cron, CronTrigger)
    # 2026-11-30 is a Monday: the next 09:00 Monday after Sunday 2026-11-29 is that day.
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert cron.get_next_fire_time(None, now) == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    interval = make_trigger(parse_schedule("every 6h"))
    assert isinstance(interval, IntervalTrigger) and interval.interval.total_seconds() == 21600


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("every 0h", "longer than zero"),
        ("every 6 weeks", "every <number><s|m|h|d>"),
        ("*/30 * * *", "5-field cron line"),
        ("61 * * * *", "higher than the maximum"),
        ("* * * * 8", "bad weekday"),
        ("hourly", "5-field cron line"),
    ],
)
def test_bad_schedules_say_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        parse_schedule(text)


def test_every_problem_is_reported_with_file_line_source_and_field(tmp_path: Path) -> None:
    text = """\
sources:
  - name: fine
    feeds: [https://example.org/rss.xml]
  - name: xinhua-en
    start_urls: [https://english.news.cn/list/latestnews.htm]
    allow: ['^ok$', '(unclosed']
    schedule: every 6 weeks
    colour: red
  - name: Bad Name
    feeds: [ftp://example.org/feed]
    delay: -1
  - title: no name here
    feeds: [https://example.org/a.xml]
  - name: no-entry-points
    lang: en
  - name: fine
    sitemaps: [https://example.org/robots.txt]
  - name: bad-lang
    lang: [en, English]
    feeds: [https://example.org/b.xml]
"""
    problems = problems_of(tmp_path, text)
    label = str(tmp_path / "sources.yaml")
    expected_starts = [
        f"{label}:6: source 'xinhua-en' (#2): allow[1]: invalid regex '(unclosed'",
        f"{label}:7: source 'xinhua-en' (#2): schedule: bad interval 'every 6 weeks'",
        f"{label}:8: source 'xinhua-en' (#2): colour: unknown key",
        f"{label}:9: source 'Bad Name' (#3): name: 'Bad Name' is not a slug",
        f"{label}:10: source 'Bad Name' (#3): feeds[0]: 'ftp://example.org/feed' is not an http(s)",
        f"{label}:11: source 'Bad Name' (#3): delay: Input should be greater than or equal to 0",
        f"{label}:12: source #4: name: required",
        f"{label}:14: source 'no-entry-points' (#5): needs at least one of start_urls, feeds,",
        f"{label}:16: source 'fine' (#6): name: duplicate name 'fine' (first used by #1)",
        f"{label}:19: source 'bad-lang' (#7): lang[1]: 'English' is not a language code",
    ]
    assert len(problems) == len(expected_starts), problems
    for start in expected_starts:
        assert any(problem.startswith(start) for problem in problems), (start, problems)


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    text = "sources:\n  - name: a\n    feeds: [https://example.org/rss.xml\n  - name: b\n"
    (problem,) = problems_of(tmp_path, text)
    assert problem.startswith(f"{tmp_path / 'sources.yaml'}:4:")
    assert "malformed YAML" in problem


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "expected a mapping with a 'sources:' list"),
        ("- name: a\n", "expected a mapping with a 'sources:' list"),
        ("sources: []\n", "the 'sources' list is empty"),
        ("sources: {name: a}\n", "'sources' must be a list"),
        ("source:\n  - name: a\n", "unknown top-level key 'source'"),
        ("sources:\n  - just-a-string\n", "source #1: must be a mapping"),
    ],
)
def test_wrong_shapes_are_refused(tmp_path: Path, text: str, reason: str) -> None:
    problems = problems_of(tmp_path, text)
    assert any(reason in problem for problem in problems), problems


def test_an_unreadable_file_is_a_sources_error(tmp_path: Path) -> None:
    with pytest.raises(SourcesError, match="cannot read the sources file"):
        load_sources(tmp_path / "missing.yaml")
    (tmp_path / "latin1.yaml").write_bytes(b"sources:\n  - name: caf\xe9\n")
    with pytest.raises(SourcesError, match="cannot read the sources file"):
        load_sources(tmp_path / "latin1.yaml")


def test_path_resolution_option_then_environment_then_bundled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BRWATCH_SOURCES", raising=False)
    assert resolve_sources_path(None) == default_sources_path()
    assert default_sources_path().name == "sources.yaml" and default_sources_path().is_file()
    env_file = write(tmp_path, GOOD)
    monkeypatch.setenv("BRWATCH_SOURCES", str(env_file))
    assert resolve_sources_path(None) == env_file
    assert [s.name for s in load_sources()] == ["seetao", "feed-only"]
    assert resolve_sources_path("other.yaml") == Path("other.yaml")


def test_sources_are_immutable(tmp_path: Path) -> None:
    (source, _) = load_sources(write(tmp_path, GOOD))
    assert isinstance(source, Source)
    with pytest.raises(ValueError, match="frozen"):
        source.name = "other"  # type: ignore[misc]


def test_a_bad_list_item_names_its_own_line(tmp_path: Path) -> None:
    text = """\
sources:
  - name: xinhua-en
    start_urls:
      - https://english.news.cn/list/latestnews.htm
      - english.news.cn/world/index.htm
    allow:
      - '^https?://english\\.news\\.cn/20\\d{6}/[0-9a-f]{32}/c\\.html$'
      - '[unclosed'
"""
    problems = problems_of(tmp_path, text)
    label = str(tmp_path / "sources.yaml")
    assert problems == [
        f"{label}:5: source 'xinhua-en' (#1): start_urls[1]: 'english.news.cn/world/index.htm' "
        "is not an http(s) URL with a host",
        f"{label}:8: source 'xinhua-en' (#1): allow[1]: invalid regex '[unclosed': "
        "unterminated character set at position 0",
    ]


def test_a_repeated_key_is_refused_rather_than_silently_overridden(tmp_path: Path) -> None:
    text = """\
sources:
  - name: dawn
    feeds: [https://www.dawn.com/feeds/home]
    allow: ['^https?://www\\.dawn\\.com/news/\\d+']
    allow: ['.*']
"""
    (problem,) = problems_of(tmp_path, text)
    assert problem == (
        f"{tmp_path / 'sources.yaml'}:5: source 'dawn' (#1): allow: repeated key (first on line 4)"
    )
