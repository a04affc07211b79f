"""The admin's import and export pages: upload, report, commit (all or good rows), export."""

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import AuditEvent, Expert, ExpertImport, IpcField, UserRole
from registry.services.expert_sheet import COLUMNS
from tests.web.conftest import PASSWORD
from tests.web.test_templates_never_query import statements_while_rendering

HEADERS = [column.header for column in COLUMNS]
GOOD = {"name": "王芳", "roles": "investigator", "home_city": "shanghai", "fields": "G06F:3",
        "email": "wang.fang@example.cn", "phone": "+86 138 0013 8000"}


@pytest.fixture
def ipc(app):
    for code, level in (("G", "section"), ("G06", "class"), ("G06F", "subclass")):
        db.session.add(IpcField(code=code, level=level, title_en=code, title_zh=code))
    db.session.commit()


@pytest.fixture
def admin(sign_in, world, ipc):
    return sign_in("admin")


def csv_file(*rows: dict) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow([row.get(c.key, "") for c in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode()


def upload(client, content: bytes, filename="experts.csv", **query):
    return client.post("/admin/experts/import", query_string=query,
                       data={"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def experts() -> int:
    return db.session.scalar(select(func.count()).select_from(Expert))


def text(response) -> str:
    return response.get_data(as_text=True)


def uploaded(client, *rows) -> tuple[int, str]:
    """Upload rows; return the import's id and its report page."""
    response = upload(client, csv_file(*rows))
    assert response.status_code == 302, text(response)
    import_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return import_id, text(client.get(f"/admin/experts/import/{import_id}"))


TWO_BAD = (GOOD, {**GOOD, "name": "李雷", "home_city": "Atlantis", "email": "li@example.cn"},
           {**GOOD, "name": "韩梅梅", "email": "han@example.cn", "max_concurrent": "many"})


def test_only_admins_reach_the_import(client, sign_in, world):
    sign_in("coordinator_yrd")
    assert client.get("/admin/experts/import").status_code == 403
    assert client.get("/admin/experts/export.csv").status_code == 403
    assert upload(client, csv_file(GOOD)).status_code == 403


def test_the_upload_page_offers_templates_and_exports(client, admin):
    page = text(client.get("/admin/experts/import"))
    for link in ("/admin/experts/template.xlsx", "/admin/experts/template.csv",
                 "/admin/experts/export.xlsx", "/admin/experts/export.csv"):
        assert link in page
    assert 'enctype="multipart/form-data"' in page and "<script>" not in page


def test_the_report_shows_each_bad_row_with_its_column_and_imports_nothing(client, admin):
    before = experts()
    import_id, page = uploaded(client, *TWO_BAD)
    assert "C · 常住城市 / home city" in page and "Atlantis" in page
    assert "最多同时承办案件数 / max concurrent cases" in page
    assert re.search(r'id="bad-count">2<', page) and re.search(r'id="good-count">1<', page)
    assert "Import only the 1 good rows" in text(client.get(
        f"/admin/experts/import/{import_id}?lang=en"))
    english = text(client.get(f"/admin/experts/import/{import_id}?lang=en"))
    assert "Row 3" in english and "Row 4" in english and "no city “Atlantis”" in english
    assert "Not a valid integer." in english
    assert experts() == before


def test_all_rows_refuses_a_file_with_a_bad_row(client, admin):
    before = experts()
    import_id, _page = uploaded(client, *TWO_BAD)
    response = client.post(f"/admin/experts/import/{import_id}/commit",
                           data={"mode": "all", "expected": "3"})
    assert response.status_code == 409
    assert experts() == before
    assert db.session.get(ExpertImport, import_id).status.value == "pending"


def test_good_rows_only_imports_them_with_a_summary_and_an_audit_event(client, admin):
    before = experts()
    import_id, _page = uploaded(client, *TWO_BAD)
    response = client.post(f"/admin/experts/import/{import_id}/commit",
                           data={"mode": "good_rows", "expected": "1"})
    assert response.status_code == 302
    summary = text(client.get(response.headers["Location"] + "?lang=en"))
    assert "王芳" in summary and re.search(r'id="imported-count">1<', summary)
    assert re.search(r'id="skipped-count">2 \(rows 3, 4\)', summary)
    assert experts() == before + 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "import"))
    assert event.after["file"] == "experts.csv" and event.after["skipped"] == 2


def test_a_clean_file_is_imported_whole(client, admin):
    import_id, page = uploaded(client, GOOD, {**GOOD, "name": "李雷", "email": "li@x.cn"})
    assert 'name="mode" value="all"' in page and "good_rows" not in page
    response = client.post(f"/admin/experts/import/{import_id}/commit",
                           data={"mode": "all", "expected": "2"})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Expert)
                             .where(Expert.name.in_(["王芳", "李雷"]))) == 2


def test_a_second_commit_is_a_conflict(client, admin):
    import_id, _page = uploaded(client, GOOD)
    commit = {"mode": "all", "expected": "1"}
    assert client.post(f"/admin/experts/import/{import_id}/commit",
                       data=commit).status_code == 302
    again = client.post(f"/admin/experts/import/{import_id}/commit", data=commit)
    assert again.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Expert)
                             .where(Expert.name == "王芳")) == 1


def test_a_discarded_upload_imports_nothing(client, admin):
    import_id, _page = uploaded(client, GOOD)
    assert client.post(f"/admin/experts/import/{import_id}/discard").status_code == 302
    assert client.post(f"/admin/experts/import/{import_id}/commit",
                       data={"mode": "all", "expected": "1"}).status_code == 409


def test_formula_cells_are_refused(client, admin):
    _id, page = uploaded(client, {**GOOD, "name": "=HYPERLINK(\"http://evil\")"},
                         {**GOOD, "name": "李雷", "email": "li@x.cn", "phone": "+86 21 555"})
    assert re.search(r'id="bad-count">1<', page)
    assert "A · 姓名 / name" in page


@pytest.mark.parametrize(("filename", "content"), [
    ("experts.pdf", b"%PDF-1.4"), ("experts.csv", "姓名\n张三".encode("gb18030")),
    ("experts.csv", b""),
])
def test_a_file_that_cannot_be_read_is_refused_on_the_form(client, admin, filename, content):
    response = upload(client, content, filename, lang="en")
    assert response.status_code == 422
    assert 'aria-invalid="true"' in text(response)
    assert db.session.scalar(select(func.count()).select_from(ExpertImport)) == 0


def test_no_file_chosen_is_a_form_message(client, admin):
    response = client.post("/admin/experts/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_templates_download_with_bilingual_headers(client, admin, kind):
    response = client.get(f"/admin/experts/template.{kind}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    if kind == "csv":
        assert text(response).lstrip("\ufeff").splitlines() == [",".join(HEADERS)]


def test_the_export_escapes_formulas_and_is_audited(client, admin, world):
    world.js_expert.name = "=1+1"
    db.session.commit()
    response = client.get("/admin/experts/export.csv")
    rows = list(csv.reader(io.StringIO(text(response).lstrip("\ufeff"))))
    assert rows[0] == HEADERS
    assert ["'=1+1"] == [r[0] for r in rows if r[0].endswith("=1+1")]
    assert any(r[10] == world.sh_expert.email for r in rows[1:])  # admins see contacts
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export")) is not None


def test_round_trip_through_the_pages_into_an_empty_registry(client, make, ipc):
    admin = make.user(UserRole.ADMIN)
    make.expert(name="王芳", roles=("investigator", "arbitrator"), phone="+86 21 5555 0000")
    make.expert(name="李雷", city="hangzhou", email=None)
    db.session.commit()
    assert client.post("/sign-in", data={"email": admin.email,
                                         "password": PASSWORD}).status_code == 302
    exported = client.get("/admin/experts/export.xlsx").get_data()
    before = client.get("/admin/experts/export.csv").get_data()
    for expert in db.session.scalars(select(Expert)):
        db.session.delete(expert)
    db.session.commit()
    response = upload(client, exported, "experts.xlsx")
    import_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert client.post(f"/admin/experts/import/{import_id}/commit",
                       data={"mode": "all", "expected": "2"}).status_code == 302
    assert client.get("/admin/experts/export.csv").get_data() == before


def test_the_pages_render_without_queries(app, client, admin):
    import_id, _page = uploaded(client, *TWO_BAD)
    other_id, _page = uploaded(client, GOOD)
    client.post(f"/admin/experts/import/{other_id}/commit", data={"mode": "all",
                                                                  "expected": "1"})
    for url in ("/admin/experts/import", f"/admin/experts/import/{import_id}",
                f"/admin/experts/import/{other_id}"):
        with statements_while_rendering(app) as seen:
            assert client.get(url).status_code == 200
        assert seen == [], url
