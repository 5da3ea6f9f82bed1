"""Every rights rule's examples and counterexamples (one case per rule); the loader's refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from brwatch.rights import RulesError, load_ruleset, ruleset_version
from brwatch.rights.rules import Rule, default_ruleset, spread_cjk
from brwatch.rights.selftest import rule_problems

RULESET = default_ruleset()


@pytest.mark.parametrize("rule", [c.rule for c in RULESET.rules], ids=lambda rule: rule.id)
def test_rule_examples(rule) -> None:  # type: ignore[no-untyped-def]
    assert rule_problems(RULESET, rule) == []


def test_rules_cover_the_required_languages() -> None:
    languages = {lang for c in RULESET.rules for lang in c.rule.languages}
    assert {"zh", "en", "ru", "ar", "fr", "es", "pt", "de", "kk", "ur", "tr"} <= languages


def test_ruleset_version_is_short_and_stable() -> None:
    assert ruleset_version() == ruleset_version() == RULESET.version
    assert 8 <= len(RULESET.version) <= 16


def test_ruleset_version_changes_with_the_rules(tmp_path: Path) -> None:
    for source in RULESET.files:
        (tmp_path / source.name).write_bytes(source.read_bytes())
    assert load_ruleset(tmp_path).version == RULESET.version
    edited = tmp_path / RULESET.files[0].name
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert load_ruleset(tmp_path).version != RULESET.version


def test_cjk_characters_may_be_spaced_out() -> None:
    assert spread_cjk("版权所有") != "版权所有"
    assert spread_cjk("abc") == "abc"


GOOD_RULE = """
- id: test-good
  title: A good rule
  languages: [en]
  status: prohibited
  patterns: ['do not copy']
  examples: [{text: do not copy}]
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (GOOD_RULE.replace("status: prohibited", "status: forbidden"), "status"),
        (GOOD_RULE.replace("['do not copy']", "['(unclosed']"), "not valid RE2"),
        (GOOD_RULE.replace("  examples: [{text: do not copy}]\n", ""), "examples"),
        (GOOD_RULE.replace("  status: prohibited\n", ""), "needs a status"),
        (GOOD_RULE + "  colour: red\n", "colour"),
        (GOOD_RULE.replace("languages: [en]", "languages: [en]\n  captures: [credit]"), "capture"),
        ("- id: x\n  title: [unclosed", "not valid YAML"),
    ],
)
def test_bad_rule_file_is_refused_naming_file_rule_and_reason(
    tmp_path: Path, text: str, reason: str
) -> None:
    _write(tmp_path, "bad.yaml", text)
    with pytest.raises(RulesError) as caught:
        load_ruleset(tmp_path)
    message = str(caught.value)
    assert "bad.yaml" in message and reason in message
    if "YAML" not in reason:
        assert "test-good" in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", GOOD_RULE.replace("status: prohibited", "status: nope"))
    _write(
        tmp_path,
        "b.yaml",
        GOOD_RULE.replace("test-good", "test-other").replace("['do not copy']", "['(']"),
    )
    with pytest.raises(RulesError) as caught:
        load_ruleset(tmp_path)
    assert len(caught.value.problems) == 2


def test_duplicate_rule_ids_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", GOOD_RULE)
    _write(tmp_path, "b.yaml", GOOD_RULE)
    with pytest.raises(RulesError, match="duplicate id"):
        load_ruleset(tmp_path)


def test_published_json_schema_matches_the_rule_model() -> None:
    published = json.loads(
        (Path(RULESET.files[0]).parent / "rule.schema.json").read_text(encoding="utf-8")
    )
    generated = Rule.model_json_schema()
    assert {k: v for k, v in published.items() if k not in ("$schema", "title", "description")} == {
        k: v for k, v in generated.items() if k not in ("title", "description")
    }
