"""The experts' spreadsheet: its columns, reading an upload (CSV or .xlsx), writing a file.

The same template serves the import and the export. Headers are bilingual ("姓名 / name");
an uploaded header may also be just the Chinese or just the English part. Reading turns a file
into `Row`s of text cells keyed by column; whether a value is right is expert_import's business.
See docs/import-template.md.
"""

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from registry.i18n import N_
from registry.models import DomainError


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    required: bool = False

    @property
    def header(self) -> str:
        return f"{self.zh} / {self.en}"


COLUMNS = (
    Column("name", "姓名", "name", required=True),
    Column("roles", "角色", "roles", required=True),
    Column("home_city", "常住城市", "home city", required=True),
    Column("appointing_body", "聘任机构", "appointing body"),
    Column("appointed_from", "聘任起始日", "appointed from"),
    Column("appointed_until", "聘任截止日", "appointed until"),
    Column("fields", "技术领域", "fields", required=True),
    Column("languages", "语言", "languages"),
    Column("max_concurrent", "最多同时承办案件数", "max concurrent cases"),
    Column("max_travel_km", "出行距离上限（公里）", "travel limit km"),
    Column("email", "电子邮箱", "email"),
    Column("phone", "电话", "phone"),
    Column("affiliations", "任职单位", "affiliations"),
)
BY_KEY = {column.key: column for column in COLUMNS}

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024  # an .xlsx is a zip: refuse a zip bomb before parsing
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary Excel format (OLE)
# Lists in a cell: "zh; en", "G06F:3; H04L:2" (full-width ；and ： too, as Chinese IMEs type).
LIST_SPLIT = re.compile(r"[;；]")
PAIR_SPLIT = re.compile(r"[:：]")

# A spreadsheet reads a cell starting with one of these as a formula (CSV injection); a tab or
# carriage return in front hides one from a reader's eye.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# Bidirectional embedding, override and isolate controls: invisible, and they reorder text.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# The one legitimate leading "+": an international phone number, and only in the phone column.
PHONE_WITH_PLUS = re.compile(r"^\+[0-9 \-]{5,20}$")


class SheetError(DomainError):
    """The file as a whole cannot be read (type, size, encoding, header): no row report."""

    def __init__(self, message: str, **params):
        super().__init__(message, field="file", **params)


@dataclass
class Row:
    number: int                      # as the spreadsheet shows it (the header is row 1)
    cells: dict[str, str]            # column key -> text as typed, spaces around it removed
    letters: dict[str, str]          # column key -> the column's letter in this file (A, B ...)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# -- safety of a cell --------------------------------------------------------------------------

def is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS


def unescape(text: str) -> str:
    """Our export's escape ("'" before a formula character) is taken off before any check."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_START:
        return text[1:]
    return text


def unsafe_start(key: str, text: str) -> str | None:
    """The character that would make a spreadsheet read the cell as a formula, if any."""
    stripped = text.lstrip(" \u3000")
    if not stripped or stripped[0] not in FORMULA_START:
        return None
    if key == "phone" and PHONE_WITH_PLUS.match(stripped):
        return None
    return stripped[0]


def escape(value: str) -> str:
    """A cell of an export: a leading formula character gets a "'" so it stays text."""
    return f"'{value}" if value.lstrip(" \u3000")[:1] in FORMULA_START and value else value


# -- cells holding lists ---------------------------------------------------------------------

def affiliation_pairs(text: str) -> list[tuple[str, str]]:
    """"华为技术有限公司:employee; 复旦大学:professor" -> pairs; the last colon splits."""
    pairs = []
    for entry in LIST_SPLIT.split(text):
        if entry.strip():
            parts = PAIR_SPLIT.split(entry)
            name, role = (":".join(parts[:-1]), parts[-1]) if len(parts) > 1 else (entry, "")
            pairs.append((name.strip(), role.strip() or "employee"))
    return pairs


def items(text: str) -> list[str]:
    """"zh; en;" -> ["zh", "en"]."""
    return [item.strip() for item in LIST_SPLIT.split(text) if item.strip()]


# -- reading -----------------------------------------------------------------------------------

def cell_text(value) -> str:
    """An .xlsx cell as text: whole numbers without ".0", dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read(filename: str, content: bytes) -> list[Row]:
    """The data rows of an uploaded file, or a SheetError saying why it cannot be read."""
    if not content:
        raise SheetError(N_("The file is empty."))
    if len(content) > MAX_BYTES:
        raise SheetError(N_("The file is larger than {limit} MB."), limit=MAX_BYTES // 2**20)
    name = filename.lower()
    if content.startswith(XLS_MAGIC) or name.endswith(".xls"):
        raise SheetError(N_("Old Excel files (.xls) cannot be read: save the sheet as .xlsx or "
                            "as CSV UTF-8."))
    if content.startswith(XLSX_MAGIC) and name.endswith(".xlsx"):
        grid = xlsx_grid(content)
    elif name.endswith(".csv") and not content.startswith(XLSX_MAGIC):
        grid = csv_grid(content)
    else:
        raise SheetError(N_("Only CSV files (UTF-8) and Excel .xlsx files can be imported."))
    return rows_of(grid)


def csv_grid(content: bytes):
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SheetError(N_("The file is not UTF-8 text: in Excel, save it as "
                            "“CSV UTF-8”.")) from None
    try:
        return [(number, row) for number, row in
                enumerate(csv.reader(io.StringIO(text, newline="")), start=1)]
    except csv.Error:
        raise SheetError(N_("The file is not a readable CSV file.")) from None


def xlsx_grid(content: bytes):
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unzipped = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        raise SheetError(N_("The Excel file cannot be read.")) from None
    if unzipped > MAX_UNZIPPED_BYTES:
        raise SheetError(N_("The file is larger than {limit} MB."),
                         limit=MAX_UNZIPPED_BYTES // 2**20)
    try:
        return first_sheet(content)
    except Exception:  # openpyxl raises many kinds on a broken file; all mean the same here
        raise SheetError(N_("The Excel file cannot be read.")) from None


def first_sheet(content: bytes) -> list[tuple[int, list[str]]]:
    """The first worksheet's non-empty rows with their numbers; formulas come as their text."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    sheet = book.worksheets[0]
    sheet.reset_dimensions()  # some writers record a wrong size; read what is there
    grid = []
    # Gaps come back as empty rows, so counting from 1 gives the numbers Excel shows.
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if any(v is not None for v in values):
            grid.append((number, [cell_text(v) for v in values]))
        if len(grid) > MAX_ROWS + 1:  # the limit is reported by rows_of; stop reading here
            break
    book.close()
    return grid


def header_keys(header: list[str]) -> dict[int, str]:
    """Which column each header cell names; a SheetError for unknown, repeated or missing ones."""
    known = {}
    for column in COLUMNS:
        for name in (column.header, column.zh, column.en, column.key):
            known[normal_header(name)] = column.key
    keys: dict[int, str] = {}
    for index, text in enumerate(header):
        if not text.strip():
            continue
        key = known.get(normal_header(text))
        if key is None:
            raise SheetError(N_("Column {letter} has an unknown header “{header}”; use the "
                                "template's headers."), letter=column_letter(index),
                             header=text.strip()[:60])
        if key in keys.values():
            raise SheetError(N_("The column “{header}” appears twice."), header=BY_KEY[key].header)
        keys[index] = key
    missing = [c.header for c in COLUMNS if c.required and c.key not in keys.values()]
    if missing:
        raise SheetError(N_("Required columns are missing: {columns}."),
                         columns="; ".join(missing))
    return keys


def normal_header(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\ufeff", "").strip().casefold()).replace(" / ", "/")


def rows_of(grid) -> list[Row]:
    """Header first (the first row with any text), then one Row per non-blank line."""
    lines = [(number, [str(v) for v in values]) for number, values in grid]
    lines = [(n, values) for n, values in lines if any(v.strip() for v in values)]
    if not lines:
        raise SheetError(N_("The file is empty."))
    (_, header), data = lines[0], lines[1:]
    keys = header_keys(header)
    if not data:
        raise SheetError(N_("The file has no rows below its header."))
    if len(data) > MAX_ROWS:
        raise SheetError(N_("The file has more than {limit} rows; split it into several "
                            "files."), limit=MAX_ROWS)
    letters = {key: column_letter(index) for index, key in keys.items()}
    rows = []
    for number, values in data:
        cells = {key: unescape(values[index].strip(" \u3000")) if index < len(values) else ""
                 for index, key in keys.items()}
        rows.append(Row(number, cells, letters))
    return rows


# -- writing -----------------------------------------------------------------------------------

def list_cell(values) -> str:
    return "; ".join(values)


def write_csv(records: list[dict[str, str]]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel shows the Chinese as Chinese."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([column.header for column in COLUMNS])
    for record in records:
        writer.writerow([escape(record.get(column.key, "")) for column in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(records: list[dict[str, str]]) -> bytes:
    """Every cell is written as text; one that starts like a formula is also escaped."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("experts")
    sheet.append([column.header for column in COLUMNS])
    for record in records:
        row = []
        for column in COLUMNS:
            cell = WriteOnlyCell(sheet, value=escape(record.get(column.key, "")))
            cell.data_type = "s"  # never a formula, whatever the text
            row.append(cell)
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
