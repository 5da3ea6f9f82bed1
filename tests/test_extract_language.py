"""Language: declarations checked against the text's script and function words."""

from __future__ import annotations

import pytest

from brwatch.extract.language import choose_language, latin_language, normalise_lang

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
