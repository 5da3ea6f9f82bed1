"""The wheel carries rules/ and crawler/sources.yaml (data at the project root), and an installed
wheel reads them; the Scrapy project installs as brwatch_crawler, never as a top-level `crawler`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from brwatch import rules_location
from brwatch.rights.rules import default_ruleset
from tests.conftest import ROOT

RULES = ROOT / "rules"
RULE_FILES = sorted(p.relative_to(RULES) for p in RULES.rglob("*") if p.is_file())


# What a build reads; copied, so that the build's own folders stay out of the checkout.
BUILD_INPUTS = ("pyproject.toml", "README.md", "src", "crawler", "rules")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built as a wheel, offline: no isolated build environment to download."""
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("dist")
    skipped = shutil.ignore_patterns("*.egg-info", "__pycache__")
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=skipped)
        else:
            shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "--no-index", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (built,) = out.glob("brwatch-*.whl")
    return built


def test_the_wheel_holds_every_rules_file(wheel: Path) -> None:
    assert len(RULE_FILES) >= 20
    with zipfile.ZipFile(wheel) as archive:
        data = {
            Path(name.split("/share/brwatch/rules/", 1)[1]): archive.read(name)
            for name in archive.namelist()
            if "/share/brwatch/rules/" in name
        }
    assert sorted(data) == RULE_FILES
    assert all(data[name] == (RULES / name).read_bytes() for name in RULE_FILES)


def test_the_wheel_installs_the_crawler_under_its_own_name(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        sources = [name for name in names if name.endswith("/share/brwatch/sources.yaml")]
        assert len(sources) == 1
        assert archive.read(sources[0]) == (ROOT / "crawler" / "sources.yaml").read_bytes()
    top_level = {name.split("/", 1)[0] for name in names if "/" in name}
    assert "brwatch_crawler" in top_level and "brwatch" in top_level
    assert "crawler" not in top_level
    assert "brwatch_crawler/spiders/news.py" in names


def test_an_installed_wheel_reads_its_own_rules(wheel: Path, tmp_path: Path) -> None:
    """Installed in a new environment, away from the checkout, it loads the same rules."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # The dependencies come from this environment (a .pth file in the new one: its own .pth
    # files, such as the editable install of brwatch, are not read from there).
    Path(purelib, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         "--no-index", str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    probe = (
        "import brwatch, brwatch.rules_location as r; from brwatch.rights.rules import "
        "default_ruleset; print(brwatch.__file__); print(r.rules_path()); "
        "print(default_ruleset().version); from brwatch.sources import load_sources; "
        "from brwatch.sources.loader import default_sources_path as d; print(d()); "
        "print(len(load_sources(d())))"
    )
    shown = subprocess.run(
        [str(python), "-c", probe], check=True, capture_output=True, text=True, cwd=tmp_path
    ).stdout.split("\n")
    assert shown[0].startswith(purelib)
    assert Path(shown[1]) == venv / "share" / "brwatch" / "rules"
    assert shown[2] == default_ruleset().version
    assert Path(shown[3]) == venv / "share" / "brwatch" / "sources.yaml"
    assert int(shown[4]) >= 20  # the bundled sources, loaded and valid
    tested = subprocess.run(
        [str(venv / "bin" / "brwatch"), "rules", "test"], capture_output=True, text=True
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_a_checkout_reads_its_own_rules_folder() -> None:
    assert rules_location.rules_path("rights") == ROOT / "rules" / "rights"
    assert rules_location.bundled_sources_path() == ROOT / "crawler" / "sources.yaml"
