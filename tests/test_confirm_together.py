"""Confirm-all checks the rules once for all of a run's proposals (dispatch.confirmable_together)
and falls back to one check a seat when that finds anything. The one check must never clear
a set that a seat-by-seat confirmation would refuse: each test below builds such a set."""

from datetime import date

import pytest

from registry.extensions import db
from registry.models import (
    AssignmentStatus,
    CreditKind,
    DeclaredConflict,
    Exclusion,
    ExclusionReason,
    ExpertStatus,
)
from registry.services.dispatch import confirmable_together
from tests.statements import recording_statements
from tests.test_dispatch_export import assign, credit

PROPOSED = AssignmentStatus.PROPOSED
MONDAY, TUESDAY = date(2031, 3, 3), date(2031, 3, 4)


def proposals(*pairs):
    return [assign(request, expert, PROPOSED) for request, expert in pairs]


def test_proposals_that_hold_together_are_cleared_at_once(make):
    first, second = make.expert(), make.expert()
    found = proposals((make.request(days=[(MONDAY, MONDAY)]), first),
                      (make.request(days=[(MONDAY, MONDAY)]), second),
                      (make.request(days=[(TUESDAY, TUESDAY)]), first))
    assert confirmable_together(found)


def test_one_expert_proposed_twice_on_one_day_is_not_cleared(make):
    expert = make.expert()
    assert not confirmable_together(proposals((make.request(days=[(MONDAY, MONDAY)]), expert),
                                              (make.request(days=[(MONDAY, TUESDAY)]), expert)))


def test_a_proposal_on_days_its_expert_already_holds_is_not_cleared(make):
    expert = make.expert()
    assign(make.request(days=[(MONDAY, MONDAY)]), expert)  # confirmed elsewhere since
    assert not confirmable_together(proposals((make.request(days=[(MONDAY, MONDAY)]), expert)))


def test_proposals_beyond_the_experts_workload_are_not_cleared(make):
    expert = make.expert(max_concurrent=1)
    assert not confirmable_together(proposals((make.request(days=[(MONDAY, MONDAY)]), expert),
                                              (make.request(days=[(TUESDAY, TUESDAY)]), expert)))


def test_a_conflict_declared_since_the_proposal_is_not_cleared(make):
    plaintiff = make.organization()
    expert = make.expert()
    request = make.request(case=make.case(parties=[plaintiff]), days=[(MONDAY, MONDAY)])
    found = proposals((request, expert))
    expert.conflicts.append(DeclaredConflict(organization=plaintiff, reason="advised them"))
    db.session.flush()
    assert not confirmable_together(found)


def test_an_expert_excluded_from_the_request_is_not_cleared(make):
    expert = make.expert()
    request = make.request(days=[(MONDAY, MONDAY)])
    found = proposals((request, expert))
    request.exclusions.append(Exclusion(expert_id=expert.id, reason=ExclusionReason.DECLINED,
                                        note="declined"))
    db.session.flush()
    assert not confirmable_together(found)


def test_a_suspended_or_sanctioned_expert_is_not_cleared(make):
    suspended, sanctioned = make.expert(), make.expert()
    found = proposals((make.request(days=[(MONDAY, MONDAY)]), suspended),
                      (make.request(days=[(TUESDAY, TUESDAY)]), sanctioned))
    suspended.status = ExpertStatus.SUSPENDED
    db.session.flush()
    assert not confirmable_together(found[:1])
    credit(sanctioned, CreditKind.SERIOUS, date(2024, 1, 1))
    assert not confirmable_together(found[1:])


def test_a_full_request_is_not_cleared(make):
    request = make.request(days=[(MONDAY, MONDAY)])  # one seat
    assign(request, make.expert())
    assert not confirmable_together(proposals((request, make.expert())))


def test_nothing_to_confirm_clears_nothing(make):
    assert not confirmable_together([])


@pytest.mark.parametrize("size", [2, 8])
def test_the_check_reads_the_registry_in_a_fixed_number_of_queries(make, size):
    found = proposals(*[(make.request(days=[(MONDAY, MONDAY)]), make.expert())
                        for _ in range(size)])
    db.session.expire_all()  # as after holding them (locks.py), which confirm_run then
    for assignment in found:  # reads again: the proposals, their requests and experts
        assert assignment.request.id and assignment.expert.id
    with recording_statements() as statements:
        assert confirmable_together(found)
    assert len(statements) <= READS_TO_CHECK, statements


# Whatever the number of proposals: 34 on both databases (reading each request alone, as
# before: 35 for 2 proposals, 65 for 8).
READS_TO_CHECK = 40
