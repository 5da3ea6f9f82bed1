"""The interface in English and Simplified Chinese, chosen per user; every message translated."""

from __future__ import annotations

from fastapi import FastAPI

from brwatch.storage import Database
from brwatch.web.catalog import extract, untranslated
from brwatch.web.i18n import LANGUAGES
from tests.web_data import (
    csrf_from,
    login,
    make_client,
    web_fixture,  # noqa: F401  (the `web` fixture)
)

World = tuple[FastAPI, Database, dict[str, int]]


def test_every_message_is_translated_for_every_language() -> None:
    template = extract()
    assert len(template) > 100  # code and templates were both read
    for locale in LANGUAGES:
        if locale != "en":
            assert untranslated(locale, template) == [], f"{locale} lacks translations"


def test_each_user_sees_their_own_language(web: World) -> None:
    app, _, ids = web
    editor, legal = make_client(app), make_client(app)
    login(editor, "edith")
    login(legal, "lena")
    page = editor.get("/queue").text
    token = csrf_from(page)
    switched = editor.post(
        "/account/language", data={"locale": "zh_CN", "back": "/queue", "csrf_token": token}
    )
    assert switched.url.path == "/queue"
    assert "审核队列" in switched.text and "界面语言已更改。" in switched.text
    assert '<html lang="zh-CN">' in switched.text
    item = editor.get(f"/items/{ids['prohibited']}").text
    assert "转用结论" in item and "禁止转载" in item
    # Another user's pages stay in English; the API speaks English to everyone.
    assert "Review queue" in legal.get("/queue").text
    assert editor.get("/api/items/999").json()["message"].startswith("Item 999 does not exist")
    assert "条目 999 不存在" in editor.get("/items/999").text


def test_unknown_language_is_refused(web: World) -> None:
    client = make_client(web[0])
    token = login(client, "edith")
    response = client.post("/account/language", data={"locale": "xx", "csrf_token": token})
    assert response.status_code == 400


def test_login_page_follows_the_browser_language(web: World) -> None:
    client = make_client(web[0])
    chinese = client.get("/login", headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.8"}).text
    assert "登录 brwatch" in chinese and '<html lang="zh-CN">' in chinese
    english = client.get("/login", headers={"accept-language": "fr;q=1, en;q=0.5, zh;q=0.1"}).text
    assert "Log in to brwatch" in english
    assert "Log in to brwatch" in client.get("/login", headers={"accept-language": ";q=x,,"}).text
