"""Chinese court case numbers (案号): what is accepted and what is refused, and why."""

from datetime import date

import pytest

from registry.models.case_numbers import (
    CaseNumberError,
    check_other_case_number,
    normalise,
    parse_court_case_number,
)

TODAY = date(2026, 6, 1)


@pytest.mark.parametrize(("number", "court", "specialised", "type_", "seq", "stage"), [
    ("（2024）沪73知民初123号", "沪73", True, "民初", 123, "first_instance"),
    ("(2024)沪73知民初123号", "沪73", True, "民初", 123, "first_instance"),
    ("（2019）最高法知民终1号", "最高法", True, "民终", 1, "second_instance"),
    ("（2021）粤73知民初355号", "粤73", True, "民初", 355, "first_instance"),
    ("（2017）京04民终367号", "京04", False, "民终", 367, "second_instance"),
    ("（2023）苏0505知民初12号", "苏0505", True, "民初", 12, "first_instance"),
    ("（2022）沪知行初5号", "沪", True, "行初", 5, "first_instance"),
    ("（2024）浙01知民再2号", "浙01", True, "民再", 2, "retrial"),
    ("（2025）皖01知财保3号", "皖01", True, "财保", 3, "first_instance"),
])
def test_valid_court_case_numbers_are_parsed(number, court, specialised, type_, seq, stage):
    parsed = parse_court_case_number(number, TODAY)
    assert (parsed.court, parsed.specialised, parsed.type, parsed.sequence) == \
        (court, specialised, type_, seq)
    assert parsed.stage == stage


@pytest.mark.parametrize(("number", "reason"), [
    ("2024沪73知民初123号", "expected"),          # no brackets
    ("（2024沪73知民初123号", "expected"),         # unbalanced
    ("（24）沪73知民初123号", "expected"),         # two-digit year
    ("（2024）沪7知民初123号", "expected"),        # one-digit court number
    ("（2024）XX73知民初123号", "expected"),       # not a province abbreviation
    ("（2024）沪73知民初0123号", "expected"),      # zero padding
    ("（2024）沪73知民初号", "expected"),           # no sequence
    ("（2024）沪73知民初123", "expected"),          # no 号
    ("（2024）沪73知民初-1号", "expected"),         # negative
    ("（2027）沪73知民初1号", "future"),            # after today
    ("（2024）沪73知查询1号", "type code"),          # not a procedure
    ("", "expected"),
])
def test_invalid_court_case_numbers_are_refused_with_the_reason(number, reason):
    with pytest.raises(CaseNumberError) as error:
        parse_court_case_number(number, TODAY)
    assert reason in str(error.value)


def test_brackets_are_normalised_to_full_width():
    assert normalise(" (2024)沪73知民初1号 ") == "（2024）沪73知民初1号"


@pytest.mark.parametrize("number", ["（2024）深国仲受1234号", "沪知局裁字〔2024〕12号",
                                    "SHIAC/2024/0012"])
def test_arbitration_and_agency_file_numbers_need_a_year_and_a_number(number):
    check_other_case_number(number)


@pytest.mark.parametrize("number", ["abc", "第十二号", "2024"])
def test_file_numbers_without_year_or_sequence_are_refused(number):
    with pytest.raises(CaseNumberError):
        check_other_case_number(number)


# -- Unicode: one spelling per number, look-alikes refused (models/base.clean_identifier) -------

FULL_WIDTH_DIGITS = "（20２５）沪73知民初374号"
ARABIC_INDIC_DIGITS = "（2025）沪73知民初3٧٤号"
PLAIN = "（2025）沪73知民初374号"


def test_full_width_digits_fold_to_the_one_spelling():
    assert normalise(FULL_WIDTH_DIGITS) == PLAIN
    assert parse_court_case_number(FULL_WIDTH_DIGITS, TODAY).sequence == 374


@pytest.mark.parametrize("number", [
    ARABIC_INDIC_DIGITS, "（2025）沪73知民初３७४号", "（٢٠٢٥）沪73知民初374号",
    "（2025）沪73知民初37\u200b4号", "（2025）沪73知民初\u202e473号",
    "（2025）沪73\u2066知民初374号",
    "（2025）沪73知民初374号\x00", "（2025）沪73知民初\x85374号", "（2025）沪73知民初374号\ufeff",
])
def test_look_alike_digits_and_invisible_characters_are_refused(number):
    with pytest.raises(CaseNumberError):
        parse_court_case_number(number, TODAY)
    with pytest.raises(CaseNumberError):
        normalise(number)


@pytest.mark.parametrize("number", [
    "2025 1", "2025-1", "SHIAC 2024", "沪知局裁字〔2024〕\u200b12号", "SHIAC/2024/0012\u202e",
    "SHIAC/2024/٠٠١٢", "\u202eSHIAC/2024/0012", "深国仲受\u00ad2024-15号", "沪知局\n裁字2024-1号",
])
def test_file_numbers_need_printable_text_a_mark_a_year_and_a_sequence(number):
    with pytest.raises(CaseNumberError):
        check_other_case_number(number)


def test_file_numbers_fold_full_width_letters_and_spaces():
    check_other_case_number("ＳＨＩＡＣ／２０２４／００１２")
    assert normalise("ＳＨＩＡＣ／２０２４／００１２") == "SHIAC/2024/0012"
    assert normalise("CIETAC\u30002024  No. 12") == "CIETAC 2024 No. 12"


def new_case(number: str, kind: str = "civil") -> dict:
    return {"number": number, "kind": kind, "fields": ["G06F"]}


def test_a_full_width_look_alike_collides_with_the_registered_case(client, world, as_):
    first = client.post("/api/v1/cases", headers=as_("clerk_sh"), json=new_case(PLAIN))
    assert first.status_code == 201, first.get_json()
    again = client.post("/api/v1/cases", headers=as_("clerk_sh"),
                        json=new_case(FULL_WIDTH_DIGITS))
    assert again.status_code in (409, 422), again.get_json()
    assert "already registered" in str(again.get_json())


@pytest.mark.parametrize("number", [ARABIC_INDIC_DIGITS, "（2025）沪73知民初37\u200b4号",
                                    "（2025）沪73知民初\u202e473号"])
def test_the_api_refuses_look_alike_case_numbers(client, world, as_, number):
    response = client.post("/api/v1/cases", headers=as_("clerk_sh"), json=new_case(number))
    assert response.status_code == 422
    assert "number" in response.get_json()["errors"]["json"]


@pytest.mark.parametrize("number", ["2025 1", "（2025）深国仲受\u200b9号",
                                    "（2025）深国仲受\u202e9号"])
def test_the_api_refuses_malformed_arbitration_numbers(client, world, as_, number):
    response = client.post("/api/v1/cases", headers=as_("clerk_gd"),
                           json=new_case(number, kind="arbitration"))
    assert response.status_code == 422, response.get_json()


def test_an_email_address_has_one_spelling(client, world, as_):
    response = client.post("/api/v1/users", headers=as_("admin"), json={
        "email": "Ｌｉ.Na@Example.COM", "role": "admin", "password": "a long enough passphrase"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["email"] == "li.na@example.com"
    again = client.post("/api/v1/users", headers=as_("admin"), json={
        "email": "li.na@example.com", "role": "admin", "password": "a long enough passphrase"})
    assert again.status_code in (409, 422)


@pytest.mark.parametrize("email", ["li\u200bna@example.com", "lina@exam\u202eple.com",
                                   "li\x00na@example.com", "lina@examp١e.com"])
def test_an_email_address_with_hidden_characters_is_refused(client, world, as_, email):
    response = client.post("/api/v1/users", headers=as_("admin"), json={
        "email": email, "role": "admin", "password": "a long enough passphrase"})
    assert response.status_code == 422, response.get_json()
