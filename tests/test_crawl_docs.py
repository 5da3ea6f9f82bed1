"""Every brwatch crawler setting is documented in docs/crawling.md."""

from __future__ import annotations

import re

from crawler import settings
from tests.conftest import ROOT


def test_every_brwatch_setting_is_documented() -> None:
    documented = (ROOT / "docs" / "crawling.md").read_text()
    names = [name for name in vars(settings) if re.fullmatch(r"BRWATCH_[A-Z_]+", name)]
    assert names
    missing = [name for name in names if f"`{name}`" not in documented]
    assert not missing, f"settings missing from docs/crawling.md: {missing}"
