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
# (e.g. 沪知局裁字〔2024〕12号, （2024）深国仲受1234号, SHIAC/2024/0012). Where a body's shape is
# known it is data (`Organization.number_shapes`, seeded from seeds/courts.csv); otherwise we
# ask for the shape they share: an institution's mark (two letters or more), a filing year
# standing as a word of its own, and a sequence number of its own at the end, with 号 at most
# once and only as the last character. Checked on the canonical spelling (digits 0-9 only).
OTHER_LENGTH = range(6, 61)
FILING_YEAR = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])")
# After the year: a closing bracket, a separator or a space, never a letter or 号 (2024号1).
YEAR_END = re.compile(r"[)\]〕】/\-_.·:\s]")
DIGIT_RUN = re.compile(r"[0-9]+")
SEQUENCE_AT_END = re.compile(r"[0-9]+号?$")
# Characters that make no institution's mark: the number's own furniture.
NOT_A_MARK = frozenset("号第字年")

# Hong Kong court case numbers, PREFIX NUMBER/YEAR (e.g. HCA 1234/2024): the Judiciary's
# case-type prefixes (background knowledge, see docs/cases.md), each with the kind of case and
# the stage it is. Further appeals (Court of Appeal, Court of Final Appeal) are appeals here.
HK_CASE_TYPES: dict[str, tuple[str, str]] = {
    # Court of Final Appeal
    "FACV": ("civil", "second_instance"), "FAMV": ("civil", "second_instance"),
    "FACC": ("criminal", "second_instance"), "FAMC": ("criminal", "second_instance"),
    # Court of Appeal
    "CACV": ("civil", "second_instance"), "CAMP": ("civil", "second_instance"),
    "CACC": ("criminal", "second_instance"),
    # Court of First Instance of the High Court
    "HCA": ("civil", "first_instance"), "HCMP": ("civil", "first_instance"),
    "HCCL": ("civil", "first_instance"), "HCCT": ("civil", "first_instance"),
    "HCAJ": ("civil", "first_instance"), "HCPI": ("civil", "first_instance"),
    "HCB": ("civil", "first_instance"), "HCCW": ("civil", "first_instance"),
    "HCAL": ("administrative", "first_instance"), "HCCC": ("criminal", "first_instance"),
    "HCMA": ("criminal", "second_instance"),
    # District Court
    "DCCJ": ("civil", "first_instance"), "DCPI": ("civil", "first_instance"),
    "DCMP": ("civil", "first_instance"), "DCEC": ("civil", "first_instance"),
    "DCCC": ("criminal", "first_instance"),
}
HK_COURT_NUMBER = re.compile(
    r"^(?P<prefix>[A-Z]{3,4}) ?(?P<seq>[1-9][0-9]{0,5})/(?P<year>(?:19|20)[0-9]{2})$")

# The kind of case a mainland type code names by its first character (财保, 证保, 执 name none).
TYPE_KINDS = {"民": "civil", "行": "administrative", "刑": "criminal"}
# Type code endings that fix the stage: 初 first instance, 终 appeal, 再/申 retrial.
STAGE_ENDINGS = {"初": "first_instance", "终": "second_instance", "再": "retrial",
                 "申": "retrial"}

@dataclass(frozen=True)
class CaseNumber:
    year: int
    court: str
    specialised: bool
    type: str
    sequence: int
    hong_kong: bool = False

    @property
    def stage(self) -> str:
        """The stage the number names; first instance for codes that name none (财保, 执)."""
        return self.definite_stage or "first_instance"

    @property
    def definite_stage(self) -> str | None:
        """The stage when the type code fixes it (初, 终, 再, 申, or a Hong Kong prefix)."""
        if self.hong_kong:
            return HK_CASE_TYPES[self.type][1]
        return STAGE_ENDINGS.get(self.type[-1])

    @property
    def kind(self) -> str | None:
        """civil, administrative or criminal, when the type code says so (民, 行, 刑)."""
        if self.hong_kong:
            return HK_CASE_TYPES[self.type][0]
        return TYPE_KINDS.get(self.type[0])


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


def parse_hong_kong_court_number(number: str, today: date | None = None) -> CaseNumber:
    """Parse a Hong Kong court number (HCA 1234/2024) or raise CaseNumberError."""
    match = hong_kong_match(number)
    if match is None:
        raise CaseNumberError(
            "{number!r} is not a Hong Kong court case number: expected a case-type prefix, "
            "a number and the year, e.g. HCA 1234/2024", number=number)
    year = int(match["year"])
    if year > (today or date.today()).year:
        raise CaseNumberError("{number!r}: filing year {year} is in the future",
                              number=number, year=year)
    return CaseNumber(year, "HK", False, match["prefix"], int(match["seq"]), hong_kong=True)


def hong_kong_match(number: str) -> re.Match | None:
    match = HK_COURT_NUMBER.match(canonical(number))
    return match if match and match["prefix"] in HK_CASE_TYPES else None


def is_hong_kong_court_number(number: str) -> bool:
    return hong_kong_match(number) is not None


def has_file_number_shape(text: str) -> bool:
    """A mark, a year standing alone, a sequence after it at the end, 号 only at the end."""
    if len(text) not in OTHER_LENGTH or "号" in text[:-1]:
        return False
    if sum(char.isalpha() and char not in NOT_A_MARK for char in text) < 2:
        return False
    years = [m for m in FILING_YEAR.finditer(text)
             if m.end() < len(text) and YEAR_END.match(text, m.end())]
    sequence = SEQUENCE_AT_END.search(text)
    return bool(years and sequence and sequence.start() >= years[0].end())


def shape_patterns(shapes: str | None) -> list[re.Pattern]:
    """A body's known file-number shapes ('|'-separated, {year} and {seq} placeholders, e.g.
    （{year}）深国仲受{seq}号) as patterns over the canonical spelling."""
    patterns = []
    for shape in filter(None, (part.strip() for part in (shapes or "").split("|"))):
        pieces = re.split(r"(\{year\}|\{seq\})", canonical(shape))
        regex = "".join(r"(?P<year>(?:19|20)[0-9]{2})" if piece == "{year}"
                        else r"[0-9]{1,8}" if piece == "{seq}" else re.escape(piece)
                        for piece in pieces)
        patterns.append(re.compile(f"^{regex}$"))
    return patterns


def check_other_case_number(number: str, shapes: str | None = None,
                            today: date | None = None) -> None:
    """An arbitration or administrative file number: the body's own shape where one is known,
    else the shape every file number shares. A Hong Kong court number is never one."""
    text = canonical(number)
    if is_hong_kong_court_number(text):
        raise CaseNumberError(
            "{number!r} is a Hong Kong court case number, not a file number of an "
            "arbitration institution or IP administration", number=number)
    patterns = shape_patterns(shapes)
    if patterns:
        match = next((m for p in patterns if (m := p.match(text))), None)
        if match is None:
            raise CaseNumberError("{number!r} does not have this body's file-number shape: "
                                  "{shapes}", number=number,
                                  shapes=" / ".join(examples(shapes)))
        year = int(match["year"]) if "year" in match.groupdict() else None
        if year and year > (today or date.today()).year:
            raise CaseNumberError("{number!r}: filing year {year} is in the future",
                                  number=number, year=year)
        return
    if not has_file_number_shape(text):
        raise CaseNumberError(
            "{number!r} is not a file number: it needs a filing year and a sequence number, "
            "e.g. 沪知局裁字〔2024〕12号", number=number)


def examples(shapes: str | None) -> list[str]:
    """The shapes as people read them: （2024）深国仲受123号."""
    return [part.strip().replace("{year}", "2024").replace("{seq}", "123")
            for part in (shapes or "").split("|") if part.strip()]


def check_court_number(number: str, hong_kong: bool, today: date | None = None) -> CaseNumber:
    """A court's case number: a Hong Kong court's is PREFIX n/year, every other court's a
    mainland 案号; neither is valid at the other's courts."""
    if hong_kong:
        if not is_hong_kong_court_number(number):
            raise CaseNumberError(
                "{number!r} is not a Hong Kong court case number: a Hong Kong court numbers "
                "its cases by case type, number and year, e.g. HCA 1234/2024", number=number)
        return parse_hong_kong_court_number(number, today)
    if is_hong_kong_court_number(number):
        raise CaseNumberError("{number!r} is a Hong Kong court case number: it is valid only "
                              "at a Hong Kong court", number=number)
    return parse_court_case_number(number, today)


def filing_year(number: str, parsed: CaseNumber | None = None) -> int | None:
    """The year a number was filed in: the parsed court number's, else a file number's first
    year standing as a word of its own."""
    if parsed is not None:
        return parsed.year
    text = canonical(number)
    year = next((m for m in FILING_YEAR.finditer(text)
                 if m.end() < len(text) and YEAR_END.match(text, m.end())), None)
    return int(year.group()) if year else None


def check_founding(number: str, body, parsed: CaseNumber | None = None) -> None:
    """No body files a case before it existed: （1999）沪73… is refused (founded 2014)."""
    founded = getattr(body, "founded_year", None)
    year = filing_year(number, parsed)
    if founded and year and year < founded:
        raise CaseNumberError("{number!r}: filed in {year}, but {body} was founded in "
                              "{founded}", number=number, year=year, body=body.name,
                              founded=founded)
