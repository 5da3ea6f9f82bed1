"""Topic relevance: every example in rules/topics.yaml, scoring rules, and file validation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from brwatch.extract import ExtractedArticle
from brwatch.relevance import (
    DEFAULT_TOPICS_FILE,
    TopicsError,
    example_problems,
    load_vocabulary,
    score_text,
    score_topic,
)

VOCABULARY = load_vocabulary()


@pytest.mark.parametrize("example", VOCABULARY.examples, ids=lambda example: example.id)
def test_vocabulary_example(example) -> None:
    result = score_text(example.title, example.text, vocabulary=VOCABULARY)
    assert result.relevant is example.relevant, result
    for phrase in example.matches:
        assert phrase in result.matches


def test_vocabulary_covers_required_languages() -> None:
    languages = {term.lang for term in VOCABULARY.terms.values()}
    assert {"zh", "en", "ru", "fr", "es", "ar", "pt"} <= languages
    assert len([e for e in VOCABULARY.examples if e.relevant]) >= 10
    assert len([e for e in VOCABULARY.examples if not e.relevant]) >= 8


def test_score_topic_reads_title_description_and_text() -> None:
    article = ExtractedArticle(title="Port opens", text="A new port opened.", description="")
    assert score_topic(article).relevant is False
    assert score_topic(article).score == 0.0
    article.description = "The port is a flagship project of the Belt and Road Initiative."
    article.text += " It is part of the Belt and Road."
    scored = score_topic(article)
    assert scored.relevant is True
    assert 0.5 <= scored.score < 1.0
    assert scored.matches == ["Belt and Road"]


def test_title_weighs_more_than_body() -> None:
    in_title = score_text("Belt and Road lending", "Loans fell.")
    in_body = score_text("Loans fell", "Belt and Road lending fell.")
    assert in_title.score > in_body.score > 0


def test_single_passing_mention_is_not_enough() -> None:
    long_story = "The minister spoke about tariffs and farming. " * 40
    scored = score_text("Farm tariffs debated", long_story + "He also mentioned the BRI in China.")
    assert scored.relevant is False
    assert scored.matches == ["BRI"]


def test_repeated_mentions_are_capped() -> None:
    capped = score_text("", "一带一路。" * 3)
    more = score_text("", "一带一路。" * 30)
    assert capped.score == more.score


def test_full_width_text_is_normalised() -> None:
    assert score_text("ＢＲＩ ｐｒｏｊｅｃｔｓ in Ｃｈｉｎａ", "").matches == ["BRI"]


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "topics.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _valid() -> dict:
    return yaml.safe_load(DEFAULT_TOPICS_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["terms"][0].update(weight="heavy"), "zh.yidaiyilu: 'weight' must be a number"),
        (lambda d: d["terms"][1].update(id="zh.yidaiyilu"), "zh.yidaiyilu: duplicate id"),
        (lambda d: d["terms"][0].update(phrases=[]), "zh.yidaiyilu: 'phrases' must be a non-empty"),
        (lambda d: d["terms"][0].update(lang="Chinese"), "'lang' must be an ISO 639-1 code"),
        (lambda d: d["terms"][0].update(regex=".*"), "zh.yidaiyilu: unknown keys ['regex']"),
        (lambda d: d["negatives"][0].update(suppresses=["nope"]), "unknown terms ['nope']"),
        (lambda d: d.pop("threshold"), "threshold: 'threshold' must be a number"),
        (lambda d: d.update(colour="blue"), "colour: unknown top-level key"),
        (lambda d: d["terms"][0].pop("id"), "terms[0]: missing 'id'"),
        (lambda d: d["terms"].insert(0, "BRI"), "terms[0]: must be a mapping"),
        (lambda d: d["examples"][0].update(title="", text=""), "needs a 'title' and/or 'text'"),
        (lambda d: d["fields"].update(body=2), "fields: must map some of"),
        (lambda d: d.update(repeat_cap=0), "'repeat_cap' must be a positive integer, got 0"),
        (lambda d: d.update(context=[""]), "context: must be a list of phrases"),
        (lambda d: d.update(terms=[]), "terms: must be a list of entries"),
    ],
)
def test_bad_vocabulary_is_refused_with_file_entry_and_reason(tmp_path, change, message) -> None:
    data = _valid()
    change(data)
    path = _write(tmp_path, data)
    with pytest.raises(TopicsError) as error:
        load_vocabulary(path)
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_unreadable_and_malformed_files(tmp_path) -> None:
    with pytest.raises(TopicsError, match="cannot read"):
        load_vocabulary(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("terms: [\n", encoding="utf-8")
    with pytest.raises(TopicsError, match="not valid YAML"):
        load_vocabulary(broken)


def test_whole_words_for_latin_and_cyrillic_anywhere_for_cjk_and_arabic() -> None:
    assert score_text("BRIGHT ideas from China", "").matches == []
    assert score_text("China's BRI", "").matches == ["BRI"]
    assert score_text("Пояс и путьевой", "").matches == []
    assert score_text("共建一带一路倡议", "").matches == ["一带一路"]
    assert score_text("لمبادرة الحزام والطريق", "").matches == ["الحزام والطريق"]


def test_dashes_and_no_break_spaces_between_words() -> None:
    assert score_text("Belt\u2013and\u2013Road", "").matches == ["Belt\u2013and\u2013Road"]
    assert score_text("China\u2013Pakistan Economic\u00a0Corridor", "").relevant


def test_example_problems_reports_a_failing_example(tmp_path) -> None:
    assert example_problems(VOCABULARY) == []
    data = _valid()
    data["counterexamples"].append({"id": "cx.bad", "title": "一带一路", "text": ""})
    problems = example_problems(load_vocabulary(_write(tmp_path, data)))
    assert len(problems) == 1 and "cx.bad: counterexample scored" in problems[0]


def test_one_passing_mention_in_the_text_is_not_enough_two_are() -> None:
    story = "Officials discussed the budget, hospitals and the new school year at length. " * 20
    once = score_text("Budget debate", story + "The minister also mentioned 一带一路.")
    twice = score_text("Budget debate", story + "一带一路 came up, and 一带一路 again later.")
    assert once.matches == ["一带一路"] and not once.relevant
    assert twice.relevant
