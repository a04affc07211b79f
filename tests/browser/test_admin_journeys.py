"""The administrator's journeys, in Chinese, as issue 11 tells them.

1. An admin downloads the import template, fills it with four experts of which two are wrong
   (an unknown city in one; an unknown IPC code and a formula in another), uploads it and sees
   both rows reported with the row number the spreadsheet shows and the column's letter and
   header; discards that upload, fixes the file, imports every row, reads the summary, finds
   the new experts in the registry (the database and the page's own export) and the import in
   the audit trail.
2. An admin creates a clerk account scoped to a court, picked by typing its Chinese name; the
   clerk signs in and sees that court's cases and no other's. After the admin resets its
   password, the clerk must choose one of its own, and signs in with it.

Names and emails carry a random token: the module's tests share one server.
"""

import csv
import random
import re
from urllib.parse import parse_qsl, urlsplit

from playwright.sync_api import expect
from sqlalchemy import select

from registry.extensions import db
from registry.models import (
    AuditEvent,
    Case,
    Expert,
    ExpertImport,
    ImportStatus,
    Organization,
    User,
    UserRole,
)
from registry.services.expert_sheet import BY_KEY, COLUMNS, column_letter
from registry.services.organizations import option
from tests.browser.harness import (
    download_csv,
    new_document,
    path_of,
    screenshot,
    screenshot_languages,
    sign_out,
    with_lang,
)

ADMIN = "admin"                      # admin@demo.example.com
COURT = "gz_ipc"                     # 广州知识产权法院: cases of its own in the demo registry
OTHER_COURT = "sh_ipc"               # whose cases the new clerk must not open
IMPORT_PAGE = "/admin/experts/import"
SEARCH_BODIES = "/admin/accounts/search/bodies"


def token() -> str:
    return str(random.randrange(100_000, 1_000_000))


# -- journey 1: importing experts ----------------------------------------------------------------

def expert_rows(tag: str, organization: str, *, fixed: bool) -> list[dict[str, str]]:
    """Four experts, by column key. Unfixed, the second (spreadsheet row 3) names a city the
    registry lacks, and the fourth (row 5) an IPC code that does not exist and an affiliation
    cell that a spreadsheet would run as a formula."""
    return [
        {"name": f"赵导入{tag}", "roles": "investigator; consultant", "home_city": "shanghai",
         "appointing_body": "sh_ipc", "appointed_from": "2025-01-01",
         "appointed_until": "2029/12/31", "fields": "G06F:3; H04L", "languages": "zh; en",
         "max_concurrent": "4", "max_travel_km": "300", "email": f"zhao.{tag}@example.com",
         "phone": "+86 21 5555 0101", "affiliations": f"{organization}:engineer"},
        {"name": f"钱导入{tag}", "roles": "技术调查官",
         "home_city": "上海" if fixed else "火星市",
         "fields": "G06N:2", "email": f"qian.{tag}@example.com"},
        {"name": f"孙导入{tag}", "roles": "arbitrator", "home_city": "杭州市",
         "appointing_body": "上海仲裁委员会", "fields": "H01M", "languages": "zh",
         "email": f"sun.{tag}@example.com"},
        {"name": f"李导入{tag}", "roles": "consultant", "home_city": "Nanjing",
         "fields": "G06T:3; H01L:2" if fixed else "G06T:3; H01Z:2",
         "email": f"li.{tag}@example.com",
         "affiliations": f"{organization}:advisor" if fixed
         else '=HYPERLINK("http://evil.example/","复旦大学")'},
    ]


def write_sheet(path, header: list[str], rows: list[dict[str, str]]) -> None:
    """A CSV as Excel saves "CSV UTF-8": a byte-order mark, the template's header, the rows."""
    keys = {column.header: column.key for column in COLUMNS}
    with open(path, "w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(keys[cell], "") for cell in header])


def upload(page, path) -> int:
    """Choose the file, upload it; return the upload's id from the report's URL."""
    page.locator("#file").set_input_files(str(path))
    with new_document(page, path=IMPORT_PAGE) as answered:
        page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()
    assert answered.value.status == 302, page.locator("main").inner_text()
    page.wait_for_url(re.compile(r"/admin/experts/import/\d+$"))
    return int(path_of(page).rsplit("/", 1)[1])


def problems_shown(page) -> list[tuple[str, str, str]]:
    """The report's table as (row header, column, message), the row header repeated for each
    of its problems (the page shows it once, spanning them)."""
    return page.locator("#problems").evaluate("""(table) => {
        let row = "";
        return [...table.tBodies].flatMap((body) => [...body.rows]).map((tr) => {
            const header = tr.querySelector("th[scope=rowgroup]");
            if (header) row = header.textContent.trim();
            const cells = tr.querySelectorAll("td");
            return [row, cells[0].textContent.trim(), cells[1].textContent.trim()];
        });
    }""")


def test_admin_imports_experts_fixing_two_bad_rows(page, live_server, sign_in, tmp_path):
    tag = token()
    organization = f"导入测试科技有限公司{tag}"

    # 1. The import page, from the admin's menu; the CSV template downloaded from it.
    sign_in(ADMIN)
    page.locator(f"nav a[href='{IMPORT_PAGE}']").click()
    page.wait_for_url(live_server.link(IMPORT_PAGE))
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    template = download_csv(page, page.locator("main a[href='/admin/experts/template.csv']"))
    assert len(template) == 1, template  # the header row alone
    header = template[0]
    assert header == [column.header for column in COLUMNS]
    assert "常住城市 / home city" in header  # bilingual

    def column(key: str) -> str:
        """A column as the report names it: its letter in the file, then its header."""
        return f"{column_letter(header.index(BY_KEY[key].header))} · {BY_KEY[key].header}"

    # 2. Four experts, two of them wrong: the report names both rows, each column and value.
    bad_file = tmp_path / f"experts-{tag}.csv"
    write_sheet(bad_file, header, expert_rows(tag, organization, fixed=False))
    bad_id = upload(page, bad_file)
    expect(page.locator("main hgroup p")).to_contain_text(bad_file.name)
    expect(page.locator("#rows-count")).to_have_text("4")
    expect(page.locator("#good-count")).to_have_text("2")
    expect(page.locator("#bad-count")).to_have_text("2")
    expect(page.locator("#problems tbody tr")).to_have_count(3)
    # One row group per row of the file, headed by its row number (scope=rowgroup).
    expect(page.locator("#problems tbody")).to_have_count(2)
    expect(page.locator("#problems tbody th[scope=rowgroup]")).to_have_count(2)
    shown = problems_shown(page)
    assert [re.findall(r"\d+", row)[0] for row, _col, _msg in shown] == ["3", "5", "5"], shown
    assert shown[0][1] == column("home_city") == "C · 常住城市 / home city"
    assert "火星市" in shown[0][2]
    assert sorted(col for _row, col, _msg in shown[1:]) == \
        [column("fields"), column("affiliations")] == \
        ["G · 技术领域 / fields", "M · 任职单位 / affiliations"]
    by_column = {col: msg for _row, col, msg in shown[1:]}
    assert "H01Z" in by_column[column("fields")]
    assert "=" in by_column[column("affiliations")]
    # Nothing is written yet: no "import all", only the explicit choice of the good rows.
    expect(page.locator("input[name=mode][value=all]")).to_have_count(0)
    expect(page.locator("input[name=mode][value=good_rows]")).to_have_count(1)
    with live_server.app_context():
        assert db.session.scalars(select(Expert).where(Expert.name.contains(tag))).all() == []

    screenshot_languages(page, "admin-import-report-errors", fits_width=True)
    # The English page says the same in English (the page was checked again on reload).
    page.goto(with_lang(page.url, "en"))
    expect(page.locator("main h1")).to_have_text("Import report")
    shown_en = problems_shown(page)
    assert [row for row, _col, _msg in shown_en] == ["Row 3", "Row 5", "Row 5"]
    assert "no city “火星市” in the registry" in shown_en[0][2]
    messages_en = {col: msg for _row, col, msg in shown_en[1:]}
    assert "unknown IPC code H01Z" in messages_en[column("fields")]
    assert "starts with =" in messages_en[column("affiliations")]
    page.goto(with_lang(page.url, "zh_Hans"))

    # 3. That upload discarded; the fixed file uploaded: every row is good.
    with new_document(page, path=f"{IMPORT_PAGE}/{bad_id}/discard") as answered:
        page.locator(f"form[action='{IMPORT_PAGE}/{bad_id}/discard'] button").click()
    assert answered.value.status == 302
    page.wait_for_url(live_server.link(IMPORT_PAGE))
    expect(page.locator(".flash[role=status]")).to_be_visible()
    with live_server.app_context():
        assert db.session.get(ExpertImport, bad_id).status is ImportStatus.DISCARDED

    fixed_file = tmp_path / f"experts-{tag}-fixed.csv"
    rows = expert_rows(tag, organization, fixed=True)
    names = [row["name"] for row in rows]
    write_sheet(fixed_file, header, rows)
    import_id = upload(page, fixed_file)
    assert import_id != bad_id
    expect(page.locator("#rows-count")).to_have_text("4")
    expect(page.locator("#good-count")).to_have_text("4")
    expect(page.locator("#bad-count")).to_have_text("0")
    expect(page.locator("#problems")).to_have_count(0)
    expect(page.locator("main")).to_contain_text(organization)  # to be added at the commit
    screenshot_languages(page, "admin-import-report-good", fits_width=True)

    # 4. Import all four: the summary counts them and names each.
    commit = page.locator(f"form[action='{IMPORT_PAGE}/{import_id}/commit']")
    expect(commit.locator("input[name=mode]")).to_have_value("all")
    expect(commit.locator("button")).to_contain_text("4")
    with new_document(page, path=f"{IMPORT_PAGE}/{import_id}/commit") as answered:
        commit.locator("button").click()
    assert answered.value.status == 302, page.locator("main").inner_text()
    page.wait_for_url(live_server.link(f"{IMPORT_PAGE}/{import_id}"))
    expect(page.locator(".flash[role=status]")).to_contain_text("4")
    expect(page.locator("#imported-count")).to_have_text("4")
    expect(page.locator("#skipped-count")).to_have_text("0")
    listed = page.locator("#imported-experts li")
    expect(listed).to_have_count(4)
    for name in names:
        expect(listed.filter(has_text=name)).to_have_count(1)
    expect(page.locator("main dl.facts")).to_contain_text(organization)
    screenshot_languages(page, "admin-import-summary", fits_width=True)

    # 5. The new experts are in the registry, as the file said.
    with live_server.app_context():
        experts = {e.name: e for e in db.session.scalars(
            select(Expert).where(Expert.name.in_(names)))}
        assert sorted(experts) == sorted(names)
        assert {name: e.home_city_code for name, e in experts.items()} == dict(zip(
            names, ["shanghai", "shanghai", "hangzhou", "nanjing"], strict=True))
        zhao, _qian, sun, li = (experts[name] for name in names)
        assert {(f.ipc_code, f.proficiency) for f in li.fields} == {("G06T", 3), ("H01L", 2)}
        assert {(f.ipc_code, f.proficiency) for f in sun.fields} == {("H01M", 2)}
        assert zhao.phone == "+86 21 5555 0101" and zhao.max_concurrent == 4
        assert zhao.appointing_body.registry_id == "sh_ipc"
        assert {(a.organization.name, a.role) for a in li.affiliations} == {
            (organization, "advisor")}
        for name, expert in experts.items():  # the summary's "#id" is the registry's id
            expect(listed.filter(has_text=name)).to_contain_text(f"#{expert.id}")
        ids = {str(e.id) for e in experts.values()}
        created = db.session.scalars(select(AuditEvent.entity_id).where(
            AuditEvent.entity == "expert", AuditEvent.action == "create",
            AuditEvent.entity_id.in_(ids))).all()
        assert sorted(created) == sorted(ids)
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.entity == "expert_import", AuditEvent.action == "import",
            AuditEvent.entity_id == str(import_id))).one()
        event_id = event.id
        assert event.after["imported"] == 4 and event.after["file"] == fixed_file.name
        assert db.session.scalars(select(AuditEvent).where(
            AuditEvent.entity == "expert_import", AuditEvent.action == "discard",
            AuditEvent.entity_id == str(bad_id))).one()

    # ... and in the registry's export, the page's own list of every expert.
    page.locator("main a[href='/admin/experts/import']").click()
    page.wait_for_url(live_server.link(IMPORT_PAGE))
    exported = download_csv(page, page.locator("main a[href='/admin/experts/export.csv']"))
    assert exported[0] == header
    found = {row[0]: dict(zip(header, row, strict=True)) for row in exported[1:]
             if row[0] in names}
    assert sorted(found) == sorted(names)
    city = BY_KEY["home_city"].header
    assert [found[name][city] for name in names] == ["shanghai", "shanghai", "hangzhou",
                                                     "nanjing"]
    assert found[names[3]][BY_KEY["fields"].header] in ("G06T:3; H01L:2", "H01L:2; G06T:3")
    assert found[names[0]][BY_KEY["phone"].header] == "'+86 21 5555 0101"  # escaped
    assert found[names[0]][BY_KEY["email"].header] == f"zhao.{tag}@example.com"

    # 6. The audit trail, filtered to imports: this one is there, with its file and counts.
    page.locator("nav a[href='/admin/audit']").click()
    page.wait_for_url(live_server.link("/admin/audit"))
    page.locator("#entity").select_option("expert_import")
    page.locator("#action").select_option("import")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/audit\?.*entity=expert_import.*action=import"))
    expect(page.locator("#entity")).to_have_value("expert_import")
    expect(page.locator("#action")).to_have_value("import")
    rows_shown = page.locator("main table.audit-events > tbody > tr")
    assert rows_shown.count() >= 1
    for cells in rows_shown.evaluate_all(
            "rows => rows.map(r => [...r.querySelectorAll(':scope > td > code')]"
            ".map(c => c.textContent))"):
        assert cells == ["import", "expert_import"], cells
    row = page.locator(f"#event-{event_id}")
    expect(row).to_be_visible()
    expect(row).to_contain_text(live_server.logins[ADMIN])
    expect(row.locator("td").nth(4)).to_have_text(f"expert_import {import_id}")
    changes = row.locator("table.audit-changes")
    expect(changes.locator("tr").filter(has=page.locator("code", has_text=re.compile(
        r"^file$")))).to_contain_text(fixed_file.name)
    expect(changes.locator("tr").filter(has=page.locator("code", has_text=re.compile(
        r"^imported$"))).locator("td").nth(1)).to_have_text("4")
    # Before and after are both in sight: the table does not scroll sideways in its box.
    assert page.locator("main .overflow-auto").evaluate(
        "box => box.scrollWidth - box.clientWidth") <= 0
    expect(changes.locator("thead th")).to_have_count(3)
    screenshot_languages(page, "admin-audit-import", fits_width=True)


# -- journey 2: a clerk's account --------------------------------------------------------------

def picker(page, select_id: str):
    return page.locator(f"#{select_id}-ts-control")


def choose_body(page, typed: str, value: str) -> None:
    """Type into the court picker as a person does, wait for its search, click the option."""
    field = picker(page, "body")
    field.click()
    with page.expect_response(lambda r: path_of(r) == SEARCH_BODIES
                              and dict(parse_qsl(urlsplit(r.url).query)).get("q") == typed
                              ) as searched:
        field.press_sequentially(typed)
    assert searched.value.ok
    page.locator(f"#body-ts-dropdown [data-selectable][data-value='{value}']").click()
    expect(page.locator(f".ts-control:has(#body-ts-control) > .item[data-value='{value}']")
           ).to_be_visible()


def refused_sign_in(page, live_server, email: str, password: str) -> None:
    page.goto(live_server.link("/sign-in"))
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    with new_document(page, path="/sign-in") as answered:
        page.locator("main form button[type=submit]").click()
    assert answered.value.status == 422
    expect(page.locator("main [role=alert]").first).to_be_visible()


def case_numbers_listed(page) -> list[str]:
    """Every case number of the clerk's list, page after page."""
    numbers = []
    while True:
        numbers += page.locator("main table tbody td:first-child a").all_inner_texts()
        following = page.locator("nav.pager a[rel=next]")
        if not following.count():
            return numbers
        following.click()
        page.wait_for_load_state()


def test_admin_creates_a_clerk_who_sees_only_its_courts_cases(page, live_server, sign_in):
    tag = token()
    email = f"clerk.gz.{tag}@example.com"
    initial, chosen = f"initial-{tag}", f"my-own-{tag}"
    temporary = f"temporary-{tag}"
    with live_server.app_context():
        court = db.session.scalar(select(Organization).where(Organization.registry_id == COURT))
        court_id, court_name, court_option = court.id, court.name, option(court)["text"]
        own_numbers = set(db.session.scalars(select(Case.number).where(
            Case.handling_body_id == court_id)))
        other = db.session.scalars(select(Case).join(Case.handling_body).where(
            Organization.registry_id == OTHER_COURT).order_by(Case.id)).first()
        other_case, other_number = other.id, other.number
    assert own_numbers, f"no cases of {COURT} in the demo registry"

    # 1. The admin creates the account: the court picked by typing its Chinese name.
    sign_in(ADMIN)
    assert path_of(page) == "/admin/accounts"
    page.locator("main a[href='/admin/accounts/new']").click()
    page.wait_for_url(live_server.link("/admin/accounts/new"))
    page.locator("#email").fill(email)
    page.locator("#role").select_option("clerk")
    choose_body(page, court_name, str(court_id))
    expect(page.locator(".ts-control:has(#body-ts-control) > .item")).to_have_text(court_option)
    page.locator("#password").fill(initial)
    screenshot(page, "admin-account-new-filled.zh_Hans")
    with new_document(page, path="/admin/accounts/new") as answered:
        page.locator("#account-form button[type=submit]").click()
    assert answered.value.status == 302, page.locator("main").inner_text()
    page.wait_for_url(re.compile(r"/admin/accounts/\d+$"))
    user_id = int(path_of(page).rsplit("/", 1)[1])
    expect(page.locator(".flash[role=status]")).to_contain_text(email)
    expect(page.locator("main h1")).to_have_text(email)
    expect(page.locator("main hgroup p")).to_contain_text(court_name)
    with live_server.app_context():
        user = db.session.get(User, user_id)
        assert (user.email, user.role, user.body_id, user.active) == (
            email, UserRole.CLERK, court_id, True)
        # What the app does: an initial password is not a temporary one (only a reset is).
        assert not user.must_change_password
        assert db.session.scalars(select(AuditEvent).where(
            AuditEvent.entity == "user", AuditEvent.action == "create",
            AuditEvent.entity_id == str(user_id))).one().after["body_id"] == court_id
    screenshot_languages(page, "admin-account", fits_width=True)

    # The account is listed, with its court as its scope.
    page.locator("nav a[href='/admin/accounts']").click()
    page.wait_for_url(live_server.link("/admin/accounts"))
    page.locator("form.filters #email").fill(email)
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/accounts\?.*email="))
    row = page.locator("main table tbody tr").filter(
        has=page.locator(f"a[href='/admin/accounts/{user_id}']"))
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text(email)
    expect(row.locator("td").nth(2)).to_have_text(court_name)
    screenshot_languages(page, "admin-accounts-filtered", fits_width=True)
    sign_out(page)

    # 2. The clerk signs in with the initial password and sees its court's cases, only those.
    sign_in(email, initial)
    assert path_of(page) == "/clerk/"
    page.locator("nav a[href='/clerk/cases']").click()
    page.wait_for_url(live_server.link("/clerk/cases"))
    expect(page.locator("main hgroup p")).to_have_text(court_name)
    listed = case_numbers_listed(page)
    assert len(listed) == len(set(listed))
    assert set(listed) == own_numbers
    assert other_number not in listed
    page.goto(live_server.link("/clerk/cases"))
    screenshot_languages(page, "admin-new-clerk-cases", fits_width=True)
    response = page.goto(live_server.link(f"/clerk/cases/{other_case}"))
    assert response.status == 404  # another court's case is as good as missing
    expect(page.locator("article.error-page h1")).to_be_visible()
    assert other_number not in page.content()
    sign_out(page)

    # 3. The admin resets the password: at the next sign-in the clerk must choose its own.
    sign_in(ADMIN)
    page.goto(live_server.link(f"/admin/accounts/{user_id}"))
    page.locator("#password-form #password").fill(temporary)
    with new_document(page, path=f"/admin/accounts/{user_id}/password") as answered:
        page.locator("#password-form button[type=submit]").click()
    assert answered.value.status == 302
    page.wait_for_url(live_server.link(f"/admin/accounts/{user_id}"))
    expect(page.locator(".flash[role=status]")).to_be_visible()
    with live_server.app_context():
        assert db.session.get(User, user_id).must_change_password
    sign_out(page)

    refused_sign_in(page, live_server, email, initial)  # the old one is gone
    sign_in(email, temporary)
    assert path_of(page) == "/choose-password"
    page.goto(live_server.link("/clerk/cases"))  # nothing else opens until it has chosen
    assert path_of(page) == "/choose-password"
    screenshot_languages(page, "admin-clerk-choose-password", fits_width=True)

    # The temporary password again is refused beside the input; then its own, typed twice.
    page.locator("#password").fill(temporary)
    page.locator("#confirm").fill(temporary)
    with new_document(page, path="/choose-password") as answered:
        page.locator("main form button[type=submit]").click()
    assert answered.value.status == 422
    expect(page.locator("#password-error")).to_be_visible()
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    page.locator("#password").fill(chosen)
    page.locator("#confirm").fill(chosen)
    with new_document(page, path="/choose-password") as answered:
        page.locator("main form button[type=submit]").click()
    assert answered.value.status == 302
    page.wait_for_url(live_server.link("/clerk/"))
    expect(page.locator(".flash[role=status]")).to_be_visible()
    with live_server.app_context():
        assert not db.session.get(User, user_id).must_change_password
    sign_out(page)

    # It keeps its own password: that signs in, the temporary one no longer does.
    refused_sign_in(page, live_server, email, temporary)
    sign_in(email, chosen)
    assert path_of(page) == "/clerk/"
    page.locator("nav a[href='/clerk/cases']").click()
    page.wait_for_url(live_server.link("/clerk/cases"))
    assert set(case_numbers_listed(page)) == own_numbers
