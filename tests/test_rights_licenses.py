"""Creative Commons URLs and names -> SPDX ids, for every CC version and variant."""

from __future__ import annotations

import pytest
from packaging.licenses._spdx import LICENSES  # the SPDX licence list packaging ships

from brwatch.rights.licenses import (
    VERSIONS,
    obligations_for_spdx,
    spdx_from_elements,
    spdx_from_name,
    spdx_from_url,
    status_for_spdx,
)

SPDX_IDS = {entry["id"] for entry in LICENSES.values()}
VARIANTS = ["by", "by-sa", "by-nd", "by-nc", "by-nc-sa", "by-nc-nd"]


@pytest.mark.parametrize("version", ["1.0", "2.0", "2.5", "3.0", "4.0"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_cc_licence_url_maps_to_a_real_spdx_id(variant: str, version: str) -> None:
    spdx = spdx_from_url(f"https://creativecommons.org/licenses/{variant}/{version}/")
    assert spdx == f"CC-{variant.upper()}-{version}"
    assert spdx in SPDX_IDS
    assert status_for_spdx(spdx) == "open_license"


@pytest.mark.parametrize(
    ("url", "spdx"),
    [
        ("http://creativecommons.org/licenses/by-nd-nc/1.0/", "CC-BY-NC-ND-1.0"),
        ("https://creativecommons.org/licenses/sa/1.0/", "CC-SA-1.0"),
        ("https://creativecommons.org/licenses/nc-sa/1.0/", "LicenseRef-CC-NC-SA-1.0"),
        ("https://creativecommons.org/licenses/by/3.0/igo/", "CC-BY-3.0-IGO"),
        ("https://creativecommons.org/licenses/by-sa/2.0/uk/", "CC-BY-SA-2.0-UK"),
        ("https://creativecommons.org/licenses/by-sa/2.1/jp/", "CC-BY-SA-2.1-JP"),
        ("https://creativecommons.org/licenses/by/3.0/cn/", "CC-BY-3.0"),
        ("https://creativecommons.org/licenses/by-nc-sa/4.0/deed.zh", "CC-BY-NC-SA-4.0"),
        ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0-1.0"),
        ("https://creativecommons.org/publicdomain/mark/1.0/", "CC-PDM-1.0"),
        ("https://example.org/licenses/by/4.0/", None),
    ],
)
def test_special_cc_urls(url: str, spdx: str | None) -> None:
    assert spdx_from_url(url) == spdx
    if spdx and not spdx.startswith("LicenseRef-"):
        assert spdx in SPDX_IDS


def test_every_spdx_id_the_mapper_can_produce_is_real() -> None:
    produced = set()
    for version in VERSIONS:
        for elements in (
            {"BY"},
            {"BY", "SA"},
            {"BY", "ND"},
            {"BY", "NC"},
            {"BY", "NC", "SA"},
            {"BY", "NC", "ND"},
        ):
            for port in (None, "de", "at", "igo", "uk", "jp", "au", "nl", "us", "fr"):
                spdx = spdx_from_elements(elements, version, port)
                if spdx:
                    produced.add(spdx)
    assert "CC-BY-SA-2.1-JP" in produced
    assert {p for p in produced - SPDX_IDS if not p.startswith("LicenseRef-")} == set()


@pytest.mark.parametrize(
    ("name", "spdx"),
    [
        ("Creative Commons Attribution-ShareAlike 4.0 International", "CC-BY-SA-4.0"),
        ("CC BY-NC-ND 3.0", "CC-BY-NC-ND-3.0"),
        ("知识共享署名-非商业性使用 4.0 国际许可协议", "CC-BY-NC-4.0"),
        ("CC0 1.0 Universal", "CC0-1.0"),
        ("Public Domain Mark 1.0", "CC-PDM-1.0"),
    ],
)
def test_licence_names(name: str, spdx: str) -> None:
    assert spdx_from_name(name) == spdx


def test_obligations_follow_the_licence_elements() -> None:
    assert obligations_for_spdx("CC-BY-NC-SA-4.0") == ("credit", "non_commercial", "share_alike")
    assert obligations_for_spdx("CC0-1.0") == ()
    assert status_for_spdx("CC0-1.0") == "public_domain"
