"""The coordinator console: the region's requests and experts, the Run form, a run's live
progress and proposal, confirming, and the candidate browser; nobody outside the region."""

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from registry.extensions import db
from registry.models import (
    Assignment,
    AssignmentStatus,
    AuditEvent,
    ExpertRole,
    RequestStatus,
    SolverRun,
    SolverRunStatus,
)
from registry.services import dispatch
from registry.services.proposals import PER_PAGE
from tests.web.test_templates_never_query import statements_while_rendering

CJK = re.compile(r"[\u4e00-\u9fff]")
SOON = date.today() + timedelta(days=30)


def runs_count() -> int:
    return db.session.scalar(select(func.count()).select_from(SolverRun))


def queued_run(world, region="SH") -> SolverRun:
    """A run exported for the region's requests of the next 90 days, not solved yet."""
    _document, run = dispatch.export_problem(region, date.today(), SOON + timedelta(days=60),
                                             actor=world.users["coordinator_sh"],
                                             time_limit_s=1)
    db.session.commit()
    return run


@pytest.fixture
def solved(world, make):
    """A done SH run: one request filled (by the Shanghai expert), one left unfilled (nobody
    in Shanghai arbitrates)."""
    case = make.case(body=world.sh_court, number="（2025）沪73知民初900号")
    filled = make.request(case=case, days=[(SOON, SOON)], priority=1)
    unfilled = make.request(case=case, role=ExpertRole.ARBITRATOR, days=[(SOON, SOON)])
    run = queued_run(world)
    dispatch.solve_run(run)
    db.session.commit()
    assert run.status is SolverRunStatus.DONE, run.error
    return run, filled, unfilled


def proposal_on(request) -> Assignment:
    return db.session.scalars(select(Assignment).where(
        Assignment.request_id == request.id,
        Assignment.status == AssignmentStatus.PROPOSED)).one()


# -- pages render, in Chinese and in English --------------------------------------------------

def page_urls(world, run, request) -> list[str]:
    return ["/console/", "/console/experts", "/console/runs", f"/console/runs/{run.id}",
            f"/console/runs/{run.id}/progress",
            f"/console/requests/{request.id}/candidates?run={run.id}"]


@pytest.mark.parametrize(("language", "lang"), [("zh-CN", "zh-Hans"), ("en", "en")])
def test_every_console_page_renders_for_the_regions_coordinator(client, world, sign_in,
                                                                solved, language, lang):
    run, filled, _unfilled = solved
    sign_in("coordinator_sh")
    for url in page_urls(world, run, filled):
        response = client.get(url, headers={"Accept-Language": language})
        assert response.status_code == 200, url
        assert "Content-Security-Policy" in response.headers
        if "/progress" not in url:
            assert f'<html lang="{lang}">' in response.get_data(as_text=True)


def test_console_templates_never_query(app, client, world, make, sign_in, solved):
    run, filled, _unfilled = solved
    make.request(case=world.sh_case, days=[(SOON, SOON)])
    queued = queued_run(world)
    sign_in("coordinator_sh")
    pages = [f"/console/runs/{run.id}?show=all&page=2", f"/console/runs/{run.id}?request="
             f"{filled.id}", f"/console/runs/{run.id}?show=attention&request={filled.id}"]
    with statements_while_rendering(app) as seen:
        for url in page_urls(world, run, filled) + page_urls(world, queued, filled)[3:5] + pages:
            assert client.get(url).status_code == 200, url
        assert client.post("/console/runs", data=run_form(to="2000-01-01")).status_code == 422
    assert seen == [], '\n'.join(map(str, seen))


def test_signing_in_lands_a_coordinator_on_the_console(client, world, sign_in):
    sign_in("coordinator_sh")
    page = client.get("/", follow_redirects=True)
    assert page.request.path == "/console/"
    html = page.get_data(as_text=True)
    assert world.sh_case.number in html and world.gd_case.number not in html
    assert 'href="/console/runs"' in html  # the menu


def test_an_admin_may_use_the_console(client, world, sign_in):
    sign_in("admin")
    html = client.get("/console/").get_data(as_text=True)
    assert world.sh_case.number in html and world.gd_case.number in html


# -- nobody outside the region ------------------------------------------------------------------

@pytest.mark.parametrize("who", ["clerk_sh", "expert_sh"])
def test_clerks_and_experts_are_refused_every_page_and_post(client, world, sign_in, solved,
                                                            who):
    run, filled, _unfilled = solved
    proposal = proposal_on(filled)
    sign_in(who)
    for url in page_urls(world, run, filled) + ["/console/search/experts?q=张"]:
        assert client.get(url).status_code == 403, url
    for url, data in posts(run, filled, proposal, world):
        assert client.post(url, data=data).status_code == 403, url
    assert_nothing_changed(run, proposal)


def posts(run, request, proposal, world) -> list[tuple[str, dict]]:
    return [("/console/runs", run_form()),
            (f"/console/runs/{run.id}/cancel", {}),
            (f"/console/runs/{run.id}/again", {"mode": "replan"}),
            (f"/console/runs/{run.id}/confirm", {}),
            (f"/console/assignments/{proposal.id}/confirm", {"run": str(run.id)}),
            (f"/console/requests/{request.id}/use",
             {"expert_id": str(world.js_expert.id), "run": str(run.id)})]


def assert_nothing_changed(run, proposal, runs_before: int = 1):
    db.session.expire_all()
    assert runs_count() == runs_before
    assert db.session.get(SolverRun, run.id).status is SolverRunStatus.DONE
    assert db.session.get(Assignment, proposal.id).status is AssignmentStatus.PROPOSED


def test_another_regions_coordinator_finds_nothing_and_changes_nothing(client, world, sign_in,
                                                                       solved):
    run, filled, _unfilled = solved
    proposal = proposal_on(filled)
    sign_in("coordinator_gba")
    for url in page_urls(world, run, filled)[3:]:
        assert client.get(url).status_code in (403, 404), url
    for url, data in posts(run, filled, proposal, world)[1:]:
        assert client.post(url, data=data).status_code in (403, 404), url
    assert_nothing_changed(run, proposal)
    lists = "".join(client.get(url).get_data(as_text=True)
                    for url in ("/console/", "/console/experts", "/console/runs"))
    assert world.sh_case.number not in lists and world.sh_expert.name not in lists
    assert f'href="/console/runs/{run.id}"' not in lists
    assert client.get("/console/search/experts?q=张").json == []


def test_a_wider_regions_run_is_hidden_from_a_narrower_regions_coordinator(client, world,
                                                                           sign_in, solved):
    sh_run, _filled, _unfilled = solved
    yrd_run = SolverRun(region="YRD", window_from=date.today(), window_to=SOON)
    db.session.add(yrd_run)
    db.session.commit()
    sign_in("coordinator_sh")
    assert client.get(f"/console/runs/{yrd_run.id}").status_code == 404
    assert client.post(f"/console/runs/{yrd_run.id}/cancel").status_code == 404
    assert f'href="/console/runs/{yrd_run.id}"' not in client.get("/console/runs").get_data(True)
    db.session.refresh(yrd_run)
    assert yrd_run.status is SolverRunStatus.QUEUED
    client.post("/sign-out")
    sign_in("coordinator_yrd")  # the Yangtze River Delta covers Shanghai
    assert client.get(f"/console/runs/{sh_run.id}").status_code == 200


def test_a_coordinator_cannot_start_a_run_for_another_region(client, world, sign_in):
    sign_in("coordinator_sh")
    response = client.post("/console/runs", data=run_form(region="GBA"))
    assert response.status_code == 403
    assert runs_count() == 0


def test_a_run_of_another_region_cannot_steer_the_candidate_browser(client, world, sign_in,
                                                                   solved):
    run, filled, _unfilled = solved
    gd_run = SolverRun(region="GBA", window_from=date.today(), window_to=SOON)
    db.session.add(gd_run)
    db.session.commit()
    sign_in("coordinator_sh")
    url = f"/console/requests/{filled.id}/candidates?run={gd_run.id}"
    assert client.get(url).status_code == 404
    assert client.get(f"/console/requests/{filled.id}/candidates?run=abc").status_code == 404
    assert client.get(f"/console/requests/{world.gd_request.id}/candidates").status_code == 404


def test_a_coordinator_cannot_confirm_another_regions_proposal(client, world, make, sign_in):
    proposal = Assignment(request=world.gd_request, expert=world.gd_expert)
    db.session.add(proposal)
    db.session.commit()
    sign_in("coordinator_sh")
    assert client.post(f"/console/assignments/{proposal.id}/confirm").status_code == 404
    db.session.refresh(proposal)
    assert proposal.status is AssignmentStatus.PROPOSED


# -- the region's lists ------------------------------------------------------------------------

def test_the_request_list_filters_by_priority_field_city_and_days(client, world, make,
                                                                 sign_in):
    case = make.case(body=world.sh_court, fields=("H04L",), number="（2025）沪73知民初901号")
    make.request(case=case, priority=1, days=[(SOON, SOON)])
    db.session.commit()
    sign_in("coordinator_yrd")

    def shown(**args) -> bool:
        return case.number in client.get("/console/", query_string=args).get_data(True)

    assert shown() and shown(priority=1) and not shown(priority=2)
    assert shown(field="H04") and shown(field="H04L12") and not shown(field="G06F")
    assert shown(city="shanghai") and not shown(city="nanjing")
    assert shown(**{"from": SOON.isoformat()}) and not shown(
        **{"from": (SOON + timedelta(days=1)).isoformat()})
    assert not shown(status="confirmed") and shown(status="nonsense")  # a bad filter is left out


def test_the_expert_list_shows_each_experts_load_against_capacity(client, world, sign_in):
    sign_in("coordinator_yrd")
    html = client.get("/console/experts", query_string={"lang": "en"}).get_data(as_text=True)
    assert world.sh_expert.name in html and world.js_expert.name in html
    assert world.gd_expert.name not in html
    assert "1 of 3" in html and "0 held, 1 proposed" in html  # the world's one proposal
    filtered = client.get("/console/experts", query_string={"name": "李"}).get_data(True)
    assert world.js_expert.name in filtered and world.sh_expert.name not in filtered


# -- the Run form ---------------------------------------------------------------------------------

def run_form(**overrides) -> dict:
    data = {"region": "SH", "from": date.today().isoformat(), "to": SOON.isoformat(),
            "time_limit_s": "5", "weights-fit": "50", "weights-travel_per_km": "2",
            "weights-fairness": "1"}
    data.update(overrides)
    return data


def test_the_run_form_shows_its_defaults(client, world, sign_in):
    sign_in("coordinator_sh")
    html = client.get("/console/runs").get_data(as_text=True)
    assert f'value="{date.today().isoformat()}"' in html
    assert f'value="{(date.today() + timedelta(days=90)).isoformat()}"' in html
    assert 'name="time_limit_s" value="10"' in html
    assert 'name="weights-fit" value="50"' in html and 'name="weights-fairness" value="1"' in html
    assert '<option value="SH" selected>' in html
    assert '<option value="solve" selected>' in html and '<option value="replan">' in html


def test_running_the_solver_queues_a_run_and_opens_its_page(client, world, make, sign_in):
    make.request(case=world.sh_case, days=[(SOON, SOON)])
    db.session.commit()
    sign_in("coordinator_sh")
    response = client.post("/console/runs", data=run_form(**{"weights-fairness": "4"}))
    assert response.status_code == 302
    run = db.session.scalars(select(SolverRun)).one()
    assert response.headers["Location"] == f"/console/runs/{run.id}"
    assert run.status is SolverRunStatus.QUEUED and run.job_id
    assert run.parameters["time_limit_s"] == 5 and run.parameters["weights"]["fairness"] == 4
    assert run.created_by_id == world.users["coordinator_sh"].id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in page and 'aria-live="polite"' in page


@pytest.mark.parametrize(("overrides", "input_name"), [
    ({"from": "2026-05-01", "to": "2026-04-01"}, "to"),
    ({"time_limit_s": "0"}, "time_limit_s"),
    ({"weights-fit": "-1"}, "weights-fit"),
    ({"region": "XX"}, "region"),
    ({"from": "not a day"}, "from"),
    ({"mode": "guess"}, "mode"),
])
def test_a_wrong_run_form_is_shown_again_with_the_message_beside_the_input(
        client, world, sign_in, overrides, input_name):
    sign_in("coordinator_sh")
    data = run_form(**{"weights-travel_per_km": "7", **overrides})
    response = client.post("/console/runs", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{input_name}-error"' in html
    assert f'name="{input_name}" value="{data[input_name]}"' in html or input_name in (
        "region", "mode")  # selects
    assert 'name="weights-travel_per_km" value="7"' in html  # what was typed is kept
    assert runs_count() == 0


def test_run_form_messages_are_in_chinese(client, world, sign_in):
    sign_in("coordinator_sh")
    html = client.post("/console/runs", data=run_form(time_limit_s="0")).get_data(True)
    message = re.search(r'id="time_limit_s-error"[^>]*>([^<]+)<', html).group(1)
    assert CJK.search(message)


# -- a run's progress -------------------------------------------------------------------------

def test_the_progress_panel_shows_the_figures_the_worker_wrote(client, world, make, sign_in):
    make.request(case=world.sh_case, days=[(SOON, SOON)])
    run = queued_run(world)
    run.start()
    run.figures = {"phase": "cp-sat", "elapsed_s": 2.5, "seats_filled": 7,
                   "filled_priority": 31, "objective": 1234, "bound": 40, "gap": 0.225}
    db.session.commit()
    sign_in("coordinator_sh")
    response = client.get(f"/console/runs/{run.id}/progress", query_string={"lang": "en"})
    html = response.get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in html and "HX-Refresh" not in response.headers
    assert "whole plan improved (CP-SAT)" in html
    assert "2.5 s of 1 s" in html or "2.5 s of 1.0 s" in html
    for shown in ("7", "31", "1234", "40", "22.5 %"):
        assert f"<dd>{shown}</dd>" in html
    assert '<progress value="1' in html


def test_the_progress_fragment_of_a_finished_run_reloads_the_page(client, world, sign_in,
                                                                 solved):
    run, _filled, _unfilled = solved
    sign_in("coordinator_sh")
    response = client.get(f"/console/runs/{run.id}/progress")
    assert response.headers["HX-Refresh"] == "true"
    assert "hx-trigger" not in response.get_data(as_text=True)


def test_a_queued_run_can_be_cancelled_from_its_page(client, world, make, sign_in):
    make.request(case=world.sh_case, days=[(SOON, SOON)])
    run = queued_run(world)
    sign_in("coordinator_sh")
    response = client.post(f"/console/runs/{run.id}/cancel")
    assert response.status_code == 302
    db.session.refresh(run)
    assert run.status is SolverRunStatus.CANCELLED
    again = client.post(f"/console/runs/{run.id}/cancel", follow_redirects=True)
    assert again.status_code == 200 and 'class="flash flash-error"' in again.get_data(True)
    page = client.get(f"/console/runs/{run.id}").get_data(as_text=True)
    assert f'action="/console/runs/{run.id}/again"' in page


def test_a_failed_run_says_why_and_offers_a_replan(client, world, make, sign_in):
    run = SolverRun(region="SH", window_from=date.today(), window_to=SOON,
                    status=SolverRunStatus.RUNNING)
    db.session.add(run)
    run.fail("the registry changed since the export")
    db.session.commit()
    sign_in("coordinator_sh")
    html = client.get(f"/console/runs/{run.id}").get_data(as_text=True)
    assert "the registry changed since the export" in html
    assert f'action="/console/runs/{run.id}/again"' in html


def newest_run() -> SolverRun:
    return db.session.scalars(select(SolverRun).order_by(SolverRun.id.desc())).first()


def test_solving_again_queues_a_new_run_with_the_same_parameters(client, world, sign_in, solved):
    run, _filled, _unfilled = solved
    sign_in("coordinator_sh")
    response = client.post(f"/console/runs/{run.id}/again", data={"mode": "solve"})
    assert response.status_code == 302
    newer = newest_run()
    assert newer.id != run.id and response.headers["Location"] == f"/console/runs/{newer.id}"
    assert (newer.region, newer.window_from, newer.window_to, newer.status) == (
        run.region, run.window_from, run.window_to, SolverRunStatus.QUEUED)
    assert (newer.parameters["mode"], newer.parameters["time_limit_s"]) == (
        "solve", run.parameters["time_limit_s"])


def test_a_done_run_offers_a_replan_that_queues_one_in_its_short_limit(client, world, sign_in,
                                                                       solved):
    run, _filled, _unfilled = solved
    sign_in("coordinator_sh")
    page = client.get(f"/console/runs/{run.id}").get_data(as_text=True)
    form = re.search(rf'action="/console/runs/{run.id}/again".*?</form>', page, re.S).group(0)
    assert 'name="mode" value="replan"' in form and "只重排变动之处" in form
    assert 'name="mode" value="solve"' in form and "重新求解" in form

    response = client.post(f"/console/runs/{run.id}/again", data={"mode": "replan"},
                           follow_redirects=True)

    newer = newest_run()
    assert response.status_code == 200 and newer.id != run.id
    assert (newer.parameters["mode"], newer.parameters["time_limit_s"]) == ("replan", 2)
    page = response.get_data(as_text=True)
    assert "只调整求解任务" in page  # the flash
    assert "<dt>方式</dt><dd>快速重排：沿用现有建议方案" in page  # how the run was asked for


def test_a_replan_with_no_proposal_to_keep_says_it_solved_whole(client, world, make, sign_in):
    make.request(case=world.sh_case, days=[(SOON, SOON)])
    _document, run = dispatch.export_problem("SH", date.today(), SOON, mode="replan")
    dispatch.solve_run(run)
    db.session.commit()
    sign_in("coordinator_sh")
    page = client.get(f"/console/runs/{run.id}").get_data(as_text=True)
    assert "没有可沿用的建议方案：已完整求解" in page


def test_running_again_in_an_unknown_mode_is_refused_and_queues_nothing(client, world, sign_in,
                                                                       solved):
    run, _filled, _unfilled = solved
    sign_in("coordinator_sh")
    response = client.post(f"/console/runs/{run.id}/again", data={"mode": "guess"})
    assert response.status_code == 422
    assert newest_run().id == run.id


# -- a done run's proposal ------------------------------------------------------------------------

def test_the_proposal_gives_each_experts_reasons_in_words(client, world, sign_in, solved):
    run, filled, unfilled = solved
    sign_in("coordinator_sh")
    html = client.get(f"/console/runs/{run.id}", query_string={"lang": "en"}).get_data(True)
    assert world.sh_expert.name in html
    assert "field G06F matches the requested G06F (proficiency 3/3)" in html
    assert "based in Shanghai: no travel" in html
    assert "load after this assignment 2/3" in html  # the world's proposal is its first
    proposal = proposal_on(filled)
    assert f'action="/console/assignments/{proposal.id}/confirm"' in html
    assert f'action="/console/runs/{run.id}/confirm"' in html
    assert f'/console/requests/{filled.id}/candidates?run={run.id}' in html


def test_an_unfilled_request_shows_how_many_experts_each_rule_removed(client, world, sign_in,
                                                                    solved):
    run, _filled, unfilled = solved
    sign_in("coordinator_sh")
    html = client.get(f"/console/runs/{run.id}", query_string={"lang": "en"}).get_data(True)
    section = html[html.index(f'id="request-{unfilled.id}"'):]
    section = section[:section.index("</article>")]
    assert "1 seat stays empty." in section
    assert re.search(r"role: \d+ experts? ruled out", section)
    assert "No expert passes the fixed rules" in section


def test_the_headline_compares_the_proposal_with_hand_dispatch(client, world, sign_in, solved):
    run, _filled, _unfilled = solved
    sign_in("coordinator_sh")
    html = client.get(f"/console/runs/{run.id}", query_string={"lang": "en"}).get_data(True)
    assert "Hand dispatch" in html
    assert f"{run.metrics['seats_filled']}/{run.metrics['seats_total']}" in html


def test_held_seats_that_break_a_rule_are_listed_as_warnings(client, world, sign_in, solved):
    run, _filled, _unfilled = solved
    run.held_seats_breaking_rules = ["request 5, expert 9: rule 6 (conflict_of_interest)"]
    db.session.commit()
    sign_in("coordinator_sh")
    html = client.get(f"/console/runs/{run.id}").get_data(as_text=True)
    assert "request 5, expert 9: rule 6 (conflict_of_interest)" in html


def test_records_the_solver_left_out_are_listed_with_the_proposal(client, world, sign_in,
                                                                   solved):
    run, _filled, _unfilled = solved
    left_out = "experts[3] (id '9'): appointed_until 2024-01-01 is before appointed_from " \
        "2025-01-01; left out"
    run.plan = {**run.plan, "warnings": [left_out]}
    db.session.commit()
    sign_in("coordinator_sh")
    html = client.get(f"/console/runs/{run.id}").get_data(as_text=True)
    assert "left-out-heading" in html and "appointed_until 2024-01-01" in html


# -- a long run's requests, page by page ----------------------------------------------------------

def stored_run(requests, region="SH") -> SolverRun:
    """A done run over these requests as if solved: its plan chose no seat and left none
    unfilled (the seats the page shows are the requests' own assignments)."""
    run = SolverRun(region=region, window_from=date.today(), window_to=SOON,
                    status=SolverRunStatus.DONE, metrics={},
                    problem={"requests": [{"id": str(r.id)} for r in requests]},
                    plan={"assignments": [], "unfilled": []})
    db.session.add(run)
    db.session.commit()
    return run


@pytest.fixture
def long_run(world, make):
    """A done SH run over 60 open requests (all need attention), in the page's order."""
    case = make.case(body=world.sh_court)
    requests = [make.request(case=case) for _ in range(PER_PAGE + 10)]
    return stored_run(requests), requests


def shown_requests(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<article id="request-(\d+)"', html)]


def listed(html: str) -> str:
    """Which of the run's requests the page lists: attention or all."""
    return re.search(r'href="[^"]*show=(\w+)[^"]*" aria-current="page"', html).group(1)


def seat(request, expert, status=AssignmentStatus.PROPOSED) -> Assignment:
    assignment = Assignment(request=request, expert=expert, status=status)
    db.session.add(assignment)
    db.session.commit()
    return assignment


def test_the_proposal_lists_its_requests_fifty_a_page(client, world, sign_in, long_run):
    run, requests = long_run
    ids = [r.id for r in requests]
    sign_in("coordinator_sh")
    first = client.get(f"/console/runs/{run.id}", query_string={"lang": "en"}).get_data(True)
    second = client.get(f"/console/runs/{run.id}?page=2").get_data(as_text=True)
    assert shown_requests(first) == ids[:PER_PAGE] and shown_requests(second) == ids[PER_PAGE:]
    assert "Page 1 of 2" in first
    assert f'href="/console/runs/{run.id}?show=attention&amp;page=2#proposal" rel="next"' in first
    beyond = client.get(f"/console/runs/{run.id}?page=99").get_data(as_text=True)
    assert shown_requests(beyond) == ids[PER_PAGE:]  # past the end: the last page
    assert shown_requests(client.get(f"/console/runs/{run.id}?page=x").get_data(True)) == \
        ids[:PER_PAGE]  # a bad page number is left out


def test_the_figures_map_and_confirm_all_cover_the_whole_run(client, world, sign_in,
                                                             long_run):
    run, requests = long_run
    seat(requests[0], world.sh_expert)
    seat(requests[-1], world.js_expert)  # on page 2
    sign_in("coordinator_sh")
    html = client.get(f"/console/runs/{run.id}", query_string={"lang": "en"}).get_data(True)
    assert requests[-1].id not in shown_requests(html)
    assert "Confirm all 2 proposals" in html
    map_data = json.loads(re.search(r'<script type="application/json">(.*?)</script>',
                                    html, re.S).group(1))["data"]
    assert map_data["totals"]["assignments"] == 2
    assert {(f["from"], f["to"]) for f in map_data["flows"]} == {("shanghai", "shanghai"),
                                                                 ("nanjing", "shanghai")}


def test_by_default_the_page_lists_the_requests_that_need_attention(client, world, make,
                                                                    sign_in):
    case = make.case(body=world.sh_court)
    proposed, confirmed, empty = (make.request(case=case) for _ in range(3))
    cancelled = make.request(case=case, status=RequestStatus.CANCELLED)
    seat(proposed, world.sh_expert)
    seat(confirmed, world.sh_expert, AssignmentStatus.CONFIRMED)
    run = stored_run([proposed, confirmed, empty, cancelled])
    sign_in("coordinator_sh")
    url = f"/console/runs/{run.id}"
    attention = client.get(url, query_string={"lang": "en"}).get_data(as_text=True)
    everything = client.get(url, query_string={"show": "all"}).get_data(as_text=True)
    assert shown_requests(attention) == [proposed.id, empty.id]
    assert shown_requests(everything) == [proposed.id, confirmed.id, empty.id, cancelled.id]
    assert "2 requests need attention" in attention and "All 4 requests" in attention
    assert listed(attention) == "attention" and listed(everything) == "all"
    assert 'name="show" value="all"' in everything  # confirming keeps the list
    assert shown_requests(client.get(url, query_string={"show": "nonsense"}).get_data(True)) \
        == [proposed.id, empty.id]


def test_a_run_with_nothing_left_to_do_offers_all_its_requests(client, world, make, sign_in):
    done = make.request(case=world.sh_case)
    seat(done, world.sh_expert, AssignmentStatus.CONFIRMED)
    run = stored_run([done])
    sign_in("coordinator_sh")
    html = client.get(f"/console/runs/{run.id}", query_string={"lang": "en"}).get_data(True)
    assert shown_requests(html) == []
    assert "No request of this run needs attention now." in html
    assert f'href="/console/runs/{run.id}?show=all#proposal"' in html


def test_a_link_to_a_request_of_the_run_opens_the_page_holding_it(client, world, sign_in,
                                                                  long_run):
    run, requests = long_run
    late, settled = requests[PER_PAGE + 5], requests[3]
    seat(settled, world.sh_expert, AssignmentStatus.CONFIRMED)  # no longer needs attention
    sign_in("coordinator_sh")
    url = f"/console/runs/{run.id}"
    html = client.get(url, query_string={"request": late.id}).get_data(as_text=True)
    assert late.id in shown_requests(html) and listed(html) == "attention"
    among_all = client.get(url, query_string={"request": settled.id}).get_data(as_text=True)
    assert settled.id in shown_requests(among_all) and listed(among_all) == "all"
    # A request of another run is no place to land: the page asked for is shown.
    elsewhere = client.get(url, query_string={"request": world.sh_request.id, "page": 2})
    assert shown_requests(elsewhere.get_data(True)) == \
        [r.id for r in requests if r is not settled][PER_PAGE:]


def test_a_request_gone_from_the_list_asked_for_lands_where_it_would_be(client, world,
                                                                        sign_in, long_run):
    run, requests = long_run
    settled = requests[PER_PAGE + 2]
    seat(settled, world.sh_expert, AssignmentStatus.CONFIRMED)  # e.g. confirmed just now
    sign_in("coordinator_sh")
    html = client.get(f"/console/runs/{run.id}", query_string={
        "request": settled.id, "show": "attention"}).get_data(as_text=True)
    assert shown_requests(html) == [r.id for r in requests[PER_PAGE:] if r is not settled]
    assert listed(html) == "attention"


def statements_of(client, url: str) -> int:
    """How many SQL statements answering the GET of `url` runs."""
    seen = []

    def executed(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", executed)
    try:
        assert client.get(url).status_code == 200, url
    finally:
        event.remove(db.engine, "before_cursor_execute", executed)
    return len(seen)


def test_the_run_page_queries_as_much_for_60_requests_as_for_3(client, world, sign_in,
                                                               long_run):
    run, requests = long_run
    for request in requests:
        seat(request, world.sh_expert)
    small = stored_run(requests[:3])
    sign_in("coordinator_sh")
    statements_of(client, f"/console/runs/{small.id}")  # the first also reads the region's
    counts = {statements_of(client, url) for url in (  # agreement (kept for a few seconds)
        f"/console/runs/{small.id}", f"/console/runs/{run.id}", f"/console/runs/{run.id}?page=2")}
    assert len(counts) == 1, counts


# -- confirming ---------------------------------------------------------------------------------

def test_confirming_one_proposal_goes_back_to_its_request_on_the_run(client, world, sign_in,
                                                                     solved):
    run, filled, _unfilled = solved
    proposal = proposal_on(filled)
    sign_in("coordinator_sh")
    response = client.post(f"/console/assignments/{proposal.id}/confirm",
                           data={"run": str(run.id)})
    assert response.status_code == 302
    assert response.headers["Location"] == \
        f"/console/runs/{run.id}?request={filled.id}#request-{filled.id}"
    db.session.refresh(proposal)
    assert proposal.status is AssignmentStatus.CONFIRMED
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="flash flash-success"' in page
    assert f'id="request-{filled.id}"' in page  # confirmed: found among all the requests


def test_confirming_one_proposal_keeps_the_list_it_was_confirmed_from(client, world, sign_in,
                                                                      solved):
    run, filled, _unfilled = solved
    sign_in("coordinator_sh")
    response = client.post(f"/console/assignments/{proposal_on(filled).id}/confirm",
                           data={"run": str(run.id), "show": "attention"})
    assert response.headers["Location"] == \
        f"/console/runs/{run.id}?request={filled.id}&show=attention#request-{filled.id}"


def test_a_refused_confirmation_says_why_and_changes_nothing(client, world, sign_in, solved):
    run, filled, _unfilled = solved
    proposal = proposal_on(filled)
    filled.case.handling_body  # noqa: B018 (loaded before the change below)
    world.sh_expert.status = "suspended"
    db.session.commit()
    sign_in("coordinator_sh")
    response = client.post(f"/console/assignments/{proposal.id}/confirm",
                           data={"run": str(run.id)}, follow_redirects=True)
    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    db.session.refresh(proposal)
    assert proposal.status is AssignmentStatus.PROPOSED


def test_a_confirmation_sent_from_a_stale_run_page_is_refused(client, world, sign_in, solved):
    """The run page showed the proposal at one version; it changed since (here its reasons):
    the confirm button sent the version it showed, so nothing is confirmed."""
    run, filled, _unfilled = solved
    proposal = proposal_on(filled)
    sign_in("coordinator_sh")
    url = f"/console/assignments/{proposal.id}/confirm"

    def shown_version() -> str:
        html = client.get(f"/console/runs/{run.id}?request={filled.id}").get_data(True)
        form = re.search(rf'<form[^>]*action="{re.escape(url)}"[^>]*>(.*?)</form>', html, re.S)
        return re.search(r'name="version" value="(\d+)"', form.group(1)).group(1)

    stale = shown_version()
    proposal.reasons = ["a note added since the page was shown"]
    db.session.commit()
    response = client.post(url, data={"run": str(run.id), "version": stale},
                           headers={"Accept-Language": "en"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert 'class="flash flash-error"' in html and f"assignment {proposal.id}" in html
    db.session.refresh(proposal)
    assert proposal.status is AssignmentStatus.PROPOSED
    assert db.session.query(AuditEvent).filter_by(action="confirm").count() == 0
    response = client.post(url, data={"run": str(run.id), "version": shown_version()})
    db.session.refresh(proposal)
    assert proposal.status is AssignmentStatus.CONFIRMED


def test_confirm_all_confirms_what_holds_and_says_what_was_refused(client, world, make,
                                                                   sign_in):
    first = make.request(case=make.case(body=world.sh_court, fields=("G06F",)),
                         days=[(SOON, SOON)])
    other = make.expert(name="王芳", city="shanghai", fields={"H04L": 3})
    second = make.request(case=make.case(body=world.sh_court, fields=("H04L",)),
                          days=[(SOON, SOON)])
    run = queued_run(world)
    dispatch.solve_run(run)
    assert (proposal_on(first).expert_id, proposal_on(second).expert_id) == \
        (world.sh_expert.id, other.id)
    other.status = "suspended"  # since the run: its proposal no longer holds
    db.session.commit()
    sign_in("coordinator_sh")
    response = client.post(f"/console/runs/{run.id}/confirm", follow_redirects=True,
                           headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert "1 proposal confirmed." in html
    assert f"王芳 on request {second.id} not confirmed" in html
    db.session.expire_all()
    assert proposal_on(second).expert_id == other.id
    assert db.session.get(Assignment, proposal_on(second).id).status is \
        AssignmentStatus.PROPOSED
    confirmed = db.session.scalars(select(Assignment).where(
        Assignment.request_id == first.id)).one()
    assert confirmed.status is AssignmentStatus.CONFIRMED


# -- the candidate browser ----------------------------------------------------------------------

def test_candidates_are_ranked_with_their_costs_in_words(client, world, make, sign_in, solved):
    run, filled, _unfilled = solved
    make.expert(name="赵敏", city="nanjing")  # since the run: today's registry knows her
    db.session.commit()
    sign_in("coordinator_yrd")
    html = client.get(f"/console/requests/{filled.id}/candidates",
                      headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "赵敏" in html and "Use this expert" in html
    assert "km (Nanjing → Shanghai)" in html and "load after this assignment 1/3" in html
    assert 'name="replacing_id"' in html  # its one seat is taken: whom does she replace?
    assert 'data-search-url="/console/search/experts"' in html
    from_run = client.get(f"/console/requests/{filled.id}/candidates?run={run.id}")
    assert from_run.status_code == 200 and "赵敏" not in from_run.get_data(as_text=True)
    back = f'href="/console/runs/{run.id}?request={filled.id}#request-{filled.id}"'
    assert back in from_run.get_data(as_text=True)  # lands on the run's page holding it


def test_using_another_expert_replaces_the_proposal(client, world, make, sign_in, solved):
    run, filled, _unfilled = solved
    other = make.expert(name="赵敏", city="shanghai")
    db.session.commit()
    replaced = proposal_on(filled)
    sign_in("coordinator_sh")
    response = client.post(f"/console/requests/{filled.id}/use", data={
        "expert_id": str(other.id), "replacing_id": str(replaced.id), "run": str(run.id)})
    assert response.status_code == 302
    assert response.headers["Location"] == \
        f"/console/runs/{run.id}?request={filled.id}#request-{filled.id}"
    db.session.expire_all()
    assert proposal_on(filled).expert_id == other.id
    assert db.session.get(Assignment, replaced.id).status is AssignmentStatus.WITHDRAWN
    [withdrawn] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "withdraw", AuditEvent.entity == "assignment")).all()
    assert withdrawn.entity_id == str(replaced.id)
    assert (withdrawn.after["status"], withdrawn.after["because"]) == ("withdrawn", "replaced")


def test_an_expert_a_rule_forbids_is_refused_beside_the_form_and_nothing_changes(
        app, client, world, make, sign_in, solved):
    run, filled, _unfilled = solved
    outsider = make.expert(name="孙丽", city="shanghai", fields={"H04L": 3})  # not G06F
    db.session.commit()
    replaced = proposal_on(filled)
    sign_in("coordinator_sh")
    with statements_while_rendering(app) as seen:
        response = client.post(f"/console/requests/{filled.id}/use", data={
            "expert_id": str(outsider.id), "replacing_id": str(replaced.id),
            "run": str(run.id)}, headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and seen == []
    assert 'id="expert_id-error"' in html and "forbids it" in html
    assert "none of the expert&#39;s fields matches" in html
    assert f'<option value="{outsider.id}" selected>' in html  # the choice is kept
    db.session.expire_all()
    assert proposal_on(filled).id == replaced.id
    assert db.session.scalar(select(func.count()).select_from(Assignment).where(
        Assignment.expert_id == outsider.id)) == 0


def test_an_expert_of_another_region_is_not_offered_nor_named(client, world, sign_in, solved):
    run, filled, _unfilled = solved
    sign_in("coordinator_sh")
    response = client.post(f"/console/requests/{filled.id}/use", data={
        "expert_id": str(world.gd_expert.id), "replacing_id": str(proposal_on(filled).id),
        "run": str(run.id)})
    assert response.status_code == 404  # as if there were no such expert
    assert world.gd_expert.name not in response.get_data(as_text=True)


def test_the_expert_picker_searches_the_regions_experts_by_name(client, world, sign_in):
    sign_in("coordinator_sh")
    assert [o["value"] for o in client.get("/console/search/experts?q=张").json] == \
        [str(world.sh_expert.id)]
    assert client.get("/console/search/experts?q=陈").json == []  # Shenzhen: not SH


def test_missing_or_impossible_ids_are_404_pages(client, world, sign_in):
    sign_in("coordinator_sh")
    for url in ("/console/runs/999999", f"/console/runs/{10**12}",
                f"/console/runs/{10**12}/progress", f"/console/requests/{10**12}/candidates"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.mimetype == "text/html"
    for url in (f"/console/runs/{10**12}/cancel", f"/console/assignments/{10**12}/confirm",
                f"/console/runs/{10**12}/confirm", f"/console/requests/{10**12}/use"):
        assert client.post(url).status_code == 404, url


def test_a_console_form_without_its_csrf_token_is_refused(app, client, world, sign_in, solved):
    run, filled, _unfilled = solved
    proposal = proposal_on(filled)
    sign_in("coordinator_sh")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/console/assignments/{proposal.id}/confirm").status_code == 400
    assert client.post("/console/runs", data=run_form()).status_code == 400
    assert_nothing_changed(run, proposal)


def test_a_proposal_of_another_request_cannot_be_replaced(client, world, make, sign_in, solved):
    run, filled, unfilled = solved
    other = make.expert(name="赵敏", city="shanghai")
    db.session.commit()
    sign_in("coordinator_sh")
    response = client.post(f"/console/requests/{unfilled.id}/use", data={
        "expert_id": str(other.id), "replacing_id": str(proposal_on(filled).id)})
    assert response.status_code == 422
    assert 'id="replacing_id-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert proposal_on(filled).expert_id == world.sh_expert.id
