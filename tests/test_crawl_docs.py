"""Every brwatch crawler setting is documented (docs/settings.md, or docs/crawling.md for the
ones a crawl sets itself)."""

from __future__ import annotations

import re

from brwatch_crawler import settings

from tests.conftest import ROOT


def test_every_brwatch_setting_is_documented() -> None:
    documented = (ROOT / "docs" / "crawling.md").read_text() + (
        ROOT / "docs" / "settings.md"
    ).read_text()
    names = [name for name in vars(settings) if re.fullmatch(r"BRWATCH_[A-Z_]+", name)]
    assert names
    missing = [name for name in names if f"`{name}`" not in documented]
    assert not missing, f"settings missing from docs/settings.md and docs/crawling.md: {missing}"
