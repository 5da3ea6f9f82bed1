"""Language: declarations checked against the text's script, its function words and, where
those cannot tell, py3langid."""

from __future__ import annotations

import gzip

import pytest

from brwatch.document import FetchedPage, parse_document
from brwatch.extract import extract_article
from brwatch.extract.language import (
    choose_language,
    identified_language,
    latin_language,
    normalise_lang,
)
from tests.conftest import CORPORA

SPANISH = (
    "El gobierno de Perú y la empresa china firmaron el acuerdo para el puerto de Chancay, "
    "que será el más grande de la costa del Pacífico. Los trabajos de la primera fase "
    "terminaron este año y las exportaciones de cobre pasarán por el nuevo muelle, según "
    "los responsables del proyecto, que es una de las obras más importantes de la región."
)
FINNISH = (
    "Suomen hallitus on päättänyt, että rautatieyhteys rakennetaan. Hanke on iso ja se "
    "on ollut esillä monta vuotta. Ministeri sanoi, että päätös on tärkeä koko maalle."
)


@pytest.mark.parametrize(
    ("value", "code"),
    [("zh-CN", "zh"), ("en_US", "en"), ("zho", "zh"), ("in", "id"), ("pt-BR", "pt"), ("x", None)],
)
def test_codes_are_normalised(value: str, code: str | None) -> None:
    assert normalise_lang(value) == code


def test_a_template_default_is_overruled_by_the_text() -> None:
    assert choose_language(["en"], SPANISH) == "es"
    assert choose_language(["en"], "一带一路倡议提出十周年，合作成果丰硕。") == "zh"


def test_a_declaration_the_words_cannot_dispute_stands() -> None:
    assert choose_language(["fi"], FINNISH) == "fi"
    assert choose_language(["es"], SPANISH) == "es"


def test_undeclared_pages_get_the_texts_language() -> None:
    assert choose_language([None, ""], SPANISH) == "es"
    assert choose_language([], "Казахстан активно участвует в реализации инициативы.") == "ru"
    assert latin_language("Hello") is None


ROMANIAN = (
    "Guvernul a anunțat ieri că lucrările la noul port de la Constanța vor începe în "
    "primăvară. Proiectul este finanțat în parte de o bancă asiatică, iar primele nave ar "
    "urma să acosteze peste doi ani, au declarat oficialii ministerului transporturilor."
)
DUTCH = (
    "De haven van Rotterdam heeft vorig jaar meer containers uit China verwerkt dan ooit. "
    "Volgens de directie komt dat door nieuwe treinverbindingen en door de groei van de "
    "handel met Azië, maar de vakbonden maken zich zorgen over de werkdruk op de kades."
)


def test_where_function_words_cannot_tell_the_identifier_decides_when_sure() -> None:
    # Romanian and Dutch have no function-word list: py3langid names them.
    assert latin_language(ROMANIAN) is None
    assert choose_language(["en"], ROMANIAN) == "ro"  # a template's "en" is overruled
    assert choose_language([], DUTCH) == "nl"
    assert identified_language(DUTCH) == "nl"
    # A menu line is too short for a confident guess: the declaration stands.
    assert identified_language("Home | News | Video | Login") is None
    assert choose_language(["en"], "Home | News | Video | Login") == "en"


def test_corpus_pages_in_zulu_and_xhosa_declared_english_are_corrected() -> None:
    # fundus-parser-test-data's South African pages: Isolezwe and Ilanga write in isiZulu,
    # Isolezwe LesiXhosa in isiXhosa; their templates declare "en".
    folder = CORPORA / "fundus-parser-test-data" / "za"
    found = {}
    for name in ("Isolezwe_2025_11_09", "Ilanga_2025_12_03", "IsolezweLesiXhosa_2025_11_09"):
        page = FetchedPage(
            "https://za.example/", gzip.decompress((folder / f"{name}.html.gz").read_bytes())
        )
        found[name] = extract_article(parse_document(page)).lang
    assert found == {
        "Isolezwe_2025_11_09": "zu",
        "Ilanga_2025_12_03": "zu",
        "IsolezweLesiXhosa_2025_11_09": "xh",
    }
    english = folder / "TimesLive_2025_11_10.html.gz"
    page = FetchedPage("https://za.example/", gzip.decompress(english.read_bytes()))
    assert extract_article(parse_document(page)).lang == "en"
