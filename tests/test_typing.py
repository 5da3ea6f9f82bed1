"""The type hints hold: mypy, configured in pyproject.toml ([tool.mypy]), finds nothing in
src/brwatch and crawler/brwatch_crawler/, as CI runs it."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _checked_files() -> int:
    """How many modules the configured paths hold (mypy must check every one)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    paths = config["tool"]["mypy"]["files"]
    assert "src/brwatch" in paths and "crawler/brwatch_crawler" in paths
    return sum(len(list((ROOT / path).rglob("*.py"))) for path in paths)


@pytest.mark.slow
def test_mypy_finds_no_type_errors() -> None:
    # The project's configuration (pyproject.toml in the working directory), no file arguments.
    result = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    success = re.search(r"Success: no issues found in (\d+) source files", result.stdout)
    assert success, output
    assert int(success.group(1)) == _checked_files(), output
