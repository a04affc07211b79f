"""Build a dispatch-problem/1 document from the registry (docs/dispatch.md says which facts
become which keys). The queries are set-based: a registry of 10,000 experts exports in
seconds because children are eager-loaded and workloads are counted in a few grouped queries.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from registry.extensions import db
from registry.models import (
    ACTIVE_ASSIGNMENT_STATUSES,
    SERVED_STATUSES,
    Assignment,
    AssignmentStatus,
    AttendanceDays,
    Case,
    CaseStage,
    City,
    DispatchRequest,
    DomainError,
    Exclusion,
    ExclusionReason,
    Expert,
    ExpertStatus,
    Jurisdiction,
    Organization,
    RecognitionAgreement,
    SolverRun,
)
from registry.models.cases import OPEN_REQUEST_STATUSES
from registry.models.experts import DISQUALIFYING_CREDIT
from registry.services import audit
from registry.services.permissions import region_jurisdictions

FORMAT = "dispatch-problem/1"
SETTINGS = {"cooling_off_days": 1095, "time_limit_s": 10}
# Seats taken by an assignment the solver must keep.
HELD_STATUSES = frozenset({AssignmentStatus.CONFIRMED, AssignmentStatus.ACCEPTED})
# A challenge, a recusal or an earlier-stage bar concerns the expert and the case; a decline
# concerns one request only (the expert may take another request of the same case).
CASE_WIDE_REASONS = frozenset({ExclusionReason.CHALLENGE, ExclusionReason.RECUSAL,
                               ExclusionReason.EARLIER_STAGE})
# An old assignment row in these statuses bars the pair: (request, expert) is unique and the
# row is final (a withdrawn proposal, by contrast, may be proposed again).
FINAL_PAIR_STATUSES = frozenset({AssignmentStatus.DECLINED, AssignmentStatus.CANCELLED,
                                 AssignmentStatus.COMPLETED})
OPEN_END = date(9999, 12, 31)
CHUNK = 2000


def export_problem(region: str, start: date, end: date, as_of: date | None = None,
                   actor=None) -> tuple[dict, SolverRun]:
    """Build the problem for a region's open requests in [start, end] and queue a solver run.

    The run is added and flushed, not committed: the caller owns the transaction.
    """
    as_of = as_of or date.today()
    jurisdictions = _region(region, start, end)
    agreements = agreements_in_force(as_of)
    requests = open_requests(jurisdictions, start, end)
    experts = candidate_experts(recognised_jurisdictions(jurisdictions, agreements), as_of)
    document = problem_document(requests, experts, as_of, agreements)
    run = SolverRun(region=region, window_from=start, window_to=end,
                    created_by_id=actor.id if actor else None)
    db.session.add(run)
    db.session.flush()
    document["run"] = run.id
    run.parameters = {"as_of": as_of.isoformat(), "jurisdictions": sorted(jurisdictions),
                      "problem": document}
    audit.record(actor, "solver_run.export", "solver_run", run.id, after={
        "region": region, "from": start.isoformat(), "to": end.isoformat(),
        "as_of": as_of.isoformat(), "requests": len(document["requests"]),
        "experts": len(document["experts"])})
    return document, run


def _region(region: str, start: date, end: date) -> set[str]:
    if end < start:
        raise DomainError(f"the window ends ({end}) before it starts ({start})", field="end")
    jurisdictions = region_jurisdictions(region)
    if not jurisdictions or any(db.session.get(Jurisdiction, code) is None
                                for code in jurisdictions):
        raise DomainError(f"unknown region {region!r}: give a jurisdiction (SH) or an "
                          "agreement (YRD, GBA)", field="region")
    return jurisdictions


# -- selection ---------------------------------------------------------------------------------

def agreements_in_force(as_of: date) -> list[RecognitionAgreement]:
    agreements = db.session.scalars(select(RecognitionAgreement)
                                    .options(selectinload(RecognitionAgreement.members))
                                    .order_by(RecognitionAgreement.code))
    return [agreement for agreement in agreements if agreement.in_force_on(as_of)]


def recognised_jurisdictions(jurisdictions: set[str], agreements) -> set[str]:
    """The region itself and every jurisdiction sharing an agreement in force with it."""
    recognised = set(jurisdictions)
    for agreement in agreements:
        members = agreement.member_codes()
        if members & jurisdictions:
            recognised |= members
    return recognised


def request_options():
    case = selectinload(DispatchRequest.case)
    return (case.selectinload(Case.parties),
            case.selectinload(Case.handling_body).selectinload(Organization.city),
            selectinload(DispatchRequest.assignments),
            selectinload(DispatchRequest.exclusions))


def open_requests(jurisdictions: set[str], start: date, end: date) -> list[DispatchRequest]:
    """Open requests handled in the region with days in [start, end], or with no days."""
    in_window = DispatchRequest.days.any(and_(AttendanceDays.start <= end,
                                              AttendanceDays.end >= start))
    query = (select(DispatchRequest).join(DispatchRequest.case).join(Case.handling_body)
             .join(Organization.city)
             .where(DispatchRequest.status.in_(OPEN_REQUEST_STATUSES),
                    City.jurisdiction_code.in_(jurisdictions),
                    or_(in_window, ~DispatchRequest.days.any()))
             .options(*request_options()).order_by(DispatchRequest.id))
    return list(db.session.scalars(query))


def expert_options():
    return (selectinload(Expert.affiliations), selectinload(Expert.conflicts),
            selectinload(Expert.unavailability), selectinload(Expert.credit_records))


def candidate_experts(jurisdictions: set[str], as_of: date) -> list[Expert]:
    """Active experts of these jurisdictions without a serious or suspending record on as_of."""
    query = (select(Expert).where(Expert.jurisdiction_code.in_(jurisdictions),
                                  Expert.status == ExpertStatus.ACTIVE)
             .options(*expert_options()).order_by(Expert.id))
    return [expert for expert in db.session.scalars(query)
            if not expert.disqualifying_records(as_of)]


# -- the document ------------------------------------------------------------------------------

def problem_document(requests: list[DispatchRequest], experts: list[Expert], as_of: date,
                     agreements) -> dict:
    """Write the dispatch-problem/1 document for these requests and candidate experts."""
    exported = {expert.id for expert in experts}
    excluded = excluded_experts(requests)
    request_docs, pinned, previous = [], [], []
    for request in requests:
        held = [a for a in request.assignments if a.status in HELD_STATUSES]
        kept = [a for a in held if a.expert_id in exported]
        # A seat held by an expert the problem cannot name (suspended since, or from outside
        # the region) stays held: the solver plans the remaining seats only.
        seats = request.seats - (len(held) - len(kept))
        if seats < 1:
            continue
        request_docs.append(request_entry(request, seats, excluded[request.id]))
        pinned += [_pair(a) for a in kept]
        previous += [_pair(a) for a in request.assignments
                     if a.status is AssignmentStatus.PROPOSED and a.expert_id in exported]
    in_problem = {int(doc["id"]) for doc in request_docs}
    earliest = min((d.start for r in requests for d in r.days), default=as_of)
    load, busy = outside_workload(sorted(exported), in_problem, earliest)
    return {
        "format": FORMAT,
        "as_of": as_of.isoformat(),
        "cities": city_entries(),
        "recognition_groups": [sorted(a.member_codes()) for a in agreements],
        "experts": [expert_entry(e, as_of, earliest, load[e.id], busy[e.id]) for e in experts],
        "requests": request_docs,
        "pinned": pinned,
        "previous": previous,
        "settings": dict(SETTINGS),
    }


def _pair(assignment: Assignment) -> dict:
    return {"request": str(assignment.request_id), "expert": str(assignment.expert_id)}


def _span(start: date, end: date | None) -> dict:
    return {"start": start.isoformat(), "end": (end or OPEN_END).isoformat()}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def city_entries() -> list[dict]:
    return [{"code": c.code, "lat": c.lat, "lon": c.lon, "name_zh": c.name_zh,
             "name_en": c.name_en, "jurisdiction": c.jurisdiction_code}
            for c in db.session.scalars(select(City).order_by(City.code))]


def request_entry(request: DispatchRequest, seats: int, excluded: set[int]) -> dict:
    case = request.case
    parties = {p.organization_id for p in case.parties} | \
        {p.counsel_id for p in case.parties if p.counsel_id}
    return {
        "id": str(request.id), "case": case.number, "role": request.role.value, "seats": seats,
        "city": request.city_code, "jurisdiction": case.handling_body.jurisdiction_code,
        "fields": case.field_codes, "language": request.language,
        "days": [_span(d.start, d.end) for d in request.days],
        "remote": request.remote_allowed, "priority": request.priority,
        "parties": [str(org) for org in sorted(parties)],
        "excluded": [str(expert) for expert in sorted(excluded)],
        "service": request.service.value,
    }


def expert_entry(expert: Expert, as_of: date, earliest: date, load: int,
                 busy: list[tuple[date, date]]) -> dict:
    # A suspension that starts after as_of makes the expert unavailable from its start.
    barred = [(r.start, r.end) for r in expert.credit_records
              if r.kind in DISQUALIFYING_CREDIT and r.start > as_of]
    away = [(u.start, u.end) for u in expert.unavailability] + barred
    return {
        "id": str(expert.id), "roles": expert.role_names, "city": expert.home_city_code,
        "jurisdiction": expert.jurisdiction_code,
        "fields": {f.ipc_code: f.proficiency for f in expert.fields},
        "languages": expert.language_codes,
        "appointed_from": _iso(expert.appointed_from),
        "appointed_until": _iso(expert.appointed_until),
        "max_concurrent": expert.max_concurrent, "current_load": load,
        "max_travel_km": expert.max_travel_km,
        "unavailable": [_span(s, e) for s, e in sorted(away) if e is None or e >= earliest],
        "busy": [_span(s, e) for s, e in sorted(busy)],
        "organizations": [{"org": str(a.organization_id), "until": _iso(a.end)}
                          for a in expert.affiliations],
        "conflicts": sorted({str(c.organization_id) for c in expert.conflicts}),
    }


# -- derived facts -----------------------------------------------------------------------------

def _chunks(ids: list, size: int = CHUNK) -> Iterable[list]:
    ids = list(ids)
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def outside_workload(expert_ids: list[int], in_problem: set[int], earliest: date):
    """Open assignments and booked days of each expert on requests outside the problem."""
    load: Counter = Counter()
    busy: dict[int, list] = defaultdict(list)
    for chunk in _chunks(expert_ids):
        rows = db.session.execute(
            select(Assignment.expert_id, Assignment.request_id)
            .where(Assignment.expert_id.in_(chunk),
                   Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES)))
        for expert_id, request_id in rows:
            if request_id not in in_problem:
                load[expert_id] += 1
        rows = db.session.execute(
            select(Assignment.expert_id, Assignment.request_id, AttendanceDays.start,
                   AttendanceDays.end)
            .join(AttendanceDays, AttendanceDays.request_id == Assignment.request_id)
            .where(Assignment.expert_id.in_(chunk), Assignment.status.in_(HELD_STATUSES),
                   AttendanceDays.end >= earliest))
        for expert_id, request_id, start, end in rows:
            if request_id not in in_problem:
                busy[expert_id].append((start, end))
    return load, busy


def excluded_experts(requests: list[DispatchRequest]) -> dict[int, set[int]]:
    """Expert ids barred from each request (the exclusion rules of docs/dispatch.md)."""
    case_ids = {r.case_id for r in requests}
    case_wide: dict[int, set[int]] = defaultdict(set)
    per_request: dict[int, set[int]] = defaultdict(set)
    for chunk in _chunks(sorted(case_ids)):
        rows = db.session.execute(
            select(DispatchRequest.case_id, Exclusion.request_id, Exclusion.expert_id,
                   Exclusion.reason).join(Exclusion.request)
            .where(DispatchRequest.case_id.in_(chunk)))
        for case_id, request_id, expert_id, reason in rows:
            if reason in CASE_WIDE_REASONS:
                case_wide[case_id].add(expert_id)
            else:
                per_request[request_id].add(expert_id)
    served = served_at_other_stages({r.case for r in requests})
    out: dict[int, set[int]] = {}
    for r in requests:
        final = {a.expert_id for a in r.assignments if a.status in FINAL_PAIR_STATUSES}
        out[r.id] = case_wide[r.case_id] | per_request[r.id] | served[r.case_id] | final
    return out


def bars(stage: CaseStage, other: CaseStage) -> bool:
    """Whether serving at `other` bars serving at `stage` of the same dispute (SPC 2019, Art. 5).

    The one exception: after a remand, the second instance may again use the experts of the
    original second instance.
    """
    return not (stage is CaseStage.SECOND_INSTANCE and other is CaseStage.SECOND_INSTANCE)


def served_at_other_stages(cases: set[Case]) -> dict[int, set[int]]:
    """For each case, the experts who served at another stage (earlier or later) of its dispute."""
    stage_of = {c.id: c.stage for c in cases}
    parent_of = {c.id: c.earlier_stage_id for c in cases}
    frontier = set(stage_of)
    while frontier:
        parents = {parent_of[i] for i in frontier if parent_of[i]} - stage_of.keys()
        rows = [*_case_links(Case.id, parents), *_case_links(Case.earlier_stage_id, frontier)]
        frontier = set()
        for case_id, stage, parent in rows:
            if case_id not in stage_of:
                stage_of[case_id], parent_of[case_id] = stage, parent
                frontier.add(case_id)
    stages = _disputes(parent_of)
    served_by_case: dict[int, set[int]] = defaultdict(set)
    others = {s for c in cases for s in stages[c.id] if s != c.id}
    for chunk in _chunks(sorted(others)):
        rows = db.session.execute(
            select(DispatchRequest.case_id, Assignment.expert_id).join(Assignment.request)
            .where(DispatchRequest.case_id.in_(chunk), Assignment.status.in_(SERVED_STATUSES)))
        for case_id, expert_id in rows:
            served_by_case[case_id].add(expert_id)
    out: dict[int, set[int]] = defaultdict(set)
    for c in cases:
        for other in stages[c.id] - {c.id}:
            if bars(c.stage, stage_of[other]):
                out[c.id] |= served_by_case[other]
    return out


def _case_links(column, ids: set[int]) -> list:
    rows = []
    for chunk in _chunks(sorted(ids)):
        rows += db.session.execute(select(Case.id, Case.stage, Case.earlier_stage_id)
                                   .where(column.in_(chunk))).all()
    return rows


def _disputes(parent_of: dict[int, int | None]) -> dict[int, set[int]]:
    """Group cases linked by earlier_stage_id: each case id -> every stage of its dispute."""
    root = {case_id: case_id for case_id in parent_of}

    def find(case_id):
        while root[case_id] != case_id:
            root[case_id] = root[root[case_id]]
            case_id = root[case_id]
        return case_id

    for case_id, parent in parent_of.items():
        if parent in root:
            root[find(case_id)] = find(parent)
    groups: dict[int, set[int]] = defaultdict(set)
    for case_id in parent_of:
        groups[find(case_id)].add(case_id)
    return {case_id: groups[find(case_id)] for case_id in parent_of}
