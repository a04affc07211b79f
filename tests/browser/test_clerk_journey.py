"""A clerk's journey through the pages, in Chinese, as the issue tells it.

The Shanghai IP Court's clerk types a wrong 案号 and sees the message with everything else
kept, corrects it, picks technical fields and parties by typing Chinese (adding a company the
registry lacks), requests a technical investigator, and finds the request listed as submitted.
The party and the IPC field to type come from the seeded database, never hard-coded.
"""

import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from registry.extensions import db
from registry.models import Case, IpcField, Organization, User
from registry.models.organizations import OrganizationKind
from registry.services.organizations import option
from tests.browser.harness import (
    DOCS_SCREENSHOTS,
    new_document,
    path_of,
    screenshot,
    screenshot_form_languages,
    screenshot_languages,
)

CLERK = "clerk.sh-ipc"        # the Shanghai IP Court's demo clerk (court code 沪73)
TITLE_TEXT = "计算机"          # typed into the IPC picker: part of a Chinese title
CODE_TEXT = "G06F"             # typed into the IPC picker: a code
CHECK_NUMBER = "/clerk/cases/check-number"
SEARCH_IPC = "/clerk/search/ipc"
SEARCH_ORGANIZATIONS = "/clerk/search/organizations"


@dataclass(frozen=True)
class Seeded:
    court_code: str           # the clerk's court, as case numbers spell it
    party_id: str             # a company to pick as the plaintiff
    party_name: str           # its Chinese name
    party_text: str           # its option as the picker shows it
    party_typed: str          # the part of its Chinese name the clerk types
    field_by_title: str       # the IPC code whose Chinese title holds TITLE_TEXT
    unused_number: str        # a valid case number nobody has registered


@pytest.fixture(scope="module")
def seeded(live_server) -> Seeded:
    today = date.today()
    with live_server.app_context():
        clerk = db.session.scalar(select(User).where(User.email == live_server.logins[CLERK]))
        court_code = clerk.body.case_number_code
        party = db.session.scalars(select(Organization)
                                   .where(Organization.kind == OrganizationKind.COMPANY)
                                   .order_by(Organization.id)).first()
        typed = party.name.removesuffix("有限公司")
        assert typed and typed != party.name, f"not a company name? {party.name}"
        field_code = db.session.scalar(select(IpcField.code)
                                       .where(IpcField.title_zh.contains(TITLE_TEXT))
                                       .order_by(IpcField.code))
        assert field_code and field_code != CODE_TEXT, "no IPC title holds " + TITLE_TEXT
        rng = random.Random()
        while True:
            number = f"（{today.year}）{court_code}知民初{rng.randrange(1000, 1_000_000)}号"
            if db.session.scalar(select(Case.id).where(Case.number == number)) is None:
                break
        return Seeded(court_code, str(party.id), party.name, option(party)["text"], typed,
                      field_code, number)


# -- what the pages do, in a clerk's words -----------------------------------------------------

def check_of(number: str):
    """The live 案号 check htmx posts for exactly this number (not a half-typed one)."""
    def matches(response) -> bool:
        if response.request.method != "POST" or path_of(response) != CHECK_NUMBER:
            return False
        return parse_qs(response.request.post_data or "").get("number") == [number]
    return matches


def search_of(path: str, text: str):
    """The picker's search for exactly this text."""
    def matches(response) -> bool:
        parts = urlsplit(response.url)
        return parts.path == path and dict(parse_qsl(parts.query)).get("q") == text
    return matches


def picker(page, select_id: str):
    """The text input of the Tom Select widget that replaced <select id=...>."""
    return page.locator(f"#{select_id}-ts-control")


def options_of(page, select_id: str):
    return page.locator(f"#{select_id}-ts-dropdown [data-selectable]")


def picked(page, select_id: str):
    """The items shown as chosen in the widget."""
    return page.locator(f".ts-control:has(#{select_id}-ts-control) > .item")


def type_into_picker(page, select_id: str, search_path: str, text: str) -> None:
    """Type as a person does, and wait for the search that text starts: exactly that text,
    so a multiple picker must have emptied its box after the last choice (app.js)."""
    field = picker(page, select_id)
    field.click()
    with page.expect_response(search_of(search_path, text)) as searched:
        field.press_sequentially(text)
    assert searched.value.ok, f"{searched.value.url}: {searched.value.status}"


def choose(page, select_id: str, search_path: str, text: str, value: str) -> None:
    """Type part of what is wanted into a picker, then click the option it finds."""
    type_into_picker(page, select_id, search_path, text)
    options_of(page, select_id).and_(page.locator(f"[data-value='{value}']")).click()
    expect(picked(page, select_id).and_(page.locator(f"[data-value='{value}']"))).to_be_visible()


# -- the journey -----------------------------------------------------------------------------

def test_clerk_files_a_case_and_requests_an_investigator(page, live_server, sign_in, seeded):
    today = date.today()
    wrong = f"{today.year}{seeded.court_code}知民初12号"  # no brackets around the year
    title = "一种基于深度学习的图像识别方法专利侵权纠纷"
    new_company = f"上海测试新增科技有限公司{random.randrange(10_000, 100_000)}"

    # 1. Sign in; "Register a case", in Chinese (the browser asks for zh-CN).
    sign_in(CLERK)
    page.locator("nav a[href='/clerk/cases/new']").click()
    page.wait_for_url(live_server.link("/clerk/cases/new"))
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    expect(page.locator("main h1")).to_have_text("登记案件")

    # 2. A wrong case number: the live check says so as it is typed.
    number = page.locator("#number")
    with page.expect_response(check_of(wrong)) as checked:
        number.press_sequentially(wrong)
    assert checked.value.status == 200
    alert = page.locator("#number-check [role=alert]")
    expect(alert).to_contain_text(wrong)
    expect(alert).to_contain_text("不是有效的法院案号")
    expect(number).to_have_attribute("aria-invalid", "true")

    # 3. Everything else, by typing Chinese into the pickers.
    page.locator("#title").fill(title)
    choose(page, "fields", SEARCH_IPC, TITLE_TEXT, seeded.field_by_title)
    choose(page, "fields", SEARCH_IPC, CODE_TEXT, CODE_TEXT)
    choose(page, "parties-0-organization_id", SEARCH_ORGANIZATIONS, seeded.party_typed,
           seeded.party_id)
    page.locator("#parties-0-role").select_option("plaintiff")

    # A second party the registry does not know: added from the picker itself.
    page.locator("button[data-add-row=parties]").click()
    expect(page.locator("#parties > .row")).to_have_count(2)  # the first click counts
    # A fragment of a name is not offered for adding: Enter on it must not create "测试".
    type_into_picker(page, "parties-1-organization_id", SEARCH_ORGANIZATIONS, "测试")
    expect(page.locator("#parties-1-organization_id-ts-dropdown .create")).to_have_count(0)
    picker(page, "parties-1-organization_id").fill("")
    type_into_picker(page, "parties-1-organization_id", SEARCH_ORGANIZATIONS, new_company)
    create = page.locator("#parties-1-organization_id-ts-dropdown .create")
    expect(create).to_contain_text(new_company)
    with page.expect_response(lambda r: r.request.method == "POST"
                              and path_of(r) == "/clerk/organizations") as created:
        create.click()
    assert created.value.status == 201, created.value.text()
    new_company_id = created.value.json()["value"]
    expect(picked(page, "parties-1-organization_id")).to_have_text(new_company)
    page.locator("#parties-1-role").select_option("defendant")
    with live_server.app_context():
        made = db.session.get(Organization, int(new_company_id))
        assert (made.name, made.kind) == (new_company, OrganizationKind.COMPANY)

    expected_fields = sorted([seeded.field_by_title, CODE_TEXT])
    expect(picked(page, "fields")).to_have_count(2)

    # Submitted with the wrong number: sent back (422), the message beside the number and
    # everything else as it was.
    with new_document(page, path="/clerk/cases/new") as answered:
        page.locator("#case-form button[type=submit]").click()
    assert answered.value.status == 422

    def kept(number_value: str) -> None:
        expect(page.locator("#number")).to_have_value(number_value)
        expect(page.locator("#number")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#number")).to_have_attribute("aria-describedby", "number-error")
        expect(page.locator("#number-error")).to_have_attribute("role", "alert")
        expect(page.locator("#number-error")).to_contain_text(wrong)
        expect(page.locator("#title")).to_have_value(title)
        fields = picked(page, "fields")
        expect(fields).to_have_count(2)
        assert sorted(fields.evaluate_all("items => items.map(i => i.dataset.value)")) \
            == expected_fields
        expect(fields.and_(page.locator(f"[data-value='{CODE_TEXT}']"))).to_contain_text(
            "电数字数据处理")
        expect(picked(page, "parties-0-organization_id")).to_have_text(seeded.party_text)
        expect(page.locator("#parties-0-role")).to_have_value("plaintiff")
        expect(picked(page, "parties-1-organization_id")).to_have_text(new_company)
        expect(page.locator("#parties-1-role")).to_have_value("defendant")

    kept(wrong)
    expect(page.locator(".form-errors[role=alert]")).to_be_visible()
    screenshot_form_languages(page, "clerk-case-form-error", form="#case-form",
                              fits_width=True)
    kept(wrong)  # posting it again, in English then Chinese, kept it all too
    expect(page.locator("#number-error")).to_contain_text("不是有效的法院案号")
    screenshot(page, "clerk-case-form-zh", directory=DOCS_SCREENSHOTS)

    # 4. Corrected: the live check turns to OK, and the case is registered.
    good = seeded.unused_number
    with page.expect_response(check_of(good)):
        page.locator("#number").fill(good)
    expect(page.locator("#number-check [role=status]")).to_have_text(f"{good} 为有效案号。")
    # The message about the earlier number went with it: the input is no longer marked.
    expect(page.locator("#number-error")).to_have_count(0)
    expect(page.locator("#number")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#number")).to_have_attribute("aria-describedby", "number-check")
    screenshot(page, "clerk-case-form-corrected.zh_Hans")
    with new_document(page, path="/clerk/cases/new") as answered:
        page.locator("#case-form button[type=submit]").click()
    assert answered.value.status == 302
    page.wait_for_url(re.compile(r"/clerk/cases/\d+$"))
    case_path = path_of(page)
    expect(page.locator(".flash[role=status]")).to_have_text(f"案件 {good} 已登记。")
    expect(page.locator("main h1")).to_have_text(good)
    expect(page.locator("main hgroup p")).to_have_text(title)
    facts = page.locator("dl.facts")  # one list: the cause of action is in it too
    expect(facts).to_have_count(1)
    expect(facts).to_contain_text("案由")
    expect(facts).to_contain_text(", ".join(expected_fields))
    expect(facts).to_contain_text(f"{seeded.party_name} · 原告")
    expect(facts).to_contain_text(f"{new_company} · 被告")
    with live_server.app_context():
        case = db.session.scalar(select(Case).where(Case.number == good))
        assert case is not None and path_of(page) == f"/clerk/cases/{case.id}"
        assert sorted(case.field_codes) == expected_fields
        assert {(p.organization_id, p.role.value) for p in case.parties} == {
            (int(seeded.party_id), "plaintiff"), (int(new_company_id), "defendant")}
    screenshot_languages(page, "clerk-case", fits_width=True)

    # 5. Request a technical investigator for a hearing.
    page.locator(f"main a[href='{case_path}/requests/new']").click()
    page.wait_for_url(live_server.link(f"{case_path}/requests/new"))
    expect(page.locator("main h1")).to_have_text("申请调派专家")
    expect(page.locator("main hgroup a")).to_have_text(good)
    screenshot_languages(page, "clerk-request-form", fits_width=True)

    start, end = today + timedelta(days=16), today + timedelta(days=17)
    page.locator("#role").select_option("investigator")
    page.locator("#service").select_option("hearing")
    page.locator("#days-0-start").fill(start.isoformat())
    page.locator("#days-0-end").fill(end.isoformat())
    expect(page.locator("#days-0-start")).to_have_value(start.isoformat())
    expect(page.locator("#days-0-end")).to_have_value(end.isoformat())
    page.locator("#priority").select_option("2")
    with new_document(page, path=f"{case_path}/requests/new") as answered:
        page.locator("#request-form button[type=submit]").click()
    assert answered.value.status == 302, page.locator("main").inner_text()
    page.wait_for_url(re.compile(r"/clerk/requests/\d+$"))
    request_path = path_of(page)
    request_id = request_path.rsplit("/", 1)[1]
    expect(page.locator(".flash[role=status]")).to_have_text("调派申请已提交。")
    expect(page.locator("main h1 .status-submitted")).to_have_text("已提交")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("技术调查官")
    expect(facts).to_contain_text("庭审")
    expect(facts).to_contain_text(f"{start.isoformat()} – {end.isoformat()}")
    expect(page.locator("main hgroup a")).to_have_text(good)
    screenshot_languages(page, "clerk-request", fits_width=True)

    # 6. The requests list shows it as submitted, and so does the list of submitted ones.
    page.locator("nav a[href='/clerk/']").click()
    page.wait_for_url(live_server.link("/clerk/"))
    row = page.locator("main table tbody tr").filter(
        has=page.locator(f"a[href='{request_path}']"))
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text(request_id)
    expect(row.locator("td").nth(1)).to_have_text(good)
    expect(row.locator(".status-submitted")).to_have_text("已提交")

    page.locator("#status").select_option("submitted")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"/clerk/\?.*status=submitted"))
    expect(page.locator("#status")).to_have_value("submitted")
    expect(row).to_have_count(1)
    expect(row.locator(".status-submitted")).to_have_text("已提交")
    statuses = page.locator("main table tbody .status")
    assert statuses.count() == page.locator("main table tbody .status-submitted").count() > 0
    screenshot_languages(page, "clerk-requests-submitted", fits_width=True)
    screenshot(page, "clerk-requests-zh", directory=DOCS_SCREENSHOTS)
