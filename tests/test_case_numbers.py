"""Chinese court case numbers (案号): what is accepted and what is refused, and why."""

from datetime import date

import pytest

from registry.extensions import db
from registry.models import DomainError, OrganizationKind
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


# -- issue 9 item 8: the court's founding year, Hong Kong court numbers, institution shapes -----

def a_case(body, kind="civil", **values):
    from registry.models import Case
    return Case(handling_body=body, kind=kind, **values)


def test_a_number_filed_before_the_court_was_founded_is_refused(make):
    shanghai_ip_court = make.body("shanghai", case_number_code="沪73", founded_year=2014)
    with pytest.raises(DomainError) as error:
        a_case(shanghai_ip_court).set_number("（1999）沪73知民初130号", TODAY)
    assert error.value.field == "number"
    assert "2014" in str(error.value)


def test_a_number_of_a_year_after_the_founding_is_accepted(make):
    shanghai_ip_court = make.body("shanghai", case_number_code="沪73", founded_year=2014)
    case = a_case(shanghai_ip_court)
    case.set_number("（2015）沪73民初12号", TODAY)
    assert case.number == "（2015）沪73民初12号"


def test_a_court_without_a_known_founding_year_takes_any_plausible_year(make):
    court = make.body("shanghai", case_number_code="沪73", founded_year=None)
    a_case(court).set_number("（1999）沪73民初130号", TODAY)


@pytest.mark.parametrize(("number", "stage", "kind"), [
    ("HCA 1234/2024", "first_instance", "civil"),
    ("HCMP 56/2023", "first_instance", "civil"),
    ("CACV 7/2025", "second_instance", "civil"),
    ("FACV 3/2022", "second_instance", "civil"),
    ("DCCJ 4521/2024", "first_instance", "civil"),
    ("HCCC 12/2024", "first_instance", "criminal"),
])
def test_hong_kong_court_numbers_are_valid_at_a_hong_kong_court(make, number, stage, kind):
    hk_court = make.body("hong_kong", case_number_code=None, name="High Court (HKSAR)")
    case = a_case(hk_court, kind=kind)
    case.set_number(number, TODAY)
    assert case.number == number
    assert case.stage.value == stage


def test_a_hong_kong_court_number_is_refused_at_a_mainland_court(make):
    with pytest.raises(DomainError) as error:
        a_case(make.body("shanghai")).set_number("HCA 1234/2024", TODAY)
    assert error.value.field == "number"
    assert "Hong Kong" in str(error.value)


def test_a_mainland_case_number_is_refused_at_a_hong_kong_court(make):
    hk_court = make.body("hong_kong", case_number_code=None)
    with pytest.raises(DomainError) as error:
        a_case(hk_court).set_number("（2024）沪73知民初1号", TODAY)
    assert "Hong Kong" in str(error.value)


@pytest.mark.parametrize("kind", [OrganizationKind.ARBITRATION_INSTITUTION,
                                  OrganizationKind.IP_ADMINISTRATION])
def test_a_hong_kong_court_number_is_not_an_arbitration_or_agency_file_number(make, kind):
    body = make.body("shenzhen", kind=kind, case_number_code=None)
    case_kind = "arbitration" if kind is OrganizationKind.ARBITRATION_INSTITUTION \
        else "administrative_adjudication"
    with pytest.raises(DomainError) as error:
        a_case(body, kind=case_kind).set_number("HCA 1234/2024", TODAY)
    assert "Hong Kong court" in str(error.value)


@pytest.mark.parametrize("number", ["2024号号号号号1", "号2024号1", "2024年1", "号号2024-1"])
def test_a_file_number_needs_a_mark_a_delimited_year_and_a_final_sequence(number):
    with pytest.raises(CaseNumberError):
        check_other_case_number(number)


SCIA_SHAPES = "（{year}）深国仲受{seq}号|（{year}）深国仲裁{seq}号"


def test_an_institution_with_a_known_shape_takes_numbers_of_that_shape(make):
    scia = make.body("shenzhen", kind=OrganizationKind.ARBITRATION_INSTITUTION,
                     case_number_code=None, number_shapes=SCIA_SHAPES)
    case = a_case(scia, kind="arbitration")
    case.set_number("（2024）深国仲受1234号", TODAY)
    assert case.number == "（2024）深国仲受1234号"


@pytest.mark.parametrize("number", ["SCIA/2024/1234", "（2024）沪国仲受12号",
                                    "（2099）深国仲受1号"])
def test_an_institution_with_a_known_shape_refuses_other_shapes(make, number):
    scia = make.body("shenzhen", kind=OrganizationKind.ARBITRATION_INSTITUTION,
                     case_number_code=None, number_shapes=SCIA_SHAPES)
    with pytest.raises(DomainError) as error:
        a_case(scia, kind="arbitration").set_number(number, TODAY)
    assert error.value.field == "number"


def test_the_shanghai_ip_office_decision_number_fits_its_shape(make):
    office = make.body("shanghai", kind=OrganizationKind.IP_ADMINISTRATION,
                       case_number_code=None, number_shapes="沪知局裁字〔{year}〕{seq}号")
    a_case(office, kind="administrative_adjudication").set_number("沪知局裁字〔2024〕12号",
                                                                  TODAY)


def test_the_seeded_bodies_carry_founding_years_and_shapes(app):
    from registry.services.seeding import body_rows

    rows = {row["registry_id"]: row for row in body_rows()}
    assert rows["sh_ipc"]["founded_year"] == 2014
    assert rows["bj_ipc"]["founded_year"] == 2014
    assert rows["gz_ipc"]["founded_year"] == 2014
    assert rows["sh_ipc"]["court_level"] == "specialised_intermediate"
    assert rows["sh_high"]["founded_year"] is None  # unknown: no check
    assert rows["spc_ipt"]["founded_year"] == 2019
    assert "深国仲受" in rows["scia"]["number_shapes"]
    assert "沪知局裁字" in rows["sh_ipa"]["number_shapes"]


def test_the_api_refuses_a_number_from_before_the_court_existed(client, world, as_):
    world.sh_court.founded_year = 2014
    db.session.commit()
    response = client.post("/api/v1/cases", headers=as_("clerk_sh"),
                           json=new_case("（1999）沪73知民初130号"))
    assert response.status_code == 422
    assert "number" in response.get_json()["errors"]["json"]


def test_the_api_refuses_a_hong_kong_court_number_as_an_arbitration_number(client, world, as_):
    response = client.post("/api/v1/cases", headers=as_("clerk_gd"),
                           json=new_case("HCA 1234/2024", kind="arbitration"))
    assert response.status_code == 422
    assert "number" in response.get_json()["errors"]["json"]
