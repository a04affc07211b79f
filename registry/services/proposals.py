"""A solver run's proposal as a coordinator reviews it: per request its seats with the facts
behind each choice, the diagnosis of what stayed unfilled, and the headline figures beside
hand dispatch's.

The run page shows its requests 50 at a time, by default those that need a coordinator (a
seat still empty, or a proposal not yet confirmed). What covers the whole run (the counts,
the confirm-all figure, the map) comes from grouped queries over ids and counts; only the
page's own requests are loaded as rows, with their active seats and the experts' names, so
the page costs the same for a run of 50 requests or of 5,000.
"""

from bisect import bisect_left
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload, load_only, selectinload

from registry.extensions import db
from registry.models import (
    ACTIVE_ASSIGNMENT_STATUSES,
    Assignment,
    AssignmentStatus,
    Case,
    City,
    DispatchRequest,
    Expert,
    RequestStatus,
    SolverRun,
)

PER_PAGE = 50
ATTENTION, ALL = "attention", "all"
SHOW = (ATTENTION, ALL)  # which of the run's requests the page lists; the first by default
CLOSED = frozenset({RequestStatus.CANCELLED, RequestStatus.COMPLETED})  # no seat to fill


@dataclass(frozen=True)
class ProposedSeat:
    """One active assignment on a request of the run, with the solver's facts about it (None
    for a seat the solver did not choose: held before the run, or picked by hand since)."""

    assignment: Assignment
    facts: dict | None = None
    distance_km: float | None = None
    pinned: bool = False

    @property
    def chosen_by_solver(self) -> bool:
        return self.facts is not None


@dataclass(frozen=True)
class RequestProposal:
    request: DispatchRequest
    seats: list[ProposedSeat]
    unfilled: dict | None = None  # missing, diagnosis {rule: count}, blocked, summary

    @property
    def proposed(self) -> list[Assignment]:
        return [seat.assignment for seat in self.seats
                if seat.assignment.status is AssignmentStatus.PROPOSED]


@dataclass(frozen=True)
class RequestLine:
    """Where one request of the run stands now, in counts: a line of the run's index."""

    id: int
    seats: int
    closed: bool  # cancelled or completed: nothing left to fill
    active: int   # proposed, confirmed or accepted seats
    proposed: int

    @property
    def needs_attention(self) -> bool:
        """A seat still empty, or a proposal still waiting for a coordinator."""
        return self.proposed > 0 or (self.active < self.seats and not self.closed)


@dataclass(frozen=True)
class ProposalView:
    """One page of a run's proposal, with the figures of the whole run."""

    run: SolverRun
    requests: list[RequestProposal]  # the page's, in the run's order (priority, then id)
    headline: dict = field(default_factory=dict)  # {"solver": metrics, "hand_dispatch": …}
    cities: dict[str, City] = field(default_factory=dict)  # named by the page's seats' facts
    show: str = ATTENTION
    page: dict = field(default_factory=lambda: {"page": 1, "per_page": PER_PAGE, "total": 0})
    counts: dict = field(default_factory=dict)  # {"attention": n, "all": n}: whole run
    request_ids: list[int] = field(default_factory=list)  # the whole run's, in order
    open_proposals: int = 0  # proposals on the run's requests, waiting for a coordinator
    active_seats: int = 0    # seats proposed, confirmed or accepted on the run's requests

    @property
    def held_seats_breaking_rules(self) -> list[str]:
        return list(self.run.held_seats_breaking_rules or [])

    @property
    def left_out(self) -> list[str]:
        """The scheduler's warnings: experts or requests wrong on their own (a term that ends
        before it starts, a reversed range) that it left out, solving the rest."""
        return [str(w) for w in (self.run.plan or {}).get("warnings") or []]

    @property
    def last_page(self) -> int:
        return max(1, -(-self.page["total"] // self.page["per_page"]))


def proposal_view(run: SolverRun, show: str | None = None, page: int = 1,
                  focus: int | None = None) -> ProposalView:
    """One page of the run's requests (as they stand now) with their active seats, and the
    whole run's counts; empty before the plan.

    Args:
        show: "attention" (the default) or "all" of the run's requests.
        page: the page to show, counted from 1 (past the end: the last page).
        focus: a request of the run to land on: its page (under `show` when given, else
            under "attention" if it needs attention there, else "all"). A request no longer
            in the list lands where it would be.
    """
    lines = _lines_of(run)
    show, page, shown = _choose(lines, show, page, focus)
    on_page = [line.id for line in shown[(page - 1) * PER_PAGE:page * PER_PAGE]]
    items = _proposals_of(on_page, run.plan or {})
    metrics = dict(run.metrics or {})
    return ProposalView(
        run, items, headline={"solver": metrics,
                              "hand_dispatch": metrics.pop("hand_dispatch", None)},
        cities=_cities(items), show=show,
        page={"page": page, "per_page": PER_PAGE, "total": len(shown)},
        counts={ATTENTION: sum(line.needs_attention for line in lines), ALL: len(lines)},
        request_ids=[line.id for line in lines],
        open_proposals=sum(line.proposed for line in lines),
        active_seats=sum(line.active for line in lines))


def _choose(lines: list[RequestLine], show: str | None, page: int,
            focus: int | None) -> tuple[str, int, list[RequestLine]]:
    """Which list to show and which page of it (see proposal_view): (show, page, list)."""
    position = next((n for n, line in enumerate(lines) if line.id == focus), None)
    if show not in SHOW:
        wanted = position is None or lines[position].needs_attention
        show = ATTENTION if wanted else ALL
    indexed = [(n, line) for n, line in enumerate(lines)
               if show == ALL or line.needs_attention]
    if position is not None:  # the page of the focus, or of the first listed after it
        page = bisect_left([n for n, _line in indexed], position) // PER_PAGE + 1
    last = max(1, -(-len(indexed) // PER_PAGE))
    return show, min(max(page, 1), last), [line for _n, line in indexed]


def _request_ids(run: SolverRun) -> set[int]:
    """The requests the run was asked about: its problem's, and those its plan left unfilled."""
    ids = {int(item["id"]) for item in (run.problem or {}).get("requests", [])}
    return ids | {int(item["request"]) for item in (run.plan or {}).get("unfilled", [])}


def _lines_of(run: SolverRun) -> list[RequestLine]:
    """Every request of the run with its seats counted, most urgent first: one grouped query."""
    ids = _request_ids(run)
    if not ids:
        return []
    active = and_(Assignment.request_id == DispatchRequest.id,
                  Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES))
    proposed = func.sum(case((Assignment.status == AssignmentStatus.PROPOSED, 1), else_=0))
    query = (select(DispatchRequest.id, DispatchRequest.seats, DispatchRequest.status,
                    func.count(Assignment.id), func.coalesce(proposed, 0))
             .outerjoin(Assignment, active)
             .where(DispatchRequest.id.in_(ids))
             .group_by(DispatchRequest.id, DispatchRequest.seats, DispatchRequest.status,
                       DispatchRequest.priority)
             .order_by(DispatchRequest.priority.desc(), DispatchRequest.id))
    return [RequestLine(request_id, seats, status in CLOSED, int(held), int(waiting))
            for request_id, seats, status, held, waiting in db.session.execute(query)]


def _proposals_of(ids: list[int], plan: dict) -> list[RequestProposal]:
    """The page's requests as rows, each with its active seats and the plan's word on them."""
    if not ids:
        return []
    chosen = {(item["request"], item["expert"]): item for item in plan.get("assignments", [])}
    unfilled = {item["request"]: item for item in plan.get("unfilled", [])}
    seats: dict[int, list[ProposedSeat]] = {request_id: [] for request_id in ids}
    for assignment in _active_seats(ids):
        planned = chosen.get((str(assignment.request_id), str(assignment.expert_id)))
        seats[assignment.request_id].append(_seat(assignment, planned))
    return [RequestProposal(request, seats[request.id], unfilled.get(str(request.id)))
            for request in _requests(ids)]


def _requests(ids: list[int]) -> list[DispatchRequest]:
    """The requests with what the page shows of them: case number, city and days."""
    of_case = joinedload(DispatchRequest.case)
    query = (select(DispatchRequest).where(DispatchRequest.id.in_(ids))
             .options(of_case.load_only(Case.number), of_case.lazyload(Case.fields),
                      joinedload(DispatchRequest.city), selectinload(DispatchRequest.days))
             .order_by(DispatchRequest.priority.desc(), DispatchRequest.id))
    return list(db.session.scalars(query))


def _active_seats(ids: list[int]) -> list[Assignment]:
    """The requests' proposed, confirmed and accepted seats with their experts' names; not
    the stored reasons (JSON the page does not show) nor the experts' fields and roles."""
    expert = joinedload(Assignment.expert)
    query = (select(Assignment)
             .where(Assignment.request_id.in_(ids),
                    Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES))
             .options(load_only(Assignment.request_id, Assignment.expert_id, Assignment.status,
                                Assignment.coordinator_id, Assignment.solver_run_id,
                                Assignment.version),
                      expert.load_only(Expert.name), expert.lazyload("*"))
             .order_by(Assignment.id))
    return list(db.session.scalars(query))


def _seat(assignment: Assignment, planned: dict | None) -> ProposedSeat:
    if planned is None:
        return ProposedSeat(assignment)
    return ProposedSeat(assignment, planned.get("facts") or {}, planned.get("distance_km"),
                        bool(planned.get("pinned")))


def _cities(items: list[RequestProposal]) -> dict[str, City]:
    codes = set()
    for item in items:
        for seat in item.seats:
            if seat.facts:
                codes |= {seat.facts.get("from_city"), seat.facts.get("to_city")}
    codes.discard(None)
    if not codes:
        return {}
    return {city.code: city for city in db.session.scalars(
        select(City).where(City.code.in_(codes)))}


def run_assignments(run: SolverRun) -> list[Assignment]:
    """The proposals this run made that are still waiting for a coordinator."""
    return list(db.session.scalars(
        select(Assignment).where(Assignment.solver_run_id == run.id,
                                 Assignment.status == AssignmentStatus.PROPOSED)
        .options(selectinload(Assignment.request), selectinload(Assignment.expert))
        .order_by(Assignment.request_id, Assignment.id)))
