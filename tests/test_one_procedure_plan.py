"""Rule one_procedure within one solver run: the export names each request's dispute, and a
run over two linked stages never proposes one investigator for both (docs/cases.md)."""

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.models import Assignment, AssignmentStatus, CaseStage, ExpertRole
from registry.services import dispatch
from tests.test_dispatch_export import AS_OF, DAYS, JAN, MAR, entry, export

LATER = ((DAYS[0][0].replace(day=20), DAYS[0][1].replace(day=21)),)


@pytest.fixture
def linked(make):
    """A first instance and its appeal, each with an open investigator request on days of
    its own, and the one investigator who could serve either."""
    expert = make.expert()
    first = make.case(number="（2024）沪73知民初901号")
    appeal = make.case(number="（2025）沪民终902号", earlier_stage=first,
                       stage=CaseStage.SECOND_INSTANCE)
    return expert, first, make.request(case=first, days=DAYS), \
        make.request(case=appeal, days=LATER)


def test_the_export_names_the_dispute_of_linked_stages_and_not_of_lone_cases(make, linked):
    _expert, first, on_first, on_appeal = linked
    lone = make.request(days=DAYS)

    document = export()

    assert entry(document, "requests", on_first.id)["dispute"] == str(first.id)
    assert "procedure" not in entry(document, "requests", on_first.id)
    assert entry(document, "requests", on_appeal.id)["dispute"] == str(first.id)
    assert entry(document, "requests", on_appeal.id)["procedure"] == "second_instance"
    assert "dispute" not in entry(document, "requests", lone.id)


def test_three_stages_name_the_first_case_even_when_only_the_last_is_open(make):
    first = make.case(number="（2022）沪73知民初911号")
    appeal = make.case(number="（2023）沪民终912号", earlier_stage=first,
                       stage=CaseStage.SECOND_INSTANCE)
    retrial = make.case(number="（2024）最高法知民再913号", earlier_stage=appeal,
                        stage=CaseStage.RETRIAL)
    request = make.request(case=retrial, days=DAYS)

    assert entry(export(), "requests", request.id)["dispute"] == str(first.id)


def test_an_arbitrator_request_carries_no_dispute(make):
    first = make.case(number="（2024）沪73知民初921号")
    appeal = make.case(number="（2025）沪民终922号", earlier_stage=first,
                       stage=CaseStage.SECOND_INSTANCE)
    request = make.request(case=appeal, role=ExpertRole.ARBITRATOR, days=DAYS)

    assert "dispute" not in entry(export(), "requests", request.id)


def test_a_run_over_two_linked_stages_never_proposes_one_investigator_for_both(linked):
    expert, _first, on_first, on_appeal = linked
    _document, run = dispatch.export_problem("SH", JAN, MAR, as_of=AS_OF, time_limit_s=1)

    dispatch.solve_run(run)

    proposed = db.session.execute(select(Assignment.request_id, Assignment.expert_id)).all()
    assert len(proposed) == 1 and proposed[0].expert_id == expert.id
    assert proposed[0].request_id in (on_first.id, on_appeal.id)
    (unfilled,) = run.plan["unfilled"]
    assert unfilled["blocked"]["one_procedure"] == 1


def test_the_stored_problem_refuses_a_plan_with_one_investigator_on_both_stages(linked):
    expert, _first, on_first, on_appeal = linked
    document, _run = dispatch.export_problem("SH", JAN, MAR, as_of=AS_OF)
    plan = {"assignments": [{"request": str(r.id), "expert": str(expert.id)}
                            for r in (on_first, on_appeal)]}

    (problem,) = dispatch.verify_plan(document, plan)

    assert problem.startswith("rule 6 (one_procedure):")


def test_a_coordinator_cannot_move_the_proposed_investigator_onto_the_other_stage(linked):
    expert, first, on_first, on_appeal = linked
    _document, run = dispatch.export_problem("SH", JAN, MAR, as_of=AS_OF, time_limit_s=1)
    dispatch.solve_run(run)
    proposed = db.session.scalars(select(Assignment)).one()
    other = on_appeal if proposed.request_id == on_first.id else on_first

    broken = dispatch.check_override(other, expert, run=run, as_of=AS_OF)

    assert [b.detail.split(":")[0] for b in broken] == [
        f"{expert.id} would serve two procedures of dispute {first.id}"]
    # Named as the rule it is, not as the conflict of interest (rule 6) that carries it.
    assert [b.rule for b in broken] == ["one_procedure"]
    assert "another stage (first instance, appeal or retrial)" in str(broken[0])


def test_once_confirmed_at_one_stage_the_investigator_is_excluded_from_the_other(linked):
    expert, _first, on_first, on_appeal = linked
    db.session.add(Assignment(request=on_first, expert=expert,
                              status=AssignmentStatus.CONFIRMED))
    db.session.flush()

    assert dispatch.check_manual_assignment(on_appeal, expert, as_of=AS_OF) == [
        f"rule 6 (conflict_of_interest): {expert.id} is excluded from {on_appeal.id}"]
