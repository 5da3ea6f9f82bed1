"""The publisher registry: enough publishers, every alias resolves to its own publisher, bad
files are refused with file, entry and reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from brwatch.attribution import RegistryError, load_publishers
from brwatch.attribution.registry import DEFAULT_PUBLISHERS_FILE

REGISTRY = load_publishers()
ALIASES = [(p.id, name) for p in REGISTRY for name in p.names]
EXAMPLES = [(p.id, example) for p in REGISTRY for example in p.examples]
COUNTEREXAMPLES = [(p.id, text) for p in REGISTRY for text in p.counterexamples]


def test_registry_is_large_and_covers_the_wires() -> None:
    assert len(REGISTRY) >= 60
    ids = {p.id for p in REGISTRY}
    for wire in (
        "xinhua",
        "cns",
        "people_daily",
        "ap",
        "reuters",
        "afp",
        "tass",
        "ria_novosti",
        "ansa",
        "dpa",
        "yonhap",
        "kyodo",
        "anadolu",
        "bernama",
        "app",
        "efe",
    ):
        assert wire in ids
    assert sum(p.kind == "newspaper" and p.country != "CN" for p in REGISTRY) >= 10


@pytest.mark.parametrize(("publisher_id", "alias"), ALIASES)
def test_every_alias_resolves_to_its_publisher(publisher_id: str, alias: str) -> None:
    found = REGISTRY.match_name(alias)
    assert found is not None and found.id == publisher_id
    # …also inside a credit line.
    found = REGISTRY.match_name(f"Source: {alias}")
    assert found is not None and found.id == publisher_id


@pytest.mark.parametrize(("publisher_id", "example"), EXAMPLES)
def test_every_example_credit_resolves(publisher_id: str, example: str) -> None:
    found = REGISTRY.match_name(example)
    assert found is not None and found.id == publisher_id


@pytest.mark.parametrize(("publisher_id", "text"), COUNTEREXAMPLES)
def test_no_counterexample_resolves_to_its_publisher(publisher_id: str, text: str) -> None:
    found = REGISTRY.match_name(text)
    assert found is None or found.id != publisher_id


def test_hard_names_have_counterexamples() -> None:
    assert len(COUNTEREXAMPLES) >= 15


def test_self_test_reports_nothing_for_the_bundled_file_and_catches_a_clash(tmp_path) -> None:
    assert REGISTRY.example_failures() == []
    entry = {**GOOD, "examples": ["来源：新华社"], "counterexamples": ["演示社区"]}
    path = _write(tmp_path, {"publishers": [entry]})
    failures = load_publishers(path).example_failures()
    assert len(failures) == 2
    assert "'来源：新华社' resolves to nothing" in failures[0]
    assert "counterexample '演示社区'" in failures[1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("新华社", "xinhua"),
        ("Синьхуа", "xinhua"),
        ("شينخوا", "xinhua"),
        ("XINHUA", "xinhua"),
        ("来源：中国新闻网", "cns"),
        ("据路透社报道", "reuters"),
        ("(AP) — Officials said", "ap"),
        ("Источник: ТАСС", "tass"),
        ("来源：中国网", "china_org"),
    ],
)
def test_names_in_every_script(text: str, expected: str) -> None:
    assert REGISTRY.match_name(text).id == expected  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text",
    [
        "at dawn the troops moved",
        "心潮澎湃",
        "中国网民数量",
        "APPLE earnings",
        "Japan",
        "",
        "the paper said",
    ],
)
def test_ordinary_text_names_no_publisher(text: str) -> None:
    assert REGISTRY.match_name(text) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://www.news.cn/world/2026-05/03/c_1.htm", "xinhua"),
        ("https://english.news.cn/x", "xinhua"),
        ("www.chinanews.com.cn", "cns"),
        ("https://asia.nikkei.com/a", "nikkei"),
        ("https://en.people.cn/n3/2026/0503/c90000-1.html", "people_daily"),
        ("WWW.REUTERS.COM", "reuters"),
    ],
)
def test_match_domain(url: str, expected: str) -> None:
    assert REGISTRY.match_domain(url).id == expected  # type: ignore[union-attr]


@pytest.mark.parametrize("url", ["https://notnews.cn/", "https://news.cn.evil.com/", "mailto:x"])
def test_match_domain_needs_a_label_boundary(url: str) -> None:
    assert REGISTRY.match_domain(url) is None


def test_every_publisher_owns_its_domains() -> None:
    for publisher in REGISTRY:
        for domain in publisher.domains:
            assert REGISTRY.match_domain(f"https://www.{domain}/a").id == publisher.id


def test_terms_use_rights_statuses() -> None:
    with_terms = [p for p in REGISTRY if p.terms]
    assert len(with_terms) >= 20
    assert REGISTRY.get("xinhua").terms.status == "prohibited"  # type: ignore[union-attr]


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "publishers.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True) if not isinstance(data, str) else data)
    return path


GOOD = {
    "id": "demo",
    "name": "Demo News",
    "kind": "wire",
    "country": "CN",
    "aliases": ["演示社"],
    "domains": ["demo.example.com"],
}


@pytest.mark.parametrize(
    ("entries", "reason"),
    [
        ([{**GOOD, "domains": ["https://demo.example.com/"]}], "not a domain"),
        ([{**GOOD, "kind": "blog"}], "kind"),
        ([{**GOOD, "terms": {"status": "maybe"}}], "terms.status"),
        ([{k: v for k, v in GOOD.items() if k != "aliases"}], "aliases"),
        ([{**GOOD, "colour": "red"}], "colour"),
        ([GOOD, {**GOOD, "id": "other", "domains": ["other.example.com"]}], "already names 'demo'"),
        (
            [GOOD, {**GOOD, "id": "other", "name": "Other", "aliases": ["Other"]}],
            "already belongs to 'demo'",
        ),
        ([GOOD, {**GOOD}], "used twice"),
        ([{**GOOD, "aliases": ["X"]}], "too short"),
    ],
)
def test_bad_entries_are_refused_with_file_entry_and_reason(tmp_path, entries, reason) -> None:
    path = _write(tmp_path, {"version": 1, "publishers": entries})
    with pytest.raises(RegistryError) as info:
        load_publishers(path)
    message = str(info.value)
    assert str(path) in message and reason in message
    assert "publisher" in message


@pytest.mark.parametrize("text", ["publishers: [", "- just a list", "publishers: 3"])
def test_malformed_files_are_refused(tmp_path, text) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(RegistryError, match=r"publishers\.yaml"):
        load_publishers(path)


def test_missing_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(RegistryError, match="cannot read"):
        load_publishers(tmp_path / "nope.yaml")


def test_bundled_file_is_the_default() -> None:
    assert DEFAULT_PUBLISHERS_FILE.is_file()
    assert load_publishers(DEFAULT_PUBLISHERS_FILE).get("xinhua") is not None
