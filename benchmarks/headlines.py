"""Realistic synthetic news titles for the scale benchmarks, per language.

Titles are made from templates and shared vocabularies, the way Belt-and-Road news titles
repeat themselves: a few words ("China", "cooperation", "Belt and Road", 合作, 一带一路) are in
a large share of titles, most country and sector words in a few percent, and a handful of words
(Montenegro, 黑山) in a fraction of a percent. Each title depends only on the article id, so the
other data `synthetic_db` draws from its own generator stays as it was.
"""

from __future__ import annotations

import random

# Common countries, then rare ones (drawn 1 time in RARE_ONE_IN).
COUNTRIES = {
    "en": ["Pakistan", "Kazakhstan", "Kenya", "Indonesia", "Serbia", "Egypt", "Laos", "Hungary"],
    "zh": ["巴基斯坦", "哈萨克斯坦", "肯尼亚", "印度尼西亚", "塞尔维亚", "埃及", "老挝", "匈牙利"],
    "ru": ["Пакистан", "Казахстан", "Кения", "Индонезия", "Сербия", "Египет", "Лаос", "Венгрия"],
    "fr": ["Pakistan", "Kazakhstan", "Kenya", "Indonésie", "Serbie", "Égypte", "Laos", "Hongrie"],
    "es": ["Pakistán", "Kazajistán", "Kenia", "Indonesia", "Serbia", "Egipto", "Laos", "Hungría"],
    "ar": ["باكستان", "كازاخستان", "كينيا", "إندونيسيا", "صربيا", "مصر", "لاوس", "المجر"],
    "kk": ["Пәкістан", "Қазақстан", "Кения", "Индонезия", "Сербия", "Мысыр", "Лаос", "Венгрия"],
}
RARE_COUNTRIES = {
    "en": ["Montenegro", "Djibouti"],
    "zh": ["黑山", "吉布提"],
    "ru": ["Черногория", "Джибути"],
    "fr": ["Monténégro", "Djibouti"],
    "es": ["Montenegro", "Yibuti"],
    "ar": ["الجبل الأسود", "جيبوتي"],
    "kk": ["Черногория", "Джибути"],
}
RARE_ONE_IN = 150
SECTORS = {
    "en": ["rail", "port", "power", "solar", "highway", "trade", "digital", "pipeline", "bridge"],
    "zh": ["铁路", "港口", "电力", "光伏", "公路", "贸易", "数字", "管道", "桥梁"],
    "ru": ["железнодорожный", "портовый", "энергетический", "солнечный", "дорожный", "торговый"],
    "fr": ["ferroviaire", "portuaire", "électrique", "solaire", "routier", "commercial"],
    "es": ["ferroviario", "portuario", "eléctrico", "solar", "vial", "comercial"],
    "ar": ["السكك الحديدية", "الموانئ", "الطاقة", "الطاقة الشمسية", "الطرق", "التجارة"],
    "kk": ["темір жол", "порт", "энергетика", "күн энергиясы", "жол", "сауда"],
}
TEMPLATES = {
    "en": [
        "China and {country} sign {sector} cooperation agreement",
        "Belt and Road {sector} project in {country} enters final phase",
        "{country} opens new {sector} corridor with China",
        "Chinese investors eye {sector} cooperation in {country}",
        "{country} {sector} line built under Belt and Road completes {n} km",
        "Experts: Belt and Road cooperation boosts {country} {sector} sector",
        "{country} hosts forum on {sector} connectivity",
    ],
    "zh": [
        "中国与{country}签署{sector}合作协议",
        "“一带一路”{sector}项目在{country}开工",
        "{country}{sector}项目进展顺利，已完成{n}公里",
        "共建“一带一路”：中国同{country}{sector}合作迈上新台阶",
        "{country}举办{sector}互联互通论坛",
        "中企助力{country}{sector}建设",
    ],
    "ru": [
        "Китай и {country} подписали соглашение о сотрудничестве: {sector} проект",
        "«Пояс и путь»: {sector} проект в стране {country} вышел на финальный этап",
        "{country} открыл новый {sector} коридор с Китаем",
        "Эксперты: сотрудничество с Китаем укрепляет {sector} сектор, {country}",
    ],
    "fr": [
        "La Chine et le {country} signent un accord de coopération {sector}",
        "Nouvelles routes de la soie : projet {sector} au {country}, {n} km achevés",
        "{country} : un nouveau corridor {sector} avec la Chine",
    ],
    "es": [
        "China y {country} firman un acuerdo de cooperación {sector}",
        "Franja y la Ruta: el proyecto {sector} en {country} entra en su fase final",
        "{country} inaugura un corredor {sector} con China, {n} km",
    ],
    "ar": [
        "الصين و{country} توقعان اتفاقية تعاون في مجال {sector}",
        "مشروع الحزام والطريق في {country}: {sector} يدخل المرحلة النهائية",
        "{country} تفتتح ممر {sector} جديدا مع الصين",
    ],
    "kk": [
        "Қытай мен {country} {sector} саласында ынтымақтастық туралы келісімге қол қойды",
        "«Белдеу және жол»: {country} елінде {sector} жобасы аяқталуда",
    ],
}


def headline(lang: str, article_id: int) -> str:
    """A title in `lang` (English when the language has no templates) for this article."""
    lang = lang if lang in TEMPLATES else "en"
    rng = random.Random(article_id)
    countries = RARE_COUNTRIES[lang] if rng.randrange(RARE_ONE_IN) == 0 else COUNTRIES[lang]
    return rng.choice(TEMPLATES[lang]).format(
        country=rng.choice(countries), sector=rng.choice(SECTORS[lang]), n=rng.randint(5, 999)
    )
