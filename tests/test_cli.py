"""The command frame: verbs found on the command line, all verbs listed in help."""

from __future__ import annotations

import pytest

from brwatch.cli import _invoked_verb, _verb_modules, build_parser, main


@pytest.mark.parametrize(
    ("argv", "verb"),
    [
        (["crawl", "--source", "x"], "crawl"),
        (["--db", "sqlite:///a.db", "reuse-check", "--article", "u"], "reuse_check"),
        (["--sources", "s.yaml", "-v", "sources", "--check"], "sources"),
        (["--db=sqlite:///a.db", "export"], "export"),
        (["--help"], None),
    ],
)
def test_the_invoked_verb_is_found_past_global_options(argv: list[str], verb: str | None) -> None:
    assert _invoked_verb(argv) == verb


def test_help_lists_every_verb_module(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    for name in _verb_modules():
        assert name.replace("_", "-") in listed


def test_only_the_invoked_verb_is_registered() -> None:
    parser = build_parser(["runs"])
    commands = next(a for a in parser._actions if a.dest == "command")
    assert set(commands.choices) == {"runs"}


def test_an_unknown_verb_is_refused_with_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["no-such-verb"])
    assert exit_info.value.code == 2
    assert "crawl" in capsys.readouterr().err


def test_rules_test_runs_the_topic_and_publisher_examples_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "test"]) == 0
    out = capsys.readouterr().out
    assert "topic vocabulary: ok" in out and "publisher registry: ok" in out

    import brwatch.relevance

    monkeypatch.setattr(
        brwatch.relevance, "example_problems", lambda: ["topics.yaml: bri-1: example scored 0"]
    )
    assert main(["rules", "test"]) == 1
    assert "bri-1: example scored 0" in capsys.readouterr().out


def test_version_names_the_backends_chosen_by_setting(brwatch) -> None:  # type: ignore[no-untyped-def]
    default = brwatch("--version")
    assert default.returncode == 0 and "rights page reader: auto" in default.stdout
    chosen = brwatch(
        "--version", env={"BRWATCH_RIGHTS_READER": "lexbor", "BRWATCH_HINTS_SCANNER": "re2"}
    )
    assert "rights page reader: lexbor; markup hints: re2" in chosen.stdout
    wrong = brwatch("--version", env={"BRWATCH_HINTS_SCANNER": "regex"})
    assert wrong.returncode != 0 and "BRWATCH_HINTS_SCANNER='regex'" in wrong.stderr
