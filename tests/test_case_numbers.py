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
