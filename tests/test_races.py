"""Races decided by the database: the dispatch rules hold when many requests arrive at once.

Each race is fired at a live multi-threaded server, the callers released together by a
barrier, and repeated: 20 rounds on PostgreSQL (row locks, row versions, the seats trigger),
3 on SQLite (IMMEDIATE write transactions) to show that path holds too. The losers must get a
clear 4xx (409 or 422 naming the rule), never a 5xx, and the registry must end consistent.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
import requests as http
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.serving import make_server

from registry.extensions import db
from registry.models import (
    ACTIVE_ASSIGNMENT_STATUSES,
    Assignment,
    AssignmentStatus,
    DispatchRequest,
    ExpertRole,
    OrganizationKind,
    RequestStatus,
    SolverRun,
    SolverRunStatus,
    UserRole,
    sync_request_status,
)

ON_POSTGRESQL = "postgresql" in os.environ.get("TEST_DATABASE_URL", "")
ROUNDS = 20 if ON_POSTGRESQL else 3
CALLERS = 20
FIRST_DAY = date(2027, 3, 1)


@pytest.fixture
def server(app):
    """The app served by a threaded server on a free port, as in production."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=5)


def all_at_once(calls) -> list[int]:
    """Run the calls together (released by one barrier); their HTTP statuses, in order."""
    start = threading.Barrier(len(calls))

    def call(each):
        start.wait(timeout=30)
        return each()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(call, calls))


def post(url: str, headers: dict, body: dict | None = None):
    return lambda: http.post(url, json=body or {}, headers=headers, timeout=60).status_code


def hand_picks(server: str, headers: dict, pairs) -> list[int]:
    """A coordinator's hand-picks of (request id, expert id) pairs, all at once: statuses."""
    return all_at_once([post(f"{server}/api/v1/assignments", headers,
                             {"request_id": rid, "expert_id": eid, "note": "race"})
                        for rid, eid in pairs])


def held_by(expert_id: int, request_ids=None) -> int:
    """How many seats the expert holds (on these requests)."""
    query = select(func.count()).select_from(Assignment).where(
        Assignment.expert_id == expert_id, Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES))
    if request_ids is not None:
        query = query.where(Assignment.request_id.in_(request_ids))
    return db.session.scalar(query)


def week(round_: int) -> list[tuple[date, date]]:
    """Each round books its own days, so rounds do not collide with each other."""
    start = FIRST_DAY + timedelta(days=7 * round_)
    return [(start, start + timedelta(days=1))]


def assert_only_clear_refusals(statuses: list[int], winners: set[int]) -> None:
    assert all(s in winners | {409, 422} for s in statuses), statuses


def active_seats(request_id: int) -> list[Assignment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Assignment).where(
        Assignment.request_id == request_id,
        Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES))))


def test_one_expert_hand_picked_onto_twenty_overlapping_requests_is_booked_once(
        server, make, world, as_):
    coordinator = as_("coordinator_sh")
    expert = make.expert(max_concurrent=CALLERS + 1)  # only double booking can refuse
    db.session.commit()
    for round_ in range(ROUNDS):
        days = week(round_)
        request_ids = [make.request(days=days).id for _ in range(CALLERS)]
        db.session.commit()
        statuses = hand_picks(server, coordinator, [(rid, expert.id) for rid in request_ids])
        assert statuses.count(201) == 1, (round_, statuses)
        assert_only_clear_refusals(statuses, {201})
        assert held_by(expert.id, request_ids) == 1, round_


def test_twenty_experts_hand_picked_onto_one_seat_leave_one_expert(server, make, world, as_):
    coordinator = as_("coordinator_sh")
    experts = [make.expert().id for _ in range(CALLERS)]
    db.session.commit()
    for round_ in range(ROUNDS):
        request_id = make.request(days=week(round_)).id
        db.session.commit()
        statuses = hand_picks(server, coordinator, [(request_id, eid) for eid in experts])
        assert statuses.count(201) == 1, (round_, statuses)
        assert_only_clear_refusals(statuses, {201})
        assert len(active_seats(request_id)) == 1, round_


def test_a_workload_cap_of_three_holds_against_twenty_hand_picks(server, make, world, as_):
    coordinator = as_("coordinator_sh")
    for round_ in range(ROUNDS):
        expert = make.expert(max_concurrent=3)
        # Twenty requests on twenty different weeks: only the cap can refuse.
        request_ids = [make.request(days=week(ROUNDS + round_ * CALLERS + n)).id
                       for n in range(CALLERS)]
        db.session.commit()
        statuses = hand_picks(server, coordinator, [(rid, expert.id) for rid in request_ids])
        assert statuses.count(201) == 3, (round_, statuses)
        assert_only_clear_refusals(statuses, {201})
        assert held_by(expert.id) == 3, round_


def proposal(make, request, expert, run=None) -> Assignment:
    assignment = Assignment(request=request, expert=expert, solver_run=run, reasons=["race"])
    db.session.add(assignment)
    db.session.flush()
    sync_request_status(request)
    return assignment


def case_of(make, world, role: ExpertRole):
    """A Shanghai court's case for investigators, a Shanghai institution's for arbitrators."""
    if role is ExpertRole.INVESTIGATOR:
        return make.case(body=world.sh_court)
    institution = make.body("shanghai", kind=OrganizationKind.ARBITRATION_INSTITUTION,
                            case_number_code=None)
    return make.case(body=institution, kind="arbitration",
                     number=f"（2027）沪仲案{institution.id}号")


def assert_consistent(request_id: int) -> DispatchRequest:
    """The request's status is what its seats imply, and it holds no more seats than it has."""
    db.session.expire_all()
    request = db.session.get(DispatchRequest, request_id)
    assert len([a for a in request.assignments if a.is_active]) <= request.seats
    if request.status is RequestStatus.CANCELLED:
        assert not any(a.is_active for a in request.assignments), "a cancelled request holds a seat"
    else:
        recorded = request.status
        sync_request_status(request)
        assert request.status is recorded, (recorded, request.status)
        db.session.rollback()
    return request


@pytest.mark.parametrize("seats", [1, 3])
def test_a_cancel_racing_a_confirmation_is_never_lost(server, make, world, as_, seats):
    coordinator = as_("coordinator_sh")
    role = ExpertRole.INVESTIGATOR if seats == 1 else ExpertRole.ARBITRATOR
    experts = [make.expert(roles=(role.value,)) for _ in range(seats)]
    for round_ in range(ROUNDS):
        request = make.request(case=case_of(make, world, role), role=role, seats=seats,
                               days=week(round_))
        proposals = [proposal(make, request, e) for e in experts]
        clerk = make.token_for(make.user(UserRole.CLERK, body_id=request.case.handling_body_id))
        calls = [post(f"{server}/api/v1/requests/{request.id}/cancel", clerk)] + [
            post(f"{server}/api/v1/assignments/{p.id}/confirm", coordinator) for p in proposals]
        cancel, *confirms = all_at_once(calls)
        assert cancel == 200, (round_, cancel)  # nothing may refuse a clerk's cancel
        assert_only_clear_refusals(confirms, {200})
        final = assert_consistent(request.id)
        assert final.status is RequestStatus.CANCELLED, "an acknowledged cancel was lost"
        assert all(a.status is AssignmentStatus.CANCELLED for a in final.assignments)


def test_accept_racing_decline_lets_exactly_one_win(server, make, world, as_):
    headers = as_("expert_sh")
    for round_ in range(ROUNDS):
        request = make.request(case=make.case(body=world.sh_court), days=week(round_))
        confirmed = proposal(make, request, world.sh_expert)
        confirmed.move_to(AssignmentStatus.CONFIRMED)
        sync_request_status(request)
        db.session.commit()
        base, seen = f"{server}/api/v1/assignments/{confirmed.id}", confirmed.version
        # Both sent from one screen, each naming the version it shows.
        accept, decline = all_at_once([
            post(f"{base}/accept", headers, {"version": seen}),
            post(f"{base}/decline", headers, {"reason": "出差", "version": seen})])
        assert sorted([accept, decline]) == [200, 409], (round_, accept, decline)
        final = assert_consistent(request.id)
        (row,) = final.assignments
        if accept == 200:
            assert row.status is AssignmentStatus.ACCEPTED and not row.decline_reason
            assert world.sh_expert.id not in final.excluded_expert_ids()
        else:
            assert row.status is AssignmentStatus.DECLINED and row.decline_reason == "出差"
            assert world.sh_expert.id in final.excluded_expert_ids()


def test_confirming_a_whole_proposal_while_an_expert_declines_stays_consistent(
        server, make, world, as_):
    """A three-seat tribunal: one seat confirmed (its arbitrator declines it), two proposed
    by a run (the coordinator confirms the run). Both may win; the request must say so."""
    coordinator = as_("coordinator_sh")
    for round_ in range(ROUNDS):
        first, second, third = (make.expert(roles=("arbitrator",)) for _ in range(3))
        arbitrator = make.user(UserRole.EXPERT, expert_id=first.id)
        request = make.request(case=case_of(make, world, ExpertRole.ARBITRATOR),
                               role=ExpertRole.ARBITRATOR, seats=3, days=week(round_))
        run = SolverRun(region="SH", window_from=FIRST_DAY, window_to=FIRST_DAY,
                        status=SolverRunStatus.DONE)
        db.session.add(run)
        seat = proposal(make, request, first)
        seat.move_to(AssignmentStatus.CONFIRMED)
        proposals = [proposal(make, request, e, run) for e in (second, third)]
        db.session.commit()
        statuses = all_at_once([
            post(f"{server}/api/v1/solver-runs/{run.id}/confirm", coordinator),
            post(f"{server}/api/v1/assignments/{seat.id}/decline", make.token_for(arbitrator),
                 {"reason": "回避"})])
        assert statuses == [200, 200], (round_, statuses)
        final = assert_consistent(request.id)
        by_id = {a.id: a.status for a in final.assignments}
        assert by_id[seat.id] is AssignmentStatus.DECLINED
        assert {by_id[p.id] for p in proposals} == {AssignmentStatus.CONFIRMED}
        assert final.status is RequestStatus.DECLINED  # two of three seats: not full


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the seats trigger is PostgreSQL's (migration "
                                             "0007); SQLite runs one writer at a time")
def test_the_database_refuses_a_second_seat_even_when_the_application_forgets_to_lock(
        app, make, world):
    """Two transactions insert an active assignment onto the last seat, no lock taken: the
    seats trigger, checked at commit, lets exactly one through."""
    from sqlalchemy.exc import IntegrityError

    from registry.models import utcnow

    request = make.request(case=world.sh_case, days=week(0))
    experts = [make.expert().id for _ in range(2)]
    db.session.commit()
    table = Assignment.__table__
    first, second = db.engine.connect(), db.engine.connect()
    try:
        for connection, expert_id in ((first, experts[0]), (second, experts[1])):
            connection.execute(table.insert().values(
                request_id=request.id, expert_id=expert_id, status="proposed", reasons=[],
                decline_reason="", version=1, created_at=utcnow(), updated_at=utcnow()))
        first.commit()
        with pytest.raises(IntegrityError, match="seat"):
            second.commit()
    finally:
        first.close()
        second.close()
    assert len(active_seats(request.id)) == 1


class _Deadlock(Exception):
    sqlstate = "40P01"  # what psycopg's DeadlockDetected carries


@pytest.mark.parametrize("raised, status", [
    (lambda: StaleDataError("UPDATE statement on table 'assignment' expected to update 1 row(s); "
                            "0 were matched."), 409),
    (lambda: OperationalError("SELECT 1", {}, _Deadlock("deadlock detected")), 409),
    (lambda: OperationalError("SELECT 1", {}, Exception("server closed the connection")), 503),
])
@pytest.mark.own_app  # it adds a route
def test_the_loser_of_a_race_the_database_decided_gets_a_conflict_not_an_error(
        app, raised, status):
    """A stale UPDATE (row versions), a deadlock or a serialization failure is a 409 for the
    loser; only a database that cannot be reached is a 503."""
    def lose():
        raise raised()

    app.add_url_rule("/api/v1/test-race-loser", "race_loser", lose, methods=["POST"])
    response = app.test_client().post("/api/v1/test-race-loser")
    assert response.status_code == status
    assert response.get_json()["code"] == status
