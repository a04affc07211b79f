"""The rules of the experts' import, row by row: what is wrong, where, in which words.

Each row is mapped to the JSON shape of the API's `ExpertSchema` and loaded through it; the
import adds its own checks (cells that a spreadsheet would run as formulas, control
characters, unknown cities, bodies and IPC codes, dates, duplicates in the file and in the
registry). A problem is an English template with parameters, translated where it is shown.
The rules, column by column: docs/import-template.md.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from marshmallow import ValidationError

from registry.i18n import N_
from registry.models.experts import IPC_CODE
from registry.schemas.experts import ExpertSchema
from registry.services.expert_lookups import Lookups, normal, normal_phone
from registry.services.expert_sheet import (
    COLUMNS,
    PAIR_SPLIT,
    Row,
    affiliation_pairs,
    is_control,
    items,
    unsafe_start,
)

DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
ROLE_NAMES = {"investigator": "investigator", "技术调查官": "investigator",
              "arbitrator": "arbitrator", "仲裁员": "arbitrator",
              "consultant": "consultant", "技术咨询专家": "consultant", "咨询专家": "consultant"}
# The schema's key for each column whose value it loads (the rest are the import's own).
SCHEMA_KEYS = {"name": "name", "roles": "roles", "home_city": "home_city", "fields": "fields",
               "languages": "languages", "appointing_body_id": "appointing_body",
               "appointed_from": "appointed_from", "appointed_until": "appointed_until",
               "max_concurrent": "max_concurrent", "max_travel_km": "max_travel_km",
               "email": "email", "phone": "phone"}


@dataclass(frozen=True)
class Problem:
    """What is wrong with one cell (or a whole row when `column` is None)."""

    row: int
    column: str | None
    letter: str | None
    template: str            # an English template with {named} parameters, or ...
    params: dict = field(default_factory=dict)
    formatted: bool = False  # ... marshmallow's own message, formatted in English already


@dataclass
class Checked:
    row: Row
    problems: list[Problem]
    data: dict | None = None                      # ExpertSchema's load, when the row is good
    affiliations: list[tuple[str, str]] = field(default_factory=list)  # (organization, role)

    @property
    def good(self) -> bool:
        return not self.problems


@dataclass
class Report:
    rows: list[Checked]
    new_organizations: list[str]  # named by good rows and not in the registry: made at commit
    # Held so that its cities and bodies stay in the session's identity map for the commit.
    lookups: Lookups | None = None

    @property
    def good(self) -> list[Checked]:
        return [c for c in self.rows if c.good]

    @property
    def bad(self) -> list[Checked]:
        return [c for c in self.rows if not c.good]


def parse_date(text: str) -> str | None:
    """2026-12-31, 2026/12/31 or 2026.12.31 (Excel's Chinese display) -> ISO; None if not."""
    match = DATE.match(text)
    try:
        return date(*(int(g) for g in match.groups())).isoformat() if match else None
    except ValueError:
        return None


class RowCheck:
    """Maps one row to ExpertSchema's JSON shape, noting the import's own problems."""

    def __init__(self, row: Row, lookups: Lookups):
        self.row, self.lookups = row, lookups
        self.problems: list[Problem] = []
        self.data: dict = {}
        self.affiliations: list[tuple[str, str]] = []

    def add(self, key: str | None, template: str, **params) -> None:
        self.problems.append(Problem(self.row.number, key, self.row.letters.get(key), template,
                                     params))

    def flagged(self, key: str) -> bool:
        return any(p.column == key for p in self.problems)

    def run(self, schema: ExpertSchema) -> Checked:
        self.check_cells()
        cells = {k: v for k, v in self.row.cells.items() if not self.flagged(k)}
        for column in COLUMNS:
            value = cells.get(column.key, "")
            if value:
                getattr(self, f"map_{column.key}")(value)
            elif column.required and not self.flagged(column.key):
                self.add(column.key, N_("a value is required"))
        self.check_term()
        loaded = self.load(schema)
        return Checked(self.row, self.problems, loaded if not self.problems else None,
                       self.affiliations)

    def check_cells(self) -> None:
        for key, text in self.row.cells.items():
            if start := unsafe_start(key, text):
                self.add(key, N_("starts with {char}, which a spreadsheet would run as a "
                                 "formula; remove that character"), char=start)
            elif control := next((c for c in text if is_control(c)), None):
                self.add(key, N_("contains an invisible control character (U+{code})"),
                         code=f"{ord(control):04X}")

    def load(self, schema: ExpertSchema) -> dict | None:
        try:
            return schema.load(self.data)
        except ValidationError as error:
            for key, messages in error.messages.items():
                column = SCHEMA_KEYS.get(key)
                if column and self.flagged(column):
                    continue  # the import's own message says it better
                for message in flat_messages(messages):
                    self.problems.append(Problem(self.row.number, column,
                                                 self.row.letters.get(column), message,
                                                 formatted=True))
            return None

    # Each column's mapping: into self.data in the schema's shape, or a problem.

    def map_name(self, value):
        self.data["name"] = value

    def map_roles(self, value):
        self.data["roles"] = [ROLE_NAMES.get(normal(role), role) for role in items(value)]

    def map_home_city(self, value):
        city = self.lookups.cities.get(normal(value))
        if city is None:
            self.add("home_city", N_("no city “{value}” in the registry: use its code (such "
                                     "as shanghai) or its Chinese or English name"), value=value)
        else:
            self.data["home_city"] = city.code

    def map_appointing_body(self, value):
        body = self.lookups.bodies.get(normal(value))
        if body is not None:
            self.data["appointing_body_id"] = body.id
        elif normal(value) in self.lookups.not_bodies:
            self.add("appointing_body", N_("“{value}” is not a court, IP administration or "
                                           "arbitration institution"), value=value)
        else:
            self.add("appointing_body", N_("no appointing body “{value}” in the registry: use "
                                           "its code (such as sh_ipc) or its name"), value=value)

    def map_appointed_from(self, value, key="appointed_from"):
        day = parse_date(value)
        if day is None:
            self.add(key, N_("“{value}” is not a date such as 2026-12-31"), value=value)
        else:
            self.data[key] = day

    def map_appointed_until(self, value):
        self.map_appointed_from(value, "appointed_until")

    def check_term(self) -> None:
        start, end = self.data.get("appointed_from"), self.data.get("appointed_until")
        if start and end and end < start:
            self.add("appointed_until", N_("the appointment ends ({end}) before it starts "
                                           "({start})"), end=end, start=start)
            del self.data["appointed_until"]

    def map_fields(self, value):
        entries = []
        for entry in items(value):
            code, level = split_field(entry)
            if level and level not in ("1", "2", "3"):
                self.add("fields", N_("“{entry}”: the proficiency after the code is 1, 2 or 3, "
                                      "as in G06F:3"), entry=entry)
            elif IPC_CODE.match(code) and not self.lookups.ipc_known(code):
                self.add("fields", N_("unknown IPC code {code}"), code=code)
            else:
                entries.append({"code": code, **({"proficiency": level} if level else {})})
        if not self.flagged("fields"):
            self.data["fields"] = entries

    def map_languages(self, value):
        self.data["languages"] = [code.lower() for code in items(value)]

    def map_max_concurrent(self, value):
        self.data["max_concurrent"] = value

    def map_max_travel_km(self, value):
        self.data["max_travel_km"] = value

    def map_email(self, value):
        if len(value) > 200:
            self.add("email", N_("longer than {max} characters"), max=200)
        else:
            self.data["email"] = value

    def map_phone(self, value):
        self.data["phone"] = value

    def map_affiliations(self, value):
        for name, role in affiliation_pairs(value):
            if not name or len(name) > 200 or len(role) > 60:
                self.add("affiliations", N_("“{entry}” is not an organization and a role such "
                                            "as 复旦大学:professor (name up to 200 characters, "
                                            "role up to 60)"), entry=f"{name}:{role}")
            else:
                self.affiliations.append((name, role))


def split_field(entry: str) -> tuple[str, str]:
    """"g06f : 3" -> ("G06F", "3"); "G06F" -> ("G06F", "") (the schema's default applies)."""
    code, _colon, level = PAIR_SPLIT.sub(":", entry, count=1).partition(":")
    return code.replace(" ", "").upper(), level.strip()


def flat_messages(messages) -> list[str]:
    """marshmallow's nested messages (fields.0.code ...) -> the strings in them."""
    if isinstance(messages, str):
        return [messages]
    values = messages.values() if isinstance(messages, dict) else messages
    return [m for value in values for m in flat_messages(value)]


# -- the whole file ----------------------------------------------------------------------------

def check(rows: list[Row]) -> Report:
    """Every row checked against the schema, the reference data and the registry, and against
    the rows above it (a duplicate is reported on the later row)."""
    lookups = Lookups.load(rows)
    schema = ExpertSchema()
    checked = [RowCheck(row, lookups).run(schema) for row in rows]
    seen: dict[tuple[str, str, str], int] = {}
    for item in checked:
        for problem in duplicates(item.row, lookups, seen):
            item.problems.append(problem)
            item.data = None
    new = sorted({name for item in checked if item.good for name, _role in item.affiliations
                  if name not in lookups.organizations})
    return Report(checked, new, lookups)


def duplicates(row: Row, lookups: Lookups, seen: dict) -> list[Problem]:
    name = normal(row.cells.get("name", ""))
    if not name:
        return []
    found = []
    for key, contact, registry in (("email", row.cells.get("email", "").lower(), lookups.by_email),
                                   ("phone", normal_phone(row.cells.get("phone", "")),
                                    lookups.by_phone)):
        if not contact:
            continue
        earlier = seen.setdefault((key, name, contact), row.number)
        if (name, contact) in registry:
            template = N_("an expert of this name with this e-mail is already in the registry") \
                if key == "email" else \
                N_("an expert of this name with this phone is already in the registry")
            found.append(Problem(row.number, key, row.letters.get(key), template))
        elif earlier != row.number:
            template = N_("same name and e-mail as row {row}") if key == "email" else \
                N_("same name and phone as row {row}")
            found.append(Problem(row.number, key, row.letters.get(key), template,
                                 {"row": earlier}))
    return found
