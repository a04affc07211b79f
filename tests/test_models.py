"""Model invariants: what the domain refuses, whoever calls it."""

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from registry.extensions import db
from registry.models import (
    Assignment,
    AssignmentStatus,
    AuditEvent,
    AuditLogIsAppendOnly,
    CreditKind,
    CreditRecord,
    DomainError,
    ExpertRole,
    ExpertStatus,
    InvalidTransition,
    RequestStatus,
    Unavailability,
    User,
    UserRole,
)
from registry.models.assignments import ASSIGNMENT_TRANSITIONS
from registry.models.cases import REQUEST_TRANSITIONS

DAY = date(2025, 5, 1)


@pytest.mark.parametrize("level", [0, 4, -1])
def test_proficiency_is_one_to_three(make, level):
    expert = make.expert()
    with pytest.raises(DomainError, match="proficiency"):
        expert.set_fields({"G06F": level})


@pytest.mark.parametrize("code", ["g06f", "G6F", "Z01", "G06FF", ""])
def test_technical_fields_are_ipc_codes(make, code):
    with pytest.raises(DomainError, match="IPC"):
        make.expert(fields={code: 2})


def test_proficiency_is_also_enforced_by_the_database(make):
    expert = make.expert()
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE expert_field SET proficiency = 7 WHERE expert_id = :e"),
                           {"e": expert.id})
        db.session.flush()
    db.session.rollback()


def test_an_expert_needs_a_role_and_a_field(make):
    expert = make.expert()
    with pytest.raises(DomainError, match="role"):
        expert.set_roles([])
    with pytest.raises(DomainError, match="field"):
        expert.set_fields({})


def test_an_appointment_cannot_end_before_it_starts(make):
    expert = make.expert(appointed_from=date(2025, 1, 1))
    with pytest.raises(DomainError, match="appointment"):
        expert.appointed_until = date(2024, 12, 31)


def test_unavailability_cannot_end_before_it_starts():
    with pytest.raises(DomainError):
        Unavailability(start=date(2025, 2, 2), end=date(2025, 2, 1))


@pytest.mark.parametrize(("change", "eligible"), [
    ({}, True),
    ({"status": ExpertStatus.SUSPENDED}, False),
    ({"status": ExpertStatus.RETIRED}, False),
    ({"appointed_until": date(2025, 4, 30)}, False),
    ({"appointed_from": date(2025, 5, 2)}, False),
    ({"appointed_from": date(2025, 5, 1), "appointed_until": date(2025, 5, 1)}, True),
])
def test_eligibility_follows_status_and_appointment_term(make, change, eligible):
    assert make.expert(**change).is_eligible_on(DAY) is eligible


@pytest.mark.parametrize(("kind", "end", "eligible"), [
    (CreditKind.SERIOUS, None, False),
    (CreditKind.SUSPENSION, date(2025, 6, 1), False),
    (CreditKind.SUSPENSION, date(2025, 4, 1), True),   # served its time
    (CreditKind.WARNING, None, True),
])
def test_serious_or_suspending_credit_records_disqualify_everywhere(make, kind, end, eligible):
    expert = make.expert()
    expert.credit_records.append(CreditRecord(kind=kind, start=date(2025, 1, 1), end=end))
    assert expert.is_eligible_on(DAY) is eligible


def test_investigator_request_has_exactly_one_seat(make):
    request = make.request(seats=3)
    with pytest.raises(DomainError, match="seat"):
        request.check_seats()


@pytest.mark.parametrize("seats", [1, 3])
def test_tribunal_has_one_or_three_arbitrators(make, seats):
    make.request(role=ExpertRole.ARBITRATOR, seats=seats).check_seats()


@pytest.mark.parametrize("seats", [2, 4])
def test_tribunal_size_must_be_odd_and_small(make, seats):
    with pytest.raises(DomainError):
        make.request(role=ExpertRole.ARBITRATOR, seats=seats).check_seats()


@pytest.mark.parametrize(("start", "end"), [
    (start, end) for start in RequestStatus for end in RequestStatus])
def test_request_status_moves_only_along_the_lifecycle(make, start, end):
    request = make.request(status=start)
    if end in REQUEST_TRANSITIONS[start]:
        request.move_to(end)
        assert request.status is end
    else:
        with pytest.raises(InvalidTransition):
            request.move_to(end)
        assert request.status is start


def test_finished_requests_are_final():
    assert REQUEST_TRANSITIONS[RequestStatus.COMPLETED] == frozenset()
    assert REQUEST_TRANSITIONS[RequestStatus.CANCELLED] == frozenset()


@pytest.mark.parametrize(("start", "end"), [
    (start, end) for start in AssignmentStatus for end in AssignmentStatus])
def test_assignment_status_moves_only_along_the_lifecycle(make, start, end):
    assignment = Assignment(request=make.request(), expert=make.expert(), status=start)
    if end in ASSIGNMENT_TRANSITIONS[start]:
        assignment.move_to(end)
    else:
        with pytest.raises(InvalidTransition):
            assignment.move_to(end)


def test_a_panel_is_confirmed_only_when_every_seat_is(make):
    panel = make.request(role=ExpertRole.ARBITRATOR, seats=3, status=RequestStatus.PROPOSED)
    arbitrators = [make.expert(roles=("arbitrator",)) for _ in range(3)]
    members = [Assignment(request=panel, expert=arbitrator) for arbitrator in arbitrators]
    db.session.add_all(members)
    db.session.flush()
    members[0].confirm()
    members[1].confirm()
    assert panel.status is RequestStatus.PROPOSED
    members[2].confirm()
    assert panel.status is RequestStatus.CONFIRMED
    for member in members[:2]:
        member.accept()
    assert panel.status is RequestStatus.CONFIRMED
    members[2].decline("conflict found late")
    assert panel.status is RequestStatus.DECLINED


@pytest.mark.parametrize(("reason", "stored"), [("出差", "出差"), ("  病假\n", "病假"), ("x", "x")])
def test_any_non_blank_reason_declines_and_is_kept_trimmed(make, reason, stored):
    assignment = Assignment(request=make.request(status=RequestStatus.CONFIRMED),
                            expert=make.expert(), status=AssignmentStatus.CONFIRMED)
    db.session.add(assignment)
    assignment.decline(reason)
    assert (assignment.status, assignment.decline_reason) == (AssignmentStatus.DECLINED, stored)


@pytest.mark.parametrize("reason", ["", "   ", "\u3000\n", None, "长" * 501])
def test_a_blank_or_overlong_reason_does_not_decline(make, reason):
    assignment = Assignment(request=make.request(status=RequestStatus.CONFIRMED),
                            expert=make.expert(), status=AssignmentStatus.CONFIRMED)
    db.session.add(assignment)
    with pytest.raises(DomainError, match="reason"):
        assignment.decline(reason)
    assert assignment.status is AssignmentStatus.CONFIRMED


def test_case_cannot_be_its_own_earlier_stage(make):
    case = make.case()
    with pytest.raises(DomainError):
        case.earlier_stage_id = case.id


def test_earlier_stages_are_walked_nearest_first_and_cycles_are_cut(make):
    first = make.case()
    second = make.case(earlier_stage=first)
    retrial = make.case(earlier_stage=second)
    first.earlier_stage = retrial  # a data-entry loop must not hang the export
    assert retrial.earlier_stages() == [second, first]


@pytest.mark.parametrize(("role", "scope"), [
    (UserRole.CLERK, "body_id"), (UserRole.COORDINATOR, "region"),
    (UserRole.EXPERT, "expert_id")])
def test_each_role_needs_its_scope(role, scope):
    with pytest.raises(DomainError, match=scope):
        User(email="x@example.cn", role=role).check_scope()


def test_a_password_needs_twelve_characters():
    with pytest.raises(DomainError, match="12"):
        User(email="x@example.cn", role=UserRole.ADMIN).set_password("short")


def test_the_audit_log_is_append_only(make):
    event = AuditEvent(action="create", entity="expert", entity_id="1", after={"a": 1})
    db.session.add(event)
    db.session.commit()
    event.action = "tampered"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(event)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()


def test_an_expert_field_is_stored_once_per_code(make):
    expert = make.expert(fields={"G06F": 2})
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(text("INSERT INTO expert_field (expert_id, ipc_code, proficiency) "
                                "VALUES (:e, 'G06F', 1)"), {"e": expert.id})
    db.session.rollback()


def test_assignment_source_names_the_solver_or_the_coordinator(make):
    manual = Assignment(request=make.request(), expert=make.expert())
    assert manual.source == "coordinator"
