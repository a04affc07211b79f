"""Chinese first, English on request: language choice, catalogs, translated messages."""

import re

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from registry.catalogs import TRANSLATIONS, extract
from registry.i18n import translate_message

CJK = re.compile(r"[\u4e00-\u9fff]")


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_pages_are_in_chinese_by_default(client):
    response = client.get("/sign-in")
    assert html_lang(response) == "zh-Hans"
    assert "登录" in response.get_data(as_text=True)


@pytest.mark.parametrize("header", ["zh", "zh-CN", "zh-Hans", "zh-Hans-CN", "zh-HK", "zh-TW",
                                    "zh-HK,en;q=0.8"])
def test_every_chinese_browser_gets_simplified_chinese(client, header):
    assert html_lang(client.get("/sign-in", headers={"Accept-Language": header})) == "zh-Hans"


@pytest.mark.parametrize("header", ["en", "en-GB", "fr,en;q=0.5"])
def test_english_browsers_get_english(client, header):
    response = client.get("/sign-in", headers={"Accept-Language": header})
    assert html_lang(response) == "en"
    assert "Sign in" in response.get_data(as_text=True)


def test_the_language_switch_is_remembered(client):
    switched = client.get("/sign-in?lang=en", headers={"Accept-Language": "zh-CN"})
    assert html_lang(switched) == "en"
    again = client.get("/sign-in", headers={"Accept-Language": "zh-CN"})
    assert html_lang(again) == "en"
    back = client.get("/sign-in?lang=zh_Hans")
    assert html_lang(back) == "zh-Hans"
    assert html_lang(client.get("/sign-in")) == "zh-Hans"


def test_an_unknown_language_in_the_switch_is_ignored(client):
    assert html_lang(client.get("/sign-in?lang=xx")) == "zh-Hans"


def test_the_api_speaks_english_unless_asked_otherwise(client, world, as_):
    body = {"number": "（2025）沪73知民初77号", "kind": "civil", "fields": ["G06F"],
            "seats": "many"}
    english = client.post("/api/v1/cases", headers=as_("clerk_sh"), json=body)
    assert english.get_json()["errors"]["json"]["seats"] == ["Unknown field."]
    chinese = client.post("/api/v1/cases", json=body,
                          headers={**as_("clerk_sh"), "Accept-Language": "zh-CN"})
    message = chinese.get_json()["errors"]["json"]["seats"][0]
    assert CJK.search(message) and message != "Unknown field."


def test_domain_errors_are_translated_on_pages(client, world, sign_in):
    sign_in("clerk_sh")
    html = client.post("/clerk/cases/new", data={
        "kind": "civil", "number": world.sh_case.number, "fields": ["G06F"]},
        headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    error = re.search(r'id="number-error"[^>]*>([^<]+)<', html).group(1)
    assert world.sh_case.number in error and CJK.search(error.replace(world.sh_case.number, ""))


def test_formatted_validation_messages_are_matched_back_to_their_template(app):
    with app.test_request_context(), force_locale("zh_Hans"):
        translated = translate_message("Length must be between 1 and 60.")
        assert "1" in translated and "60" in translated and CJK.search(translated)
        quoted = translate_message("'X99' is not an IPC code such as G, G06, G06F or G06F30")
        assert "“X99”" in quoted and CJK.search(quoted)
    with app.test_request_context(), force_locale("en"):
        assert translate_message("Length must be between 1 and 60.") == \
            "Length must be between 1 and 60."


def test_every_message_of_the_code_is_in_both_catalogs(tmp_path):
    """Run `make extract-messages` and translate when this fails."""
    extract(tmp_path / "messages.pot")
    wanted = {m.id for m in catalog_at(tmp_path / "messages.pot") if m.id}
    for locale in ("zh_Hans", "en"):
        known = {m.id for m in catalog_at(TRANSLATIONS / locale / "LC_MESSAGES/messages.po")}
        assert wanted - known == set(), locale
    chinese = catalog_at(TRANSLATIONS / "zh_Hans" / "LC_MESSAGES" / "messages.po")
    assert [m.id for m in chinese if m.id in wanted and not m.string] == []


def catalog_at(path):
    with open(path, "rb") as po:
        return read_po(po)


def test_translations_fill_only_the_placeholders_their_message_has():
    """A translation may drop a value or quote it its own way, never ask for another."""
    names = re.compile(r"%\((\w+)\)s|\{(\w+)(?:![rs])?\}")
    chinese = catalog_at(TRANSLATIONS / "zh_Hans" / "LC_MESSAGES" / "messages.po")
    def placeholders(text) -> set[str]:
        texts = text if isinstance(text, tuple) else (text,)  # plural forms come as tuples
        return {a or b for one in texts for a, b in names.findall(one)}

    wrong = [m.id for m in chinese if m.id and m.string
             and placeholders(m.string) - placeholders(m.id)]
    assert wrong == []


def test_codes_inside_domain_messages_are_put_in_words(client, world, sign_in):
    sign_in("clerk_sh")
    client.post(f"/clerk/requests/{world.sh_request.id}/cancel")
    twice = client.post(f"/clerk/requests/{world.sh_request.id}/cancel",
                        headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "cancelled" not in twice and "已撤销" in twice
    missing = client.get("/clerk/cases/999999").get_data(as_text=True)
    assert "case 999999" not in missing and "999999" in missing


def test_switching_language_keeps_the_pages_filters(client, world, sign_in):
    sign_in("clerk_sh")
    html = client.get("/clerk/?status=submitted&number=沪73").get_data(as_text=True)
    switch = re.search(r'href="([^"]+)"[^>]*id="language-switch"', html).group(1)
    assert "status=submitted" in switch and "lang=en" in switch and "number=" in switch


def test_a_quoted_value_gets_chinese_quotes_in_chinese_and_keeps_its_own_in_english(app):
    message = "'Z99Z' is not an IPC code such as G, G06, G06F or G06F30"
    with app.test_request_context(), force_locale("zh_Hans"):
        assert "“Z99Z”" in translate_message(message)
    with app.test_request_context(), force_locale("en"):
        assert translate_message(message) == message


def test_words_inside_account_messages_are_chinese(client, world, sign_in):
    sign_in("admin")
    html = client.post("/admin/accounts/new", headers={"Accept-Language": "zh-CN"}, data={
        "email": "new.clerk@example.cn", "role": "clerk", "password": "long enough 1"}
    ).get_data(as_text=True)
    assert "handling body" not in html and "受理机构" in html
