"""Chinese court case numbers (案号), as laid down by the SPC rules of 2015 amended in 2018.

Layout: （year）court-code [知] type-code sequence 号, e.g. （2024）沪73知民初123号.
"""

import re
from dataclasses import dataclass
from datetime import date

from registry.models.base import DomainError, clean_identifier

COURT_CASE_NUMBER = re.compile(
    r"^[（(](?P<year>(?:19|20)\d{2})[）)]"
    r"(?P<court>最高法|[京津冀晋内辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川黔云藏陕甘青宁新兵港澳]"
    r"(?:\d{2}(?:\d{2})?)?)"
    r"(?P<special>知)?(?P<type>[\u4e00-\u9fa5]{1,4}?)(?P<seq>[1-9]\d{0,7})号$"
)

# Type codes (类型代字) of the procedures a technical investigator or arbitrator can meet.
TYPE_CODES = frozenset({
    "民初", "民终", "民申", "民再", "民辖", "民辖终", "民特", "民撤",
    "行初", "行终", "行申", "行再", "刑初", "刑终", "刑申", "刑再",
    "财保", "证保", "行保", "执", "执保", "执异", "执复",
})

# Administrative adjudication and arbitration bodies number their files their own way
# (e.g. 沪知局裁字〔2024〕12号, （2024）深国仲受1234号, SHIAC/2024/0012): we ask for the shape
# they share: some letters (the institution's mark), a filing year, and a sequence number of
# its own at the end. Checked on the canonical spelling, where every digit is 0-9.
OTHER_LENGTH = range(6, 61)
FILING_YEAR = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])")
DIGIT_RUN = re.compile(r"[0-9]+")
SEQUENCE_AT_END = re.compile(r"[0-9]+号?$")


@dataclass(frozen=True)
class CaseNumber:
    year: int
    court: str
    specialised: bool
    type: str
    sequence: int

    @property
    def stage(self) -> str:
        if self.type.endswith("终"):
            return "second_instance"
        if self.type.endswith(("再", "申")):
            return "retrial"
        return "first_instance"


class CaseNumberError(DomainError, ValueError):
    """A malformed case number: a template and its parameters, as every DomainError."""


def canonical(number: str) -> str:
    """The one spelling of a case number: NFKC-folded, invisible characters and digits other
    than 0-9 refused (base.clean_identifier), runs of spaces made one."""
    try:
        return " ".join(clean_identifier(number).split())
    except DomainError as error:
        raise CaseNumberError(error.template, **error.params) from None


def normalise(number: str) -> str:
    """The canonical spelling with brackets full-width, as courts print them, so that one case
    has one spelling: （20２５）… and (2025)… are both stored as （2025）…."""
    return canonical(number).replace("(", "（").replace(")", "）")


def parse_court_case_number(number: str, today: date | None = None) -> CaseNumber:
    """Parse a court case number or raise CaseNumberError saying what is wrong."""
    match = COURT_CASE_NUMBER.match(canonical(number))
    if not match:
        raise CaseNumberError(
            "{number!r} is not a court case number: expected （year）court code [知] type "
            "code, sequence and 号, e.g. （2024）沪73知民初123号", number=number)
    year = int(match["year"])
    if year > (today or date.today()).year:
        raise CaseNumberError("{number!r}: filing year {year} is in the future",
                              number=number, year=year)
    if match["type"] not in TYPE_CODES:
        raise CaseNumberError(
            "{number!r}: unknown type code {type_code!r} (e.g. 民初, 民终, 行初, 刑初)",
            number=number, type_code=match["type"])
    return CaseNumber(year, match["court"], bool(match["special"]), match["type"],
                      int(match["seq"]))


def has_file_number_shape(text: str) -> bool:
    return (len(text) in OTHER_LENGTH and any(char.isalpha() for char in text)
            and FILING_YEAR.search(text) is not None
            and SEQUENCE_AT_END.search(text) is not None
            and len(DIGIT_RUN.findall(text)) >= 2)  # the sequence is not the year itself


def check_other_case_number(number: str) -> None:
    if not has_file_number_shape(canonical(number)):
        raise CaseNumberError(
            "{number!r} is not a file number: it needs a filing year and a sequence number, "
            "e.g. 沪知局裁字〔2024〕12号", number=number)
