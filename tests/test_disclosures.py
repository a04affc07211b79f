"""Disclosure and waiver for arbitrators (issue 9, item 4; docs/disclosure.md).

Each detector alone decides (and does not fire where it must not); an orange-list situation
holds confirmation until the parties' no-objection is recorded; a waivable red-list one is a
bar until their express written waiver is, and then the scheduler is told (`waivers`); a
non-waivable one takes no waiver. The issue's own case first.
"""

import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import (
    Affiliation,
    Assignment,
    AssignmentStatus,
    AuditEvent,
    ExpertRelation,
    ExpertRole,
    ExpertStatus,
    OrganizationKind,
    Person,
    RelationKind,
    RequestStatus,
    SolverRun,
    SolverRunStatus,
    Waiver,
)
from registry.services import (
    disclosures,
    disclosures_demo,
    dispatch,
    locks,
    persons,
    problem_export,
)
from registry.services.disclosures_demo import days_ago
from tests.statements import recording_statements
from tests.test_races import ON_POSTGRESQL
from tests.web.test_templates_never_query import statements_while_rendering

PASSWORD = "correct horse battery"
NUMBERS = itertools.count(600)
YEAR = 365


# -- building arbitrations ------------------------------------------------------------------

def arbitration(make, world, parties, role=ExpertRole.ARBITRATOR):
    """An open one-seat request on a new arbitration case of the Shenzhen institution."""
    case = make.case(body=world.gd_court, kind="arbitration", parties=parties,
                     number=f"（2025）深国仲受{next(NUMBERS)}号")
    return make.request(case=case, role=role, seats=1)


def served(make, world, expert, parties, days=200, status=AssignmentStatus.COMPLETED):
    """The expert served as arbitrator on a past case with these parties, `days` ago."""
    request = arbitration(make, world, parties)
    request.status = RequestStatus.COMPLETED
    db.session.add(Assignment(request=request, expert=expert, status=status,
                              created_at=days_ago(days)))
    db.session.flush()
    return request


def proposed(request, expert):
    assignment = Assignment(request=request, expert=expert, reasons=["by the solver"])
    db.session.add(assignment)
    request.status = RequestStatus.PROPOSED
    db.session.commit()
    return assignment


@pytest.fixture
def firms(make):
    """A party (甲), another party (乙) and their counsel (a law firm)."""
    return {"x": make.organization(name="甲科技有限公司"),
            "y": make.organization(name="乙电子有限公司"),
            "firm": make.organization(name="丙律师事务所", kind=OrganizationKind.LAW_FIRM)}


def title(key: str) -> str:
    from scheduler import rules

    return rules.rule(key).title_en


def rules_of(request, expert) -> list[str]:
    return [f.rule for f in disclosures.findings(request, expert)]


def confirm(client, headers, assignment):
    return client.post(f"/api/v1/assignments/{assignment.id}/confirm", headers=headers)


def answer(client, headers, request, expert, **values):
    body = {"rule": "repeat_party_appointments", "kind": "no_objection",
            "party": "申请人甲科技有限公司及被申请人乙电子有限公司", **values}
    return client.post(f"/api/v1/disclosures/requests/{request.id}/experts/{expert.id}/waivers",
                       headers=headers, json=body)


# -- the issue: arbitrator confirmed three times for the same party and counsel, no flag ------

def test_the_third_appointment_by_one_party_is_disclosed_and_waits_for_a_no_objection(
        client, world, make, as_, firms):
    arbitrator = world.gd_expert
    earlier = [served(make, world, arbitrator,  # the other side was someone else each time
                      [(firms["x"], firms["firm"]), make.organization()], days)
               for days in (300, 500)]
    third = arbitration(make, world, [(firms["x"], firms["firm"]), firms["y"]])
    seat = proposed(third, arbitrator)

    shown = client.get(f"/api/v1/assignments/{seat.id}", headers=as_("coordinator_gba"))
    found = shown.get_json()["disclosures"]
    assert [d["rule"] for d in found] == ["repeat_party_appointments"]
    assert found[0]["severity"] == "disclose" and found[0]["cleared"] is False
    assert "甲科技有限公司" in found[0]["detail"] and found[0]["title_zh"]
    # the earlier cases by number, so the parties can tell which appointments they were
    assert found[0]["detail"].endswith(": " + ", ".join(sorted(r.case.number for r in earlier)))

    refused = confirm(client, as_("coordinator_gba"), seat)
    assert refused.status_code == 409
    assert title("repeat_party_appointments") in refused.get_json()["message"]
    db.session.expire_all()
    assert db.session.get(Assignment, seat.id).status is AssignmentStatus.PROPOSED

    recorded = answer(client, as_("clerk_gd"), third, arbitrator,
                      document="（2025）深国仲受通知第3号")
    assert recorded.status_code == 201, recorded.get_json()
    assert recorded.get_json()["kind"] == "no_objection"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "waiver.record")
                               ).one()
    assert event.after["rule"] == "repeat_party_appointments"
    assert event.actor_id == world.users["clerk_gd"].id

    allowed = confirm(client, as_("coordinator_gba"), seat)
    assert allowed.status_code == 200, allowed.get_json()
    cleared = allowed.get_json()["disclosures"][0]
    assert cleared["cleared"] is True
    assert cleared["waived_by"][0]["party"].startswith("申请人甲科技")


# -- each detector alone, and where it must not fire ------------------------------------------

def test_repeat_party_appointments_needs_two_within_three_years(world, make, firms):
    arbitrator = world.gd_expert
    request = arbitration(make, world, [firms["x"], firms["y"]])
    served(make, world, arbitrator, [firms["x"]], days=100)
    assert rules_of(request, arbitrator) == []  # one earlier appointment
    served(make, world, arbitrator, [firms["x"]], days=4 * YEAR)
    assert rules_of(request, arbitrator) == []  # the other four years ago
    served(make, world, arbitrator, [firms["x"]], days=2 * YEAR)
    assert rules_of(request, arbitrator) == ["repeat_party_appointments"]


def test_proposals_withdrawn_and_other_parties_are_no_appointments(world, make, firms):
    arbitrator = world.gd_expert
    request = arbitration(make, world, [firms["x"]])
    served(make, world, arbitrator, [firms["x"]], status=AssignmentStatus.WITHDRAWN)
    served(make, world, arbitrator, [firms["x"]], status=AssignmentStatus.DECLINED)
    served(make, world, arbitrator, [firms["y"]])
    served(make, world, arbitrator, [firms["y"]])
    assert rules_of(request, arbitrator) == []


def test_an_affiliate_of_the_party_counts_as_the_party(world, make, firms):
    group = make.organization(name="甲集团")
    sister = make.organization(name="甲科技（深圳）有限公司", parent_id=group.id)
    firms["x"].parent_id = group.id
    request = arbitration(make, world, [firms["x"]])
    served(make, world, world.gd_expert, [sister])
    served(make, world, world.gd_expert, [group])
    assert rules_of(request, world.gd_expert) == ["repeat_party_appointments"]


def test_repeat_counsel_appointments_needs_more_than_three(world, make, firms):
    arbitrator = world.gd_expert
    request = arbitration(make, world, [(firms["x"], firms["firm"])])
    for _ in range(3):  # each time for a different client of the firm
        served(make, world, arbitrator, [(make.organization(), firms["firm"])])
    assert rules_of(request, arbitrator) == []
    served(make, world, arbitrator, [(make.organization(), firms["firm"])], days=5 * YEAR)
    assert rules_of(request, arbitrator) == []
    served(make, world, arbitrator, [(make.organization(), firms["firm"])], days=3 * YEAR - 30)
    assert rules_of(request, arbitrator) == ["repeat_counsel_appointments"]


def test_former_association_with_an_affiliate_within_three_years(world, make, firms):
    group = make.organization(name="甲集团")
    sister = make.organization(name="甲软件有限公司", parent_id=group.id)
    stranger = make.organization(name="无关公司")
    firms["x"].parent_id = group.id
    arbitrator = make.expert(city="shenzhen", roles=("arbitrator",))
    request = arbitration(make, world, [firms["x"]])
    arbitrator.affiliations.append(Affiliation(organization=stranger,
                                               end=date.today() - timedelta(days=30)))
    arbitrator.affiliations.append(Affiliation(organization=sister,
                                               end=date.today() - timedelta(days=4 * YEAR)))
    db.session.flush()
    assert rules_of(request, arbitrator) == []  # unrelated, and the sister company too long ago
    arbitrator.affiliations.append(Affiliation(organization=sister,
                                               end=date.today() - timedelta(days=2 * YEAR)))
    db.session.flush()
    found = disclosures.findings(request, arbitrator)
    assert [f.rule for f in found] == ["former_association_affiliate"]
    assert "甲软件有限公司" in found[0].detail


def test_no_disclosure_rule_applies_to_an_investigator(world, make, firms):
    both = make.expert(city="shenzhen", roles=("arbitrator", "investigator"))
    for _ in range(2):
        served(make, world, both, [(firms["x"], firms["firm"])])
    both.affiliations.append(Affiliation(organization=firms["firm"]))
    db.session.flush()
    investigation = arbitration(make, world, [(firms["x"], firms["firm"])],
                                role=ExpertRole.INVESTIGATOR)
    arbitrators = arbitration(make, world, [(firms["x"], firms["firm"])])
    assert rules_of(investigation, both) == []
    assert set(rules_of(arbitrators, both)) == {"repeat_party_appointments",
                                                "same_firm_as_counsel"}


def test_severities_come_from_the_rule_table(world, make, firms):
    from scheduler import rules

    arbitrator = make.expert(city="shenzhen", roles=("arbitrator",),
                             affiliations=[firms["firm"]])
    request = arbitration(make, world, [(firms["x"], firms["firm"])])
    [found] = disclosures.disclosures(request, arbitrator)
    assert found.severity == rules.rule("same_firm_as_counsel").severity == rules.WAIVABLE


# -- the waivable red list: a bar until the parties' express written waiver ---------------------

def hand_pick(client, headers, request, expert):
    return client.post("/api/v1/assignments", headers=headers,
                       json={"request_id": request.id, "expert_id": expert.id})


@pytest.fixture
def same_firm(world, make, firms):
    """An arbitrator now with the firm acting as counsel to a party of a fresh request."""
    arbitrator = make.expert(name="周律师", city="shenzhen", roles=("arbitrator",),
                             affiliations=[firms["firm"]])
    request = arbitration(make, world, [(firms["x"], firms["firm"]), firms["y"]])
    db.session.commit()
    return request, arbitrator


def test_same_firm_as_counsel_without_a_written_waiver_is_a_bar(client, world, as_, firms,
                                                                 same_firm):
    request, arbitrator = same_firm
    refused = hand_pick(client, as_("coordinator_gba"), request, arbitrator)
    assert refused.status_code == 409
    assert title("same_firm_as_counsel") in refused.get_json()["message"]
    # The solver's problem carries no waiver: the firm stays a party for rule 6.
    entry = problem_export.request_problem(request, date.today())["requests"][0]
    assert "waivers" not in entry and str(firms["firm"].id) in entry["parties"]
    assert dispatch.check_manual_assignment(request, arbitrator)  # the scheduler bars it
    # A mere no-objection does not clear a waivable bar, nor a waiver without its document.
    # (The coordinator records it: a clerk names only experts standing on its request.)
    assert answer(client, as_("clerk_gd"), request, arbitrator).status_code == 404
    no_objection = answer(client, as_("coordinator_gba"), request, arbitrator,
                          rule="same_firm_as_counsel")
    assert no_objection.status_code == 422
    assert "written waiver" in no_objection.get_json()["message"]
    undocumented = answer(client, as_("coordinator_gba"), request, arbitrator,
                          rule="same_firm_as_counsel", kind="written_waiver")
    assert undocumented.status_code == 422
    assert "document" in undocumented.get_json()["errors"]["json"]
    assert db.session.scalars(select(Waiver)).all() == []
    assert hand_pick(client, as_("coordinator_gba"), request, arbitrator).status_code == 409


def test_a_written_waiver_lets_the_scheduler_and_the_hand_pick_allow_it(client, world, as_,
                                                                        firms, same_firm):
    request, arbitrator = same_firm
    waived = answer(client, as_("coordinator_gba"), request, arbitrator,
                    rule="same_firm_as_counsel", kind="written_waiver",
                    party="全体当事人", document="弃权声明书（2025-03-01）")
    assert waived.status_code == 201, waived.get_json()
    db.session.expire_all()
    request = db.session.get(type(request), request.id)
    entry = problem_export.request_problem(request, date.today())["requests"][0]
    assert entry["waivers"] == [{"expert": str(arbitrator.id), "orgs": [str(firms["firm"].id)]}]
    # From here the scheduler's part (H1: the `waivers` key) decides.
    assert dispatch.check_manual_assignment(request, arbitrator) == []
    picked = hand_pick(client, as_("coordinator_gba"), request, arbitrator)
    assert picked.status_code == 201, picked.get_json()
    assert picked.get_json()["disclosures"][0]["cleared"] is True


def test_a_waiver_for_another_request_or_expert_does_not_carry_over(client, world, as_, make,
                                                                    firms, same_firm):
    request, arbitrator = same_firm
    other = arbitration(make, world, [(firms["x"], firms["firm"])])
    db.session.commit()
    assert answer(client, as_("coordinator_gba"), other, arbitrator,
                  rule="same_firm_as_counsel", kind="written_waiver",
                  document="弃权声明书").status_code == 201
    db.session.expire_all()
    request = db.session.get(type(request), request.id)
    assert "waivers" not in problem_export.request_problem(request, date.today())["requests"][0]
    assert hand_pick(client, as_("coordinator_gba"), request, arbitrator).status_code == 409


def test_a_waiver_for_an_expert_the_problem_cannot_name_leaves_the_problem_valid(
        client, world, as_, firms, same_firm):
    """A waived arbitrator suspended since is no candidate: its waiver must not name it, or
    the whole region's problem is invalid (a 500 on the candidates page, a failed run)."""
    from scheduler.reading import load_problem

    request, arbitrator = same_firm
    assert answer(client, as_("coordinator_gba"), request, arbitrator,
                  rule="same_firm_as_counsel", kind="written_waiver",
                  document="弃权声明书").status_code == 201
    db.session.expire_all()
    db.session.get(type(arbitrator), arbitrator.id).status = ExpertStatus.SUSPENDED
    db.session.commit()
    request = db.session.get(type(request), request.id)
    document = problem_export.request_problem(request, date.today())
    assert "waivers" not in document["requests"][0]
    load_problem(document)  # raises ProblemError when the document names an unknown expert


def test_another_regions_expert_has_no_disclosures_and_takes_no_waiver(client, world, as_,
                                                                       firms, same_firm):
    """A coordinator learns nothing of an expert its requests may not draw on."""
    request, arbitrator = same_firm
    outside = f"/api/v1/disclosures/requests/{world.sh_request.id}/experts/{arbitrator.id}"
    assert client.get(outside, headers=as_("coordinator_yrd")).status_code == 404
    assert answer(client, as_("coordinator_yrd"), world.sh_request, arbitrator,
                  rule="same_firm_as_counsel", kind="written_waiver",
                  document="弃权声明书").status_code == 404
    assert db.session.scalars(select(Waiver)).all() == []


def test_a_case_wide_waiver_covers_every_request_of_the_case(client, world, as_, make, firms,
                                                             same_firm):
    request, arbitrator = same_firm
    sibling = make.request(case=request.case, role=ExpertRole.ARBITRATOR, seats=1)
    db.session.commit()
    assert answer(client, as_("coordinator_gba"), sibling, arbitrator,
                  rule="same_firm_as_counsel", kind="written_waiver", document="弃权声明书",
                  scope="case").status_code == 201
    db.session.expire_all()
    request = db.session.get(type(request), request.id)
    assert [d.cleared for d in disclosures.disclosures(request, arbitrator)] == [True]


def test_a_non_waivable_situation_takes_no_waiver(client, world, as_, make, firms):
    employee = make.expert(city="shenzhen", roles=("arbitrator",), affiliations=[firms["x"]])
    request = arbitration(make, world, [(firms["x"], firms["firm"])])
    db.session.commit()
    assert rules_of(request, employee) == []  # the party itself: a bar, not a disclosure
    refused = answer(client, as_("coordinator_gba"), request, employee,
                     rule="party_or_representative", kind="written_waiver", document="x")
    assert refused.status_code == 422 and "rule" in refused.get_json()["errors"]["json"]
    nothing = answer(client, as_("coordinator_gba"), request, employee,
                     rule="same_firm_as_counsel", kind="written_waiver", document="x")
    assert nothing.status_code == 422 and "nothing is disclosed" in nothing.get_json()["message"]
    assert hand_pick(client, as_("coordinator_gba"), request, employee).status_code == 422


# -- confirm all: a disclosed proposal waits, the others go ------------------------------------

def test_confirm_run_leaves_a_disclosed_proposal_waiting(world, make, firms):
    from registry.services import assignments

    arbitrator = world.gd_expert
    for _ in range(2):
        served(make, world, arbitrator, [firms["x"]])
    disclosed = arbitration(make, world, [firms["x"]])
    plain = arbitration(make, world, [firms["y"]])
    colleague = make.expert(city="shenzhen", roles=("arbitrator",))
    run = SolverRun(region="GBA", window_from=date.today(), window_to=date.today(),
                    status=SolverRunStatus.DONE)
    db.session.add(run)
    for request, expert in ((disclosed, arbitrator), (plain, colleague)):
        db.session.add(Assignment(request=request, expert=expert, solver_run=run))
        request.status = RequestStatus.PROPOSED
    db.session.commit()
    outcome = assignments.confirm_run(run, world.users["coordinator_gba"])
    assert [a.request_id for a in outcome["confirmed"]] == [plain.id]
    [(waiting, error)] = outcome["refused"]
    assert waiting.request_id == disclosed.id and error.status == 409
    assert "repeat_party_appointments" in error.message  # the key (messages name its title)


# -- who may record ------------------------------------------------------------------------

@pytest.fixture
def disclosed(world, make, firms):
    for _ in range(2):
        served(make, world, world.gd_expert, [firms["x"]])
    request = arbitration(make, world, [firms["x"]])
    return request, proposed(request, world.gd_expert)


@pytest.mark.parametrize("user, status", [("clerk_sh", 404), ("coordinator_yrd", 404),
                                          ("expert_gd", 403), ("clerk_gd", 201),
                                          ("coordinator_gba", 201), ("admin", 201)])
def test_only_the_filing_body_and_the_regions_coordinators_record(client, world, as_,
                                                                  disclosed, user, status):
    request, _seat = disclosed
    response = answer(client, as_(user), request, world.gd_expert)
    assert response.status_code == status, response.get_json()
    assert len(db.session.scalars(select(Waiver)).all()) == (1 if status == 201 else 0)


def test_a_clerk_names_only_an_expert_standing_on_its_request(client, world, as_, disclosed):
    request, _seat = disclosed
    stranger = client.get(f"/api/v1/disclosures/requests/{request.id}/experts/"
                          f"{world.sh_expert.id}", headers=as_("clerk_gd"))
    assert stranger.status_code == 404
    shown = client.get(f"/api/v1/disclosures/requests/{request.id}/experts/"
                       f"{world.gd_expert.id}", headers=as_("clerk_gd"))
    assert [d["rule"] for d in shown.get_json()["disclosures"]] == ["repeat_party_appointments"]


# -- the pages -------------------------------------------------------------------------------

def sign_in(client, world, name):
    response = client.post("/sign-in", data={"email": world.users[name].email,
                                             "password": PASSWORD})
    assert response.status_code == 302


def test_the_clerk_sees_the_disclosure_and_records_the_answer_in_chinese(client, world,
                                                                         disclosed):
    request, _seat = disclosed
    sign_in(client, world, "clerk_gd")
    case_page = client.get(f"/clerk/cases/{request.case_id}").get_data(as_text=True)
    assert "三年内两次以上由同一当事人选定" in case_page
    url = f"/clerk/requests/{request.id}/experts/{world.gd_expert.id}/disclosures"
    assert f'href="{url}"' in case_page
    bad = client.post(url, data={"rule": "repeat_party_appointments", "kind": "no_objection",
                                 "party": "  ", "document": "通知书第1号"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="party-error"' in html and "通知书第1号" in html
    assert db.session.scalars(select(Waiver)).all() == []
    good = client.post(url, data={"rule": "repeat_party_appointments", "kind": "no_objection",
                                  "party": "申请人及被申请人", "document": "通知书第1号"})
    assert good.status_code == 302
    assert "申请人及被申请人" in client.get(url).get_data(as_text=True)


def test_another_bodys_clerk_cannot_open_the_form(client, world, disclosed):
    request, _seat = disclosed
    sign_in(client, world, "clerk_sh")
    url = f"/clerk/requests/{request.id}/experts/{world.gd_expert.id}/disclosures"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"rule": "repeat_party_appointments",
                                  "kind": "no_objection", "party": "冒名"}).status_code == 404
    assert db.session.scalars(select(Waiver)).all() == []


def test_the_proposal_and_the_candidates_show_the_disclosure(client, world, disclosed):
    request, seat = disclosed
    run = SolverRun(region="GBA", window_from=date.today(), window_to=date.today(),
                    status=SolverRunStatus.DONE, metrics={},
                    problem={"requests": [{"id": str(request.id)}]},
                    plan={"assignments": [], "unfilled": []})
    db.session.add(run)
    db.session.commit()
    sign_in(client, world, "coordinator_gba")
    form_url = f"/console/requests/{request.id}/experts/{world.gd_expert.id}/disclosures"
    for url in (f"/console/runs/{run.id}", f"/console/requests/{request.id}/candidates"):
        html = client.get(url).get_data(as_text=True)
        assert "三年内两次以上由同一当事人选定" in html, url
        assert form_url in html, url
    refused = client.post(f"/console/assignments/{seat.id}/confirm", follow_redirects=True)
    assert "三年内两次以上由同一当事人选定" in refused.get_data(as_text=True)
    assert client.post(form_url, data={"rule": "repeat_party_appointments",
                                       "kind": "no_objection",
                                       "party": "双方当事人"}).status_code == 302
    client.post(f"/console/assignments/{seat.id}/confirm")
    db.session.expire_all()
    assert db.session.get(Assignment, seat.id).status is AssignmentStatus.CONFIRMED


def test_the_disclosure_pages_never_query_while_rendering(app, client, world, disclosed):
    request, _seat = disclosed
    run = SolverRun(region="GBA", window_from=date.today(), window_to=date.today(),
                    status=SolverRunStatus.DONE, metrics={},
                    problem={"requests": [{"id": str(request.id)}]},
                    plan={"assignments": [], "unfilled": []})
    db.session.add(run)
    db.session.commit()
    urls = {"clerk_gd": [f"/clerk/cases/{request.case_id}",
                         f"/clerk/requests/{request.id}/experts/{world.gd_expert.id}/"
                         "disclosures"],
            "coordinator_gba": [f"/console/requests/{request.id}/candidates",
                                f"/console/runs/{run.id}",
                                f"/console/requests/{request.id}/experts/"
                                f"{world.gd_expert.id}/disclosures"]}
    for user, pages in urls.items():
        sign_in(client, world, user)
        for url in pages:
            with statements_while_rendering(app) as seen:
                assert client.get(url).status_code == 200, url
            assert seen == [], url


# -- the demo registry ---------------------------------------------------------------------

def test_the_demo_has_one_disclosure_answered_and_one_pending(app):
    from registry.services import seeding

    seeding.load_reference_data()
    seeding.load_demo_registry(experts=60, showcase=False)
    counts = disclosures_demo.seed_disclosures_demo()
    db.session.commit()
    assert counts["waivers"] == 2
    states = {}
    for seat in db.session.scalars(select(Assignment).where(
            Assignment.status == AssignmentStatus.PROPOSED,
            Assignment.reasons == ["demo"])):
        for found in disclosures.for_assignment(seat):
            states.setdefault(found.finding.rule, []).append(found.cleared)
    assert sorted(states["repeat_party_appointments"]) == [False, True]
    assert states["same_firm_as_counsel"] == [True]


def test_groups_are_read_once_per_transaction_and_a_change_is_seen(world, make, firms):
    # A page of seats asks for the groups of every party of every seat: walking the parents
    # row by row cost two queries per level each time (~170 for one page).
    group = make.organization(name="甲集团")
    sister = make.organization(name="甲科技（深圳）有限公司")
    firms["x"].parent_id = group.id
    db.session.flush()
    with recording_statements() as seen:
        groups = [disclosures.group_of(firms["x"].id) for _ in range(5)]
    assert groups == [{firms["x"].id, group.id}] * 5
    assert sum("FROM organization" in statement for statement in seen) == 1
    sister.parent_id = group.id  # joins the group within the same transaction, unflushed
    assert disclosures.group_of(firms["x"].id) == {firms["x"].id, group.id, sister.id}
    newcomer = make.organization(name="甲数据有限公司", parent_id=group.id)
    db.session.flush()
    assert newcomer.id in disclosures.group_of(firms["x"].id)


def served_twice(make, world, firms, count=4):
    """Arbitrators with an affiliation, each appointed twice on cases with 甲 and its counsel."""
    arbitrators = []
    for _ in range(count):
        arbitrator = make.expert(roles=("arbitrator",), affiliations=[make.organization()])
        for days in (300, 500):
            served(make, world, arbitrator, [(firms["x"], firms["firm"]), make.organization()],
                   days)
        arbitrators.append(arbitrator)
    return arbitrators


def test_a_page_of_seats_reads_each_kind_of_history_once_and_finds_the_same(world, make, firms):
    # Per seat, the detectors ask for the expert's past arbitrations (twice), affiliations and
    # declared relations: ~30 queries for a page of nine arbitrator seats, before memo.py.
    seats = [proposed(arbitration(make, world, [(firms["x"], firms["firm"]), firms["y"]]),
                      arbitrator) for arbitrator in served_twice(make, world, firms)]
    one_by_one = {s.id: [d.rule.key for d in disclosures.for_assignment(s)] for s in seats}
    assert len(one_by_one) == 4
    db.session.commit()  # nothing read before is kept

    with recording_statements() as seen:
        together = disclosures.for_assignments(seats)
    assert {i: [d.rule.key for d in found] for i, found in together.items()} == one_by_one
    assert all(rules == ["repeat_party_appointments"] for rules in one_by_one.values())
    assert sum("FROM expert_relation" in s and "DISTINCT" not in s for s in seen) == 1
    assert not any("DISTINCT expert_relation" in s for s in seen)  # arbitrators are judged
    assert sum("FROM affiliation" in s for s in seen) == 1
    assert sum("JOIN dispatch_request" in s and "assignment.expert_id" in s
               for s in seen) == 1
    # the cases served on, with their parties and numbers; the answers recorded on the cases
    assert sum("JOIN party" in s for s in seen) == 1
    assert sum("FROM waiver" in s for s in seen) == 1


def test_a_requests_candidates_read_each_kind_of_history_once(world, make, firms):
    # The coordinator's candidate browser asks the same of every candidate it lists.
    candidates = served_twice(make, world, firms)
    request = arbitration(make, world, [(firms["x"], firms["firm"]), firms["y"]])
    one_by_one = {e.id: [d.rule.key for d in disclosures.disclosures(request, e)]
                  for e in candidates}
    db.session.commit()

    with recording_statements() as seen:
        together = disclosures.for_candidates(request, candidates)
    assert {i: [d.rule.key for d in found] for i, found in together.items()} == one_by_one
    assert all(rules == ["repeat_party_appointments"] for rules in one_by_one.values())
    assert sum("FROM expert_relation" in s for s in seen) == 1
    assert sum("FROM affiliation" in s for s in seen) == 1
    assert sum("JOIN dispatch_request" in s and "assignment.expert_id" in s
               for s in seen) == 1


def test_an_answer_read_before_a_change_is_not_used_after_it(world, make, firms):
    arbitrator = world.gd_expert
    served(make, world, arbitrator, [(firms["x"], firms["firm"]), make.organization()], 300)
    pending = served(make, world, arbitrator, [(firms["x"], firms["firm"]),
                                               make.organization()], 500,
                     status=AssignmentStatus.PROPOSED)  # not served: no appointment yet
    third = arbitration(make, world, [(firms["x"], firms["firm"]), firms["y"]])
    db.session.commit()
    assert rules_of(third, arbitrator) == []  # one appointment with 甲 is not two
    pending.assignments[0].status = AssignmentStatus.COMPLETED  # unflushed
    assert rules_of(third, arbitrator) == ["repeat_party_appointments"]
    db.session.rollback()
    assert rules_of(third, arbitrator) == []

    assert persons.relations_of(arbitrator) == []
    db.session.add(ExpertRelation(expert=arbitrator, kind=RelationKind.CLASSMATE,
                                  person=Person(name="王芳")))  # unflushed
    assert [r.person.name for r in persons.relations_of(arbitrator)] == ["王芳"]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="locks.hold reads again on PostgreSQL only (on "
                                             "SQLite a write holds the database from its start)")
def test_taking_a_lock_forgets_what_was_read_before_it(app, world):
    expert = world.gd_expert
    db.session.commit()
    assert persons.relations_of(expert) == []  # kept for the rest of the transaction
    with app.app_context():  # another session commits meanwhile
        db.session.add(ExpertRelation(expert_id=expert.id, kind=RelationKind.CLASSMATE,
                                      person=Person(name="王芳")))
        db.session.commit()
    assert persons.relations_of(expert) == []  # still the answer kept
    locks.hold(experts=[expert])
    assert [r.person.name for r in persons.relations_of(expert)] == ["王芳"]
