"""The rules of the experts' import and export, without HTTP: the file, each row, the commit."""

import csv
import io
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import (
    Affiliation,
    AuditEvent,
    Expert,
    ExpertImport,
    ImportStatus,
    InvalidTransition,
    IpcField,
    Organization,
    OrganizationKind,
    User,
    UserRole,
)
from registry.services import expert_export, expert_import, expert_sheet
from registry.services.expert_import_checks import check
from registry.services.expert_sheet import COLUMNS, SheetError, read

HEADERS = [column.header for column in COLUMNS]
GOOD = {"name": "王芳", "roles": "investigator", "home_city": "shanghai",
        "appointing_body": "sh_ipc", "appointed_from": "2025-01-01",
        "appointed_until": "2027-12-31", "fields": "G06F:3; H04L:2", "languages": "zh; en",
        "max_concurrent": "4", "max_travel_km": "300", "email": "wang.fang@example.cn",
        "phone": "+86 138 0013 8000", "affiliations": "复旦大学:professor"}


@pytest.fixture
def registry(make):
    """Cities (from the builders), a few IPC codes, the Shanghai IP Court as sh_ipc, an admin."""
    make.geography()
    for code, level in (("G", "section"), ("G06", "class"), ("G06F", "subclass"),
                        ("H", "section"), ("H04", "class"), ("H04L", "subclass"),
                        ("A", "section"), ("A61", "class"), ("A61K", "subclass")):
        db.session.add(IpcField(code=code, level=level, title_en=code, title_zh=code,
                                parent_code=None))
    db.session.flush()
    body = make.body("shanghai", name="上海知识产权法院", name_en="Shanghai IP Court",
                     registry_id="sh_ipc")
    company = make.organization(name="复旦大学", kind=OrganizationKind.UNIVERSITY)
    admin = make.user(UserRole.ADMIN)
    db.session.commit()
    return {"body": body, "company": company, "admin": admin}


def csv_bytes(*rows: dict, headers=HEADERS, bom=True) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(headers)
    keys = [c.key for c in COLUMNS]
    for row in rows:
        writer.writerow([row.get(key, "") for key in keys])
    return (("\ufeff" if bom else "") + out.getvalue()).encode()


def xlsx_bytes(*rows: dict, gap: bool = False) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    if gap:
        sheet.append([])
    for row in rows:
        sheet.append([row.get(c.key) or None for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def report_of(*rows: dict):
    return check(read("experts.csv", csv_bytes(*rows)))


def problems_of(row: dict) -> list[tuple[str | None, str]]:
    """(column, message template) of the one row's problems."""
    report = report_of({**GOOD, **row})
    return [(p.column, p.template) for p in report.rows[0].problems]


# -- the file ----------------------------------------------------------------------------------

def test_csv_with_and_without_a_byte_order_mark_reads_the_same(registry):
    with_bom = read("a.csv", csv_bytes(GOOD))
    without = read("a.csv", csv_bytes(GOOD, bom=False))
    assert with_bom[0].cells == without[0].cells == GOOD
    assert with_bom[0].number == 2


def test_xlsx_rows_are_numbered_as_the_spreadsheet_shows_them(registry):
    rows = read("a.xlsx", xlsx_bytes(GOOD, {**GOOD, "name": "李雷"}, gap=True))
    assert [r.number for r in rows] == [3, 4]
    assert rows[0].cells["max_concurrent"] == "4"  # a number cell, without ".0"
    assert rows[0].letters["home_city"] == "C"


def test_headers_may_be_chinese_or_english_alone(registry):
    headers = [c.zh if i % 2 else c.en.upper() for i, c in enumerate(COLUMNS)]
    assert read("a.csv", csv_bytes(GOOD, headers=headers))[0].cells == GOOD


@pytest.mark.parametrize(("filename", "content", "template"), [
    ("a.csv", b"", "The file is empty."),
    ("a.csv", b"\n\n", "The file is empty."),
    ("a.csv", ",".join(HEADERS).encode(), "The file has no rows below its header."),
    ("a.csv", "姓名,角色\n张三,x\n".encode("gb18030"),
     "The file is not UTF-8 text: in Excel, save it as “CSV UTF-8”."),
    ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 100,
     "Old Excel files (.xls) cannot be read: save the sheet as .xlsx or as CSV UTF-8."),
    ("a.pdf", b"%PDF-1.4", "Only CSV files (UTF-8) and Excel .xlsx files can be imported."),
    ("a.xlsx", b"PK\x03\x04broken", "The Excel file cannot be read."),
    ("a.xlsx", b"not a zip", "Only CSV files (UTF-8) and Excel .xlsx files can be imported."),
])
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(registry, filename, content,
                                                          template):
    with pytest.raises(SheetError) as refused:
        read(filename, content)
    assert refused.value.template == template
    assert refused.value.field == "file"


def test_a_file_over_the_size_limit_is_refused(registry, monkeypatch):
    monkeypatch.setattr(expert_sheet, "MAX_BYTES", 100)
    with pytest.raises(SheetError, match="larger than"):
        read("a.csv", csv_bytes(GOOD))


def test_an_xlsx_that_unzips_too_large_is_refused(registry, monkeypatch):
    monkeypatch.setattr(expert_sheet, "MAX_UNZIPPED_BYTES", 1000)
    with pytest.raises(SheetError, match="larger than"):
        read("a.xlsx", xlsx_bytes(GOOD))


def test_too_many_rows_are_refused(registry, monkeypatch):
    monkeypatch.setattr(expert_sheet, "MAX_ROWS", 2)
    with pytest.raises(SheetError, match="more than 2 rows"):
        read("a.csv", csv_bytes(GOOD, GOOD, GOOD))


@pytest.mark.parametrize(("headers", "message"), [
    (HEADERS + ["备注 / notes"], "unknown header"),
    (HEADERS + ["name"], "appears twice"),
    ([h for h in HEADERS if not h.startswith("技术领域")], "Required columns are missing"),
])
def test_headers_must_be_the_templates(registry, headers, message):
    with pytest.raises(SheetError, match=message):
        read("a.csv", csv_bytes(headers=headers))


def test_blank_lines_are_skipped_and_missing_optional_columns_are_fine(registry):
    headers = ["姓名 / name", "角色 / roles", "常住城市 / home city", "技术领域 / fields"]
    content = ",".join(headers) + "\n\n王芳,investigator,上海,G06F\n,,,\n"
    rows = read("a.csv", content.encode())
    assert len(rows) == 1 and rows[0].number == 3
    report = check(rows)
    assert report.rows[0].good, report.rows[0].problems


# -- one row: the refusals ---------------------------------------------------------------------

def test_a_good_row_loads_through_the_experts_schema(registry):
    item = report_of(GOOD).rows[0]
    assert item.good, item.problems
    assert item.data["home_city_code"] == "shanghai"
    assert item.data["appointing_body_id"] == registry["body"].id
    assert item.data["fields"] == [{"ipc_code": "G06F", "proficiency": 3},
                                   {"ipc_code": "H04L", "proficiency": 2}]
    assert item.data["appointed_until"] == date(2027, 12, 31)
    assert item.affiliations == [("复旦大学", "professor")]


@pytest.mark.parametrize("key", ["name", "roles", "home_city", "fields"])
def test_a_required_value_is_missing(registry, key):
    assert problems_of({key: ""}) == [(key, "a value is required")]


FORMULA = ("starts with {char}, which a spreadsheet would run as a formula; remove that "
           "character")
CONTROL = "contains an invisible control character (U+{code})"


@pytest.mark.parametrize(("key", "value"), [
    ("name", "=HYPERLINK(\"http://evil\",\"x\")"), ("name", "+1"), ("name", "-2+3"),
    ("name", "@SUM(A1)"), ("affiliations", "=cmd|' /C calc'!A0"), ("email", "@x.cn"),
    ("phone", "=1+1"), ("phone", "+cmd"), ("max_travel_km", "-5"), ("fields", "=G06F"),
    ("name", "'=1+1"),  # our export's escape comes off: what is under it is checked
])
def test_a_cell_that_would_run_as_a_formula_is_refused(registry, key, value):
    assert problems_of({key: value}) == [(key, FORMULA)]


def test_an_xlsx_formula_cell_is_refused(registry):
    book = Workbook()
    book.active.append(HEADERS)
    book.active.append([GOOD[c.key] for c in COLUMNS])
    book.active["A2"] = "=CONCATENATE(\"王\",\"芳\")"
    out = io.BytesIO()
    book.save(out)
    report = check(read("a.xlsx", out.getvalue()))
    assert [(p.column, p.letter, p.template) for p in report.rows[0].problems] == \
        [("name", "A", FORMULA)]


@pytest.mark.parametrize("value", ["王\x07芳", "王\x00芳", "王\u202e芳", "王\x85芳", "王\u2066芳"])
def test_a_control_character_is_refused(registry, value):
    assert problems_of({"name": value}) == [("name", CONTROL)]


@pytest.mark.parametrize("phone", ["+86 138 0013 8000", "'+86 138-0013-8000", "13800138000"])
def test_a_phone_number_may_start_with_plus(registry, phone):
    assert problems_of({"phone": phone}) == []


@pytest.mark.parametrize("city", ["shanghai", "上海市", "上海", "SHANGHAI", "  Shanghai "])
def test_the_home_city_is_a_code_or_a_name(registry, city):
    assert problems_of({"home_city": city}) == []


def test_an_unknown_city_is_refused(registry):
    assert problems_of({"home_city": "Atlantis"}) == [
        ("home_city", "no city “{value}” in the registry: use its code (such as shanghai) or "
                      "its Chinese or English name")]


@pytest.mark.parametrize("body", ["sh_ipc", "SH_IPC", "上海知识产权法院", "shanghai ip court"])
def test_the_appointing_body_is_a_code_or_a_name(registry, body):
    assert problems_of({"appointing_body": body}) == []


def test_an_unknown_appointing_body_is_refused(registry):
    assert problems_of({"appointing_body": "xx_court"})[0][0] == "appointing_body"
    assert "no appointing body" in problems_of({"appointing_body": "xx_court"})[0][1]


def test_an_appointing_body_must_handle_cases(registry):
    assert problems_of({"appointing_body": "复旦大学"}) == [
        ("appointing_body", "“{value}” is not a court, IP administration or arbitration "
                            "institution")]


@pytest.mark.parametrize(("key", "value"), [("appointed_from", "2026-13-01"),
                                            ("appointed_from", "next year"),
                                            ("appointed_until", "31.12.2027"),
                                            ("appointed_until", "2027-02-30")])
def test_a_bad_date_is_refused(registry, key, value):
    assert problems_of({key: value}) == [(key, "“{value}” is not a date such as 2026-12-31")]


def test_dates_as_excel_shows_them_in_chinese_are_accepted(registry):
    item = report_of({**GOOD, "appointed_from": "2025/1/1", "appointed_until": "2027.12.31"})
    assert item.rows[0].good and item.rows[0].data["appointed_from"] == date(2025, 1, 1)


def test_a_term_that_ends_before_it_starts_is_refused(registry):
    assert problems_of({"appointed_from": "2027-01-01", "appointed_until": "2026-01-01"}) == [
        ("appointed_until", "the appointment ends ({end}) before it starts ({start})")]


def test_an_unknown_ipc_code_is_refused(registry):
    assert problems_of({"fields": "G06F:3; H99Z:2"}) == [("fields", "unknown IPC code {code}")]


def test_a_main_group_of_a_known_subclass_is_accepted_and_proficiency_defaults(registry):
    item = report_of({**GOOD, "fields": "g06f30；A61K"}).rows[0]
    assert item.good, item.problems
    assert item.data["fields"] == [{"ipc_code": "G06F30", "proficiency": 2},
                                   {"ipc_code": "A61K", "proficiency": 2}]


@pytest.mark.parametrize(("fields", "template"), [
    ("G06F:5", "“{entry}”: the proficiency after the code is 1, 2 or 3, as in G06F:3"),
    ("G06F:high", "“{entry}”: the proficiency after the code is 1, 2 or 3, as in G06F:3"),
    ("G6F:3", "'G6F' is not an IPC code such as G, G06, G06F or G06F30"),
    ("G06F:3; G06F:2", "each IPC code may appear once"),
])
def test_a_bad_field_is_refused(registry, fields, template):
    assert problems_of({"fields": fields}) == [("fields", template)]


@pytest.mark.parametrize(("key", "value", "message"), [
    ("roles", "judge", "Must be one of: investigator, arbitrator, consultant."),
    ("languages", "english", "'english' is not a language code such as zh, en or yue"),
    ("max_concurrent", "many", "Not a valid integer."),
    ("max_concurrent", "3.5", "Not a valid integer."),
    ("max_concurrent", "0", "Must be greater than or equal to 1 and less than or equal to 50."),
    ("max_travel_km", "far", "Not a valid number."),
    ("max_travel_km", "6000",
     "Must be greater than or equal to 0 and less than or equal to 5000."),
    ("max_travel_km", "nan", "Special numeric values (nan or infinity) are not permitted."),
    ("email", "not-an-address", "Not a valid email address."),
    ("phone", "call me", "'call me' is not a phone number"),
    ("name", "名" * 101, "Length must be between 1 and 100."),
])
def test_the_experts_schema_refuses_what_the_api_refuses(registry, key, value, message):
    assert problems_of({key: value}) == [(key, message)]


def test_roles_may_be_written_in_chinese(registry):
    item = report_of({**GOOD, "roles": "技术调查官；仲裁员"}).rows[0]
    assert item.good and item.data["role_names"] == ["investigator", "arbitrator"]


def test_a_long_email_and_a_bad_affiliation_are_refused(registry):
    assert problems_of({"email": "a" * 196 + "@x.cn"}) == [
        ("email", "longer than {max} characters")]
    assert problems_of({"affiliations": "复旦大学:" + "r" * 61})[0][0] == "affiliations"
    assert problems_of({"affiliations": ":professor"})[0][0] == "affiliations"


def test_problems_of_several_columns_are_all_reported(registry):
    found = problems_of({"home_city": "Atlantis", "fields": "", "max_concurrent": "x"})
    assert {column for column, _template in found} == {"home_city", "fields", "max_concurrent"}


# -- duplicates --------------------------------------------------------------------------------

def test_a_row_repeating_an_earlier_one_is_reported_on_the_later_row(registry):
    second = {**GOOD, "name": " 王芳 ", "email": "WANG.FANG@example.cn", "phone": ""}
    third = {**GOOD, "email": "", "phone": "13800138000"}  # +86 138 0013 8000 again
    other = {**GOOD, "name": "王芳芳", "email": "wang.fang@example.cn", "phone": ""}
    report = report_of(GOOD, second, third, other)
    assert report.rows[0].good and report.rows[3].good
    assert [(p.column, p.params) for p in report.rows[1].problems] == [("email", {"row": 2})]
    assert [(p.column, p.params) for p in report.rows[2].problems] == [("phone", {"row": 2})]


def test_an_expert_already_in_the_registry_is_reported(registry, make):
    make.expert(name="王芳", email="wang.fang@example.cn", phone="999")
    db.session.commit()
    assert problems_of({}) == [
        ("email", "an expert of this name with this e-mail is already in the registry")]


# -- the commit --------------------------------------------------------------------------------

def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def upload_of(registry, *rows):
    upload = expert_import.store("experts.csv", csv_bytes(*rows), registry["admin"])
    db.session.commit()
    return upload


def test_every_row_good_imports_all_in_one_go_with_one_import_event(registry):
    new_company = {**GOOD, "name": "李雷", "email": "li@example.cn", "phone": "",
                   "affiliations": "华为技术有限公司:employee; 复旦大学:adjunct"}
    upload = upload_of(registry, GOOD, new_company)
    summary = expert_import.commit(upload, expert_import.ALL_ROWS, 2, registry["admin"])
    db.session.commit()
    assert summary["imported"] == 2 and summary["organizations_created"] == ["华为技术有限公司"]
    huawei = db.session.scalar(select(Organization).where(Organization.name == "华为技术有限公司"))
    assert huawei.kind is OrganizationKind.COMPANY
    li = db.session.scalar(select(Expert).where(Expert.name == "李雷"))
    assert sorted((a.organization.name, a.role) for a in li.affiliations) == [
        ("华为技术有限公司", "employee"), ("复旦大学", "adjunct")]
    assert li.jurisdiction_code == "SH" and li.max_travel_km == 300
    imports = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import")).all()
    assert len(imports) == 1 and imports[0].after["file"] == "experts.csv"
    assert imports[0].after["imported"] == 2
    creates = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "expert",
                                                          AuditEvent.action == "create")).all()
    assert len(creates) == 2
    assert upload.status is ImportStatus.IMPORTED and upload.content == b""


def test_all_rows_imports_nothing_when_one_row_is_wrong(registry):
    upload = upload_of(registry, GOOD, {**GOOD, "name": "李雷", "home_city": "Atlantis"})
    assert expert_import.commit(upload, expert_import.ALL_ROWS, 1, registry["admin"]) is None
    db.session.rollback()
    assert count(Expert) == 0 and upload.status is ImportStatus.PENDING


def test_good_rows_only_imports_the_good_rows(registry):
    upload = upload_of(registry, {**GOOD, "home_city": "Atlantis"},
                       {**GOOD, "name": "李雷", "email": "li@example.cn"})
    summary = expert_import.commit(upload, expert_import.GOOD_ROWS, 1, registry["admin"])
    db.session.commit()
    assert summary["skipped_rows"] == [2]
    assert db.session.scalars(select(Expert.name)).all() == ["李雷"]


def test_the_commit_checks_again_and_stops_when_the_registry_changed(registry, make):
    upload = upload_of(registry, GOOD, {**GOOD, "name": "李雷", "email": "li@example.cn"})
    make.expert(name="李雷", email="li@example.cn")  # added since the preview
    db.session.commit()
    assert expert_import.commit(upload, expert_import.GOOD_ROWS, 2, registry["admin"]) is None


def test_an_import_is_committed_once(registry):
    upload = upload_of(registry, GOOD)
    expert_import.commit(upload, expert_import.ALL_ROWS, 1, registry["admin"])
    db.session.commit()
    with pytest.raises(InvalidTransition) as refused:
        expert_import.commit(upload, expert_import.ALL_ROWS, 1, registry["admin"])
    assert refused.value.status == 409 and refused.value.params == {"status": "imported"}
    db.session.rollback()
    assert count(Expert) == 1


def test_a_discarded_upload_cannot_be_committed(registry):
    upload = upload_of(registry, GOOD)
    expert_import.discard(upload, registry["admin"])
    db.session.commit()
    with pytest.raises(InvalidTransition):
        expert_import.commit(upload, expert_import.ALL_ROWS, 1, registry["admin"])


def test_an_unreadable_file_is_not_stored(registry):
    with pytest.raises(SheetError):
        expert_import.store("experts.txt", b"hello", registry["admin"])


def test_the_stored_file_name_keeps_chinese_and_drops_folders(registry):
    upload = expert_import.store("C:\\Users\\王\\专家名单.csv", csv_bytes(GOOD),
                                 registry["admin"])
    assert upload.filename == "专家名单.csv"


# -- the export --------------------------------------------------------------------------------

def exported_rows(content: bytes, kind: str) -> list[list[str]]:
    if kind == "csv":
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    sheet = load_workbook(io.BytesIO(content)).active
    return [[cell.value or "" for cell in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_export_escapes_every_cell_that_could_run_as_a_formula(registry, make, kind):
    make.expert(name="=HYPERLINK(\"http://evil\")", phone="+86 138 0013 8000",
                email="@evil.cn")
    db.session.commit()
    content, _count = expert_export.export(registry["admin"], kind, date(2026, 12, 1))
    header, row = exported_rows(content, kind)
    assert header == HEADERS
    assert row[0] == "'=HYPERLINK(\"http://evil\")"
    assert row[10] == "'@evil.cn" and row[11] == "'+86 138 0013 8000"
    if kind == "xlsx":
        cell = load_workbook(io.BytesIO(content)).active["A2"]
        assert cell.data_type == "s"


def test_the_template_is_the_header_row(registry):
    assert exported_rows(expert_export.template("csv"), "csv") == [HEADERS]
    assert exported_rows(expert_export.template("xlsx"), "xlsx") == [HEADERS]


def test_contacts_are_exported_only_to_whoever_may_see_them(registry, make):
    expert = make.expert(name="王芳", email="w@example.cn", phone="13800138000")
    outsider = make.user(UserRole.COORDINATOR, region="GBA")
    coordinator = make.user(UserRole.COORDINATOR, region="SH")
    hidden = expert_export.record_of(expert, outsider, date(2026, 12, 1))
    shown = expert_export.record_of(expert, coordinator, date(2026, 12, 1))
    assert hidden["email"] == hidden["phone"] == "" and hidden["name"] == "王芳"
    assert (shown["email"], shown["phone"]) == ("w@example.cn", "13800138000")


def test_a_coordinator_exports_only_its_region(registry, make):
    make.expert(name="沪", city="shanghai")
    make.expert(name="粤", city="shenzhen")
    coordinator = make.user(UserRole.COORDINATOR, region="SH")
    content, count_ = expert_export.export(coordinator, "csv", date(2026, 12, 1))
    assert count_ == 1 and "沪" in content.decode("utf-8-sig")


def test_an_ended_affiliation_is_left_out(registry, make):
    expert = make.expert(name="王芳", affiliations=[registry["company"]])
    expert.affiliations[0].end = date(2020, 1, 1)
    assert expert_export.record_of(expert, registry["admin"], date(2026, 1, 1))[
        "affiliations"] == ""


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_round_trip_export_then_import_into_an_empty_registry(registry, make, kind):
    huawei = make.organization(name="华为技术有限公司")
    make.expert(name="王芳", roles=("investigator", "arbitrator"), fields={"G06F": 3, "H04L": 1},
                languages=("zh", "en"), affiliations=[huawei, registry["company"]],
                appointing_body_id=registry["body"].id, appointed_from=date(2025, 1, 1),
                appointed_until=date(2028, 6, 30), max_travel_km=12.5, max_concurrent=7,
                phone="+86 21 5555 0000")
    make.expert(name="李雷", city="hangzhou", email=None, phone=None, fields={"A61K": 2})
    db.session.commit()
    admin, today = registry["admin"], date(2026, 12, 1)
    before = sorted(map(sorted_record, (expert_export.record_of(e, admin, today)
                                        for e in expert_export.experts_for(admin))))
    content, _count = expert_export.export(admin, kind, today)
    for expert in db.session.scalars(select(Expert)):
        db.session.delete(expert)
    db.session.commit()
    assert count(Expert) == 0 and count(Affiliation) == 0

    upload = expert_import.store(f"experts.{kind}", content, admin)
    summary = expert_import.commit(upload, expert_import.ALL_ROWS, 2, admin)
    db.session.commit()
    assert summary["imported"] == 2 and summary["organizations_created"] == []
    db.session.expire_all()
    after = sorted(map(sorted_record, (expert_export.record_of(e, admin, today)
                                       for e in expert_export.experts_for(admin))))
    assert after == before


def sorted_record(record: dict) -> tuple:
    return tuple(sorted(record.items()))


@pytest.mark.skipif("postgresql" not in os.environ.get("TEST_DATABASE_URL", ""),
                    reason="SQLite runs one writer at a time; the lock is PostgreSQL's")
def test_two_uploads_of_the_same_expert_committed_at_once_import_it_once(app, registry):
    admin_id = registry["admin"].id
    uploads = [expert_import.store(f"pool-{n}.csv", csv_bytes(GOOD), registry["admin"]).id
               for n in (1, 2)]
    db.session.commit()
    both_ready = threading.Barrier(2)

    def commit(upload_id: int) -> str:
        with app.app_context():
            try:
                upload = db.session.get(ExpertImport, upload_id)
                actor = db.session.get(User, admin_id)
                both_ready.wait(timeout=10)
                done = expert_import.commit(upload, expert_import.ALL_ROWS, 1, actor)
                if done is None:
                    db.session.rollback()
                    return "refused"
                time.sleep(0.2)  # hold the lock, so the other commit must wait for it
                db.session.commit()
                return "imported"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(commit, uploads))
    assert outcomes == ["imported", "refused"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Expert)
                             .where(Expert.name == GOOD["name"])) == 1
