"""Text from files, sources and the database is printed as it is: Rich markup in it ("[/x]",
"[a-z0-9]") neither crashes the CLI nor vanishes from the message (issue 18.10)."""

from __future__ import annotations

from pathlib import Path

import yaml


def test_a_source_title_with_markup_is_listed(brwatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sources = tmp_path / "sources.yaml"
    title = "[/bold] Silk [red]Road[/] Daily"
    sources.write_text(
        yaml.safe_dump(
            {"sources": [{"name": "silk", "title": title, "feeds": ["http://x.example/f"]}]}
        )
    )
    result = brwatch("--sources", str(sources), "sources", env={"COLUMNS": "250"})
    assert result.returncode == 0, result
    assert "[/bold] Silk [red]Road[/] Daily" in " ".join(result.stdout.split())


def test_a_rule_file_error_is_shown_whole(brwatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "bad.yaml").write_text("- id: x\n")
    result = brwatch("rules", "test", "--dir", str(tmp_path))
    assert result.returncode == 2, result
    # the id pattern from the schema, brackets and all
    assert "^[a-z0-9][a-z0-9._-]{2,80}$" in result.stderr.replace("\n", "")


def test_stored_grants_with_markup_are_listed(brwatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path / 'g.db'}"
    added = brwatch(
        "grants", "add", "Xinhua", "--scope", "all", "--from", "2026-01-01", "--to", "2026-12-31",
        "--reference", "[/contract] 42 [bold]", db=db,
    )  # fmt: skip
    assert added.returncode == 0, added
    listed = brwatch("grants", "list", db=db, env={"COLUMNS": "250"})
    assert listed.returncode == 0, listed
    assert "[/contract] 42 [bold]" in " ".join(listed.stdout.split())
