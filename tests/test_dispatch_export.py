"""Exporting a region's open requests and candidate experts as a dispatch-problem/1 document."""

import json
from datetime import date

import pytest

import scheduler
from registry.extensions import db
from registry.models import (
    Assignment,
    AssignmentStatus,
    AuditEvent,
    CaseStage,
    CreditKind,
    CreditRecord,
    DeclaredConflict,
    DomainError,
    Exclusion,
    ExclusionReason,
    ExpertRole,
    ExpertStatus,
    OrganizationKind,
    RequestStatus,
    SolverRun,
    SolverRunStatus,
)
from registry.services.dispatch import export_problem

AS_OF = date(2025, 1, 10)
JAN = date(2025, 1, 1)
MAR = date(2025, 3, 31)
DAYS = ((date(2025, 2, 10), date(2025, 2, 11)),)


def export(region="SH", start=JAN, end=MAR, as_of=AS_OF) -> dict:
    document, _run = export_problem(region, start, end, as_of=as_of)
    return document


def assign(request, expert, status=AssignmentStatus.CONFIRMED) -> Assignment:
    assignment = Assignment(request=request, expert=expert, status=status)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def credit(expert, kind, start, end=None) -> None:
    db.session.add(CreditRecord(expert=expert, kind=kind, start=start, end=end))
    db.session.flush()


def experts_of(document) -> set[str]:
    return {e["id"] for e in document["experts"]}


def requests_of(document) -> set[str]:
    return {r["id"] for r in document["requests"]}


def entry(document, key, ident) -> dict:
    return next(item for item in document[key] if item["id"] == str(ident))


# -- the document --------------------------------------------------------------------------------

def test_exported_document_follows_the_problem_format(make):
    plaintiff, counsel = make.organization(), make.organization(kind=OrganizationKind.LAW_FIRM)
    defendant = make.organization()
    expert = make.expert(fields={"G06F": 3, "H04L": 2}, languages=("zh", "en"),
                         affiliations=[plaintiff], conflicts=[defendant],
                         unavailable=[(date(2025, 3, 1), date(2025, 3, 5))],
                         appointed_from=date(2024, 1, 1), max_travel_km=300.0)
    case = make.case(parties=[(plaintiff, counsel), defendant], fields=("G06F", "H04L"))
    hearing = make.request(case=case, days=DAYS, priority=5, language="zh")
    written = make.request(case=case, remote_allowed=True)

    document = export()

    assert document["format"] == "dispatch-problem/1"
    assert document["as_of"] == "2025-01-10"
    assert document["settings"] == {"cooling_off_days": 1095, "time_limit_s": 10}
    cities = {c["code"] for c in document["cities"]}
    assert all(isinstance(c["lat"], float) and c["name_zh"] for c in document["cities"])
    assert ["AH", "JS", "SH", "ZJ"] in document["recognition_groups"]
    assert requests_of(document) == {str(hearing.id), str(written.id)}
    assert all(e["city"] in cities for e in document["experts"])
    assert all(r["city"] in cities for r in document["requests"])
    assert entry(document, "experts", expert.id) == {
        "id": str(expert.id), "roles": ["investigator"], "city": "shanghai",
        "jurisdiction": "SH", "fields": {"G06F": 3, "H04L": 2}, "languages": ["en", "zh"],
        "appointed_from": "2024-01-01", "appointed_until": None, "max_concurrent": 3,
        "current_load": 0, "max_travel_km": 300.0,
        "unavailable": [{"start": "2025-03-01", "end": "2025-03-05"}], "busy": [],
        "organizations": [{"org": str(plaintiff.id), "until": None}],
        "conflicts": [str(defendant.id)]}
    assert entry(document, "requests", hearing.id) == {
        "id": str(hearing.id), "case": case.number, "role": "investigator", "seats": 1,
        "city": "shanghai", "jurisdiction": "SH", "fields": ["G06F", "H04L"], "language": "zh",
        "days": [{"start": "2025-02-10", "end": "2025-02-11"}], "remote": False,
        "priority": 5, "parties": sorted(str(o.id) for o in (plaintiff, counsel, defendant)),
        "excluded": [], "service": "hearing"}
    assert entry(document, "requests", written.id)["days"] == []
    assert entry(document, "requests", written.id)["remote"] is True
    json.dumps(document)  # plain JSON all the way down


def test_exported_document_is_accepted_by_the_scheduler(make):
    plaintiff = make.organization()
    make.expert(affiliations=[plaintiff])
    make.expert(city="nanjing", roles=("investigator", "consultant"))
    make.request(case=make.case(parties=[plaintiff]), days=DAYS)
    make.request()

    problem = scheduler.load_problem(export())

    assert len(problem.experts) == 2 and len(problem.requests) == 2


def test_export_queues_a_solver_run_holding_the_problem_and_audits_it(make):
    make.expert()
    make.request(days=DAYS)

    document, run = export_problem("SH", JAN, MAR, as_of=AS_OF)

    assert document["run"] == run.id
    assert run.status is SolverRunStatus.QUEUED
    assert (run.region, run.window_from, run.window_to) == ("SH", JAN, MAR)
    assert run.parameters == {"as_of": "2025-01-10", "mode": "solve", "time_limit_s": 10,
                              "weights": {}}
    assert run.problem == document
    db.session.commit()  # (events are written at the commit, as the command's is)
    event = db.session.query(AuditEvent).one()
    assert (event.action, event.entity_id) == ("solver_run.export", str(run.id))
    assert event.after["requests"] == 1


@pytest.mark.parametrize("region, message", [("XX", "unknown region"), ("", "unknown region")])
def test_unknown_region_is_refused(make, region, message):
    make.geography()
    with pytest.raises(DomainError, match=message) as caught:
        export(region)
    assert caught.value.field == "region"


def test_window_ending_before_it_starts_is_refused(make):
    make.geography()
    with pytest.raises(DomainError, match="before it starts"):
        export(start=MAR, end=JAN)


# -- which requests and experts ------------------------------------------------------------------

@pytest.fixture
def three_regions(make):
    """A court, a request and an expert in Shanghai, Nanjing and Shenzhen."""
    made = {}
    for city, code in (("shanghai", "沪73"), ("nanjing", "苏01"), ("shenzhen", "粤03")):
        body = make.body(city_code=city, case_number_code=code)
        made[city] = (make.request(case=make.case(body=body), days=DAYS), make.expert(city=city))
    return made


@pytest.mark.parametrize("region, request_cities, expert_cities", [
    ("SH", {"shanghai"}, {"shanghai", "nanjing"}),
    ("JS", {"nanjing"}, {"shanghai", "nanjing"}),
    ("YRD", {"shanghai", "nanjing"}, {"shanghai", "nanjing"}),
    ("GBA", {"shenzhen"}, {"shenzhen"}),
    ("GD", {"shenzhen"}, {"shenzhen"}),
])
def test_region_scopes_requests_by_handling_body_and_experts_by_recognition(
        three_regions, region, request_cities, expert_cities):
    document = export(region)

    assert requests_of(document) == {str(three_regions[c][0].id) for c in request_cities}
    assert experts_of(document) == {str(three_regions[c][1].id) for c in expert_cities}


def test_agreement_not_yet_in_force_recognises_nobody(three_regions):
    document = export("SH", as_of=date(2024, 3, 1))  # YRD takes effect on 2024-04-01

    assert experts_of(document) == {str(three_regions["shanghai"][1].id)}
    assert document["recognition_groups"] == [["GD", "HK"]]


def test_only_open_requests_with_days_in_the_window_or_no_days_are_exported(make):
    inside = make.request(days=((date(2024, 12, 30), date(2025, 1, 2)),))
    written = make.request()
    declined = make.request(days=DAYS, status=RequestStatus.DECLINED)
    make.request(days=((date(2025, 4, 1), date(2025, 4, 1)),))
    make.request(days=DAYS, status=RequestStatus.CONFIRMED)
    make.request(days=DAYS, status=RequestStatus.CANCELLED)

    assert requests_of(export()) == {str(r.id) for r in (inside, written, declined)}


def test_suspended_and_seriously_sanctioned_experts_are_left_out(make):
    kept, warned = make.expert(), make.expert()
    make.expert(status=ExpertStatus.SUSPENDED)
    make.expert(status=ExpertStatus.RETIRED)
    credit(warned, CreditKind.WARNING, date(2025, 1, 1))
    credit(make.expert(), CreditKind.SERIOUS, date(2024, 6, 1))
    credit(make.expert(), CreditKind.SUSPENSION, date(2024, 6, 1), date(2025, 6, 1))
    lapsed = make.expert()
    credit(lapsed, CreditKind.SUSPENSION, date(2024, 1, 1), date(2024, 12, 31))

    assert experts_of(export()) == {str(e.id) for e in (kept, warned, lapsed)}


def test_suspension_starting_after_as_of_makes_the_expert_unavailable_from_then(make):
    expert = make.expert()
    credit(expert, CreditKind.SUSPENSION, date(2025, 2, 1), date(2025, 7, 31))
    make.request(days=DAYS)

    assert entry(export(), "experts", expert.id)["unavailable"] == [
        {"start": "2025-02-01", "end": "2025-07-31"}]


# -- exclusions ----------------------------------------------------------------------------------

@pytest.mark.parametrize("reason", [ExclusionReason.CHALLENGE, ExclusionReason.RECUSAL,
                                    ExclusionReason.EARLIER_STAGE])
def test_challenge_recusal_and_stage_bars_exclude_the_expert_from_every_request_of_the_case(
        make, reason):
    expert, case = make.expert(), make.case()
    first, second = make.request(case=case, days=DAYS), make.request(case=case)
    db.session.add(Exclusion(request=first, expert=expert, reason=reason))
    other_case = make.request(days=DAYS)

    document = export()

    assert entry(document, "requests", first.id)["excluded"] == [str(expert.id)]
    assert entry(document, "requests", second.id)["excluded"] == [str(expert.id)]
    assert entry(document, "requests", other_case.id)["excluded"] == []


def test_a_declined_exclusion_bars_only_its_own_request(make):
    expert, case = make.expert(), make.case()
    first, second = make.request(case=case, days=DAYS), make.request(case=case)
    db.session.add(Exclusion(request=first, expert=expert, reason=ExclusionReason.DECLINED))

    document = export()

    assert entry(document, "requests", first.id)["excluded"] == [str(expert.id)]
    assert entry(document, "requests", second.id)["excluded"] == []


@pytest.mark.parametrize("status", [AssignmentStatus.DECLINED, AssignmentStatus.CANCELLED])
def test_an_expert_who_declined_or_was_cancelled_is_not_proposed_again_for_that_request(
        make, status):
    expert, request = make.expert(), make.request(days=DAYS, status=RequestStatus.DECLINED)
    assign(request, expert, status)

    assert entry(export(), "requests", request.id)["excluded"] == [str(expert.id)]


@pytest.mark.parametrize("status, barred", [
    (AssignmentStatus.COMPLETED, True), (AssignmentStatus.ACCEPTED, True),
    (AssignmentStatus.CONFIRMED, True), (AssignmentStatus.PROPOSED, False),
    (AssignmentStatus.WITHDRAWN, False), (AssignmentStatus.DECLINED, False),
])
def test_service_at_an_earlier_stage_of_the_dispute_excludes_the_expert(make, status, barred):
    expert = make.expert()
    first = make.case(number="（2023）沪73知民初1号")
    assign(make.request(case=first, status=RequestStatus.COMPLETED), expert, status)
    appeal = make.case(number="（2024）沪民终2号", earlier_stage=first,
                       stage=CaseStage.SECOND_INSTANCE)
    request = make.request(case=appeal, days=DAYS)

    excluded = entry(export(), "requests", request.id)["excluded"]

    assert excluded == ([str(expert.id)] if barred else [])


def test_service_two_stages_back_or_at_a_later_stage_also_excludes(make):
    early, late = make.expert(), make.expert()
    first = make.case(number="（2022）沪73知民初1号")
    appeal = make.case(number="（2023）沪民终2号", earlier_stage=first,
                       stage=CaseStage.SECOND_INSTANCE)
    retrial = make.case(number="（2024）最高法知民再3号", earlier_stage=appeal,
                        stage=CaseStage.RETRIAL)
    assign(make.request(case=first, status=RequestStatus.COMPLETED), early,
           AssignmentStatus.COMPLETED)
    assign(make.request(case=retrial, status=RequestStatus.ACCEPTED), late,
           AssignmentStatus.ACCEPTED)
    request = make.request(case=appeal, days=DAYS)

    assert entry(export(), "requests", request.id)["excluded"] == sorted(
        [str(early.id), str(late.id)])


def test_after_a_remand_the_original_second_instance_experts_may_serve_the_new_appeal(make):
    appeal_expert, first_expert = make.expert(), make.expert()
    first = make.case(number="（2021）沪73知民初1号")
    appeal = make.case(number="（2022）沪民终2号", earlier_stage=first,
                       stage=CaseStage.SECOND_INSTANCE)
    remanded = make.case(number="（2023）沪73知民初3号", earlier_stage=appeal)
    new_appeal = make.case(number="（2024）沪民终4号", earlier_stage=remanded,
                           stage=CaseStage.SECOND_INSTANCE)
    assign(make.request(case=first, status=RequestStatus.COMPLETED), first_expert,
           AssignmentStatus.COMPLETED)
    assign(make.request(case=appeal, status=RequestStatus.COMPLETED), appeal_expert,
           AssignmentStatus.COMPLETED)
    request = make.request(case=new_appeal, days=DAYS)
    on_remand = make.request(case=remanded, days=DAYS)

    document = export()

    assert entry(document, "requests", request.id)["excluded"] == [str(first_expert.id)]
    assert entry(document, "requests", on_remand.id)["excluded"] == sorted(
        [str(first_expert.id), str(appeal_expert.id)])


def test_service_on_another_request_of_the_same_case_does_not_exclude(make):
    expert, case = make.expert(), make.case()
    assign(make.request(case=case, status=RequestStatus.COMPLETED), expert,
           AssignmentStatus.COMPLETED)
    request = make.request(case=case, days=DAYS)

    assert entry(export(), "requests", request.id)["excluded"] == []


# -- assignments: pinned, previous, load and busy ------------------------------------------------

def test_confirmed_seats_are_pinned_and_proposals_are_previous(make):
    confirmed, accepted, proposed, withdrawn = (make.expert(roles=("arbitrator",))
                                                for _ in range(4))
    panel = make.request(role=ExpertRole.ARBITRATOR, seats=3, days=DAYS,
                         status=RequestStatus.PROPOSED)
    for expert, status in ((confirmed, AssignmentStatus.CONFIRMED),
                           (accepted, AssignmentStatus.ACCEPTED),
                           (proposed, AssignmentStatus.PROPOSED),
                           (withdrawn, AssignmentStatus.WITHDRAWN)):
        assign(panel, expert, status)

    document = export()

    pair = {"request": str(panel.id)}
    assert document["pinned"] == [{**pair, "expert": str(confirmed.id)},
                                  {**pair, "expert": str(accepted.id)}]
    assert document["previous"] == [{**pair, "expert": str(proposed.id)}]
    assert entry(document, "requests", panel.id)["seats"] == 3


def test_a_seat_held_by_an_expert_outside_the_problem_stays_held(make):
    suspended = make.expert(status=ExpertStatus.SUSPENDED)
    panel = make.request(role=ExpertRole.ARBITRATOR, seats=3, days=DAYS,
                         status=RequestStatus.PROPOSED)
    assign(panel, suspended)

    document = export()

    assert document["pinned"] == []
    assert entry(document, "requests", panel.id)["seats"] == 2


def test_a_held_seat_whose_expert_now_breaks_a_rule_stays_held_and_is_reported(make):
    party = make.organization()
    members = [make.expert(roles=("arbitrator",)) for _ in range(3)]
    panel = make.request(case=make.case(parties=[party]), role=ExpertRole.ARBITRATOR, seats=3,
                         days=DAYS, status=RequestStatus.PROPOSED)
    assign(panel, members[0])
    assign(panel, members[1])
    # After confirmation the first member declares a conflict with a party.
    db.session.add(DeclaredConflict(expert=members[0], organization=party))
    make.request(days=DAYS)  # the rest of the region must still be solvable
    document, run = export_problem("SH", JAN, MAR, as_of=AS_OF)
    scheduler.load_problem(document)  # valid: rule 13 no longer sinks the whole region
    assert entry(document, "requests", panel.id)["seats"] == 2
    assert document["pinned"] == [{"request": str(panel.id), "expert": str(members[1].id)}]
    assert "rule 6" in run.held_seats_breaking_rules[0]


def test_load_and_busy_days_count_only_assignments_outside_the_problem(make):
    expert = make.expert()
    inside = make.request(days=DAYS, status=RequestStatus.PROPOSED)
    assign(inside, expert, AssignmentStatus.PROPOSED)
    elsewhere = make.request(days=((date(2025, 5, 6), date(2025, 5, 7)),),
                             status=RequestStatus.CONFIRMED)
    assign(elsewhere, expert, AssignmentStatus.CONFIRMED)
    proposed_elsewhere = make.request(days=((date(2025, 6, 1), date(2025, 6, 1)),))
    assign(proposed_elsewhere, expert, AssignmentStatus.PROPOSED)
    finished = make.request(days=((date(2025, 5, 20), date(2025, 5, 20)),),
                            status=RequestStatus.COMPLETED)
    assign(finished, expert, AssignmentStatus.COMPLETED)

    exported = entry(export(), "experts", expert.id)

    assert exported["current_load"] == 2
    assert exported["busy"] == [{"start": "2025-05-06", "end": "2025-05-07"}]


# -- the command ---------------------------------------------------------------------------------

def test_export_problem_command_writes_the_document(make, runner, tmp_path):
    body = make.body(city_code="nanjing", case_number_code="苏01")
    request = make.request(case=make.case(body=body), days=DAYS)
    expert = make.expert(city="shanghai")
    db.session.commit()
    output = tmp_path / "problem.json"

    result = runner.invoke(args=["export-problem", "--region", "YRD", "--from", "2025-01-01",
                                 "--to", "2025-03-31", "-o", str(output)])

    assert result.exit_code == 0, result.output
    document = json.loads(output.read_text(encoding="utf-8"))
    assert requests_of(document) == {str(request.id)}
    assert experts_of(document) == {str(expert.id)}
    assert db.session.get(SolverRun, document["run"]).problem == document


def test_export_problem_command_reports_an_unknown_region(make, runner):
    make.geography()
    db.session.commit()

    result = runner.invoke(args=["export-problem", "--region", "Mars", "--from", "2025-01-01",
                                 "--to", "2025-03-31"])

    assert result.exit_code == 2
    assert "unknown region 'Mars'" in result.output
