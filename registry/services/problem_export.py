"""Build a dispatch-problem/1 document from the registry (docs/dispatch.md says which facts
become which keys). The queries are set-based: a registry of 10,000 experts exports in
seconds because children are eager-loaded and workloads are counted in a few grouped queries.

This is the registry's half of an export; registry/services/dispatch.py, the one module that
talks to the scheduler, checks the held seats with the scheduler's verify and queues the run.
"""

from collections import Counter, defaultdict
from datetime import date

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import selectinload

from registry.extensions import db
from registry.models import (
    ACTIVE_ASSIGNMENT_STATUSES,
    Affiliation,
    Assignment,
    AssignmentStatus,
    AttendanceDays,
    Case,
    CaseStage,
    City,
    CreditRecord,
    DeclaredConflict,
    DispatchRequest,
    DomainError,
    Expert,
    ExpertField,
    ExpertLanguage,
    ExpertRoleGrant,
    ExpertStatus,
    Jurisdiction,
    Organization,
    PanelMembership,
    RecognitionAgreement,
    SolverRun,
    Unavailability,
)
from registry.models.cases import OPEN_REQUEST_STATUSES
from registry.models.experts import DISQUALIFYING_CREDIT
from registry.services import audit, memo, persons
from registry.services.disclosures import written_waivers
from registry.services.exclusions import chunks, disputes_of, excluded_experts
from registry.services.permissions import region_jurisdictions
from registry.services.reach import (
    agreements_in_force,
    recognised_jurisdictions,
    request_jurisdictions,
    roster_institution,
    roster_institutions,
)
from scheduler import rules

FORMAT = "dispatch-problem/1"
ONE_PROCEDURE_ROLES = rules.rule("one_procedure").roles
SETTINGS = {"cooling_off_days": 1095, "time_limit_s": 10}
# How a run answers its problem: "solve" searches the whole problem; "replan" keeps the
# region's current proposal where the rules still allow it and changes only what changed
# since (a new request, a decline, an expert newly unavailable): about a second at 5,000
# requests, where a solve takes its whole limit (docs/scheduler.md, "Re-plan").
RUN_MODES = ("solve", "replan")
REPLAN_TIME_LIMIT_S = 2  # the scheduler's re-plan needs ~1 s at 5,000 x 2,000; room to spare
# Seats taken by an assignment the solver must keep.
HELD_STATUSES = frozenset({AssignmentStatus.CONFIRMED, AssignmentStatus.ACCEPTED})
OPEN_END = date(9999, 12, 31)


def region_problem(region: str, start: date, end: date, as_of: date) -> dict:
    """The problem for a region's open requests in [start, end], as the registry sees them on
    as_of (held seats not yet checked against the rules)."""
    jurisdictions = _region(region, start, end)
    agreements = agreements_in_force(as_of)
    requests = open_requests(jurisdictions, start, end)
    experts = candidate_experts(recognised_jurisdictions(jurisdictions, agreements), as_of,
                                rosters=roster_institutions(requests))
    return problem_document(requests, experts, as_of, agreements)


def queue_run(document: dict, region: str, start: date, end: date, parameters: dict,
              held_seats_breaking_rules: list[str], actor=None) -> SolverRun:
    """Add a queued solver run holding the document (and name the run in it); audit it.

    The run is added and flushed, not committed: the caller owns the transaction.
    """
    document["settings"] = settings(parameters)
    run = SolverRun(region=region, window_from=start, window_to=end,
                    created_by_id=actor.id if actor else None, parameters=parameters,
                    held_seats_breaking_rules=held_seats_breaking_rules)
    db.session.add(run)
    db.session.flush()
    document["run"] = run.id
    run.problem = document
    audit.record(actor, "solver_run.export", "solver_run", run.id, after={
        "region": region, "from": start.isoformat(), "to": end.isoformat(),
        "as_of": parameters["as_of"], "requests": len(document["requests"]),
        "experts": len(document["experts"])})
    return run


def run_parameters(as_of: date, time_limit_s: float | None, weights: dict | None,
                   mode: str = "solve") -> dict:
    """What a run is asked for besides its region and window."""
    if time_limit_s is None:
        time_limit_s = REPLAN_TIME_LIMIT_S if mode == "replan" else SETTINGS["time_limit_s"]
    return {"as_of": as_of.isoformat(), "mode": mode, "time_limit_s": time_limit_s,
            "weights": dict(weights or {})}


def settings(parameters: dict) -> dict:
    """The problem's settings for these run parameters (no weights: the solver's own)."""
    values = dict(SETTINGS, time_limit_s=parameters.get("time_limit_s",
                                                        SETTINGS["time_limit_s"]))
    if parameters.get("weights"):
        values["weights"] = dict(parameters["weights"])
    return values


def _region(region: str, start: date, end: date) -> set[str]:
    if end < start:
        raise DomainError("the window ends ({end}) before it starts ({start})", field="end",
                          end=end, start=start)
    jurisdictions = region_jurisdictions(region)
    if not jurisdictions or any(db.session.get(Jurisdiction, code) is None
                                for code in jurisdictions):
        raise DomainError("unknown region {region!r}: give a jurisdiction (SH) or an "
                          "agreement (YRD, GBA)", field="region", region=region)
    return jurisdictions


def release_broken_pins(document: dict, violations) -> list[str]:
    """Take out of the problem the held seats whose expert now breaks a rule.

    `violations` are the scheduler's verdict on the pinned pairs (objects with `request`,
    `expert`; `request` is None for a fault of the expert itself). A confirmed expert may
    since have declared a conflict or unavailability, or lost its appointment. Pinning it
    would make the scheduler reject the whole region's problem (rule 13), so the seat stays
    held and unplanned, and the run lists it for the coordinator to resolve.
    """
    broken_experts = {v.expert for v in violations if v.request is None}
    broken = {(v.request, v.expert) for v in violations if v.request}
    broken |= {(p["request"], p["expert"]) for p in document["pinned"]
               if p["expert"] in broken_experts}
    if not broken:
        return []
    document["pinned"] = [p for p in document["pinned"]
                          if (p["request"], p["expert"]) not in broken]
    seats_lost = Counter(request_id for request_id, _ in broken)
    for request in document["requests"]:
        request["seats"] -= seats_lost[request["id"]]
    gone = {r["id"] for r in document["requests"] if r["seats"] < 1}
    document["requests"] = [r for r in document["requests"] if r["id"] not in gone]
    document["previous"] = [p for p in document["previous"] if p["request"] not in gone]
    return [str(v) for v in violations]


def holders_problem(requests: list[DispatchRequest], experts: set[int], as_of: date) -> dict:
    """A problem from today's registry for these requests, with these experts and the experts
    holding their seats; one that may no longer be in any problem is left out, as the export
    leaves it (a pair naming it is then an unknown reference to verify)."""
    held = {a.expert_id for r in requests for a in r.assignments if a.status in HELD_STATUSES}
    rows = load_rows(Expert, expert_options(), sorted(experts | held))
    return problem_document(requests, [e.id for e in rows if not barred(e, as_of)], as_of,
                            agreements_in_force(as_of))


def hand_pick_problem(request: DispatchRequest, expert: Expert,
                      as_of: date) -> tuple[dict, list[dict]]:
    """A one-request problem from today's registry (the request, the expert, and the experts
    holding its seats) and the pairs to verify in it: the held seats plus the new pair. The
    callers have refused a barred expert already."""
    problem = holders_problem([request], {expert.id}, as_of)
    pair = {"request": str(request.id), "expert": str(expert.id)}
    return problem, problem["pinned"] + ([] if pair in problem["pinned"] else [pair])


def confirmation_problem(proposals: list[Assignment], as_of: date) -> tuple[dict, list[dict]]:
    """A problem from today's registry for the proposals' requests (their experts and the
    experts holding seats there) and the pairs to verify in it: the held seats plus every
    proposal."""
    requests = load_rows(DispatchRequest, request_options(), sorted({a.request_id
                                                                     for a in proposals}))
    problem = holders_problem(requests, {a.expert_id for a in proposals}, as_of)
    return problem, problem["pinned"] + [_pair(a) for a in proposals]


def request_problem(request: DispatchRequest, as_of: date) -> dict:
    """A one-request problem with every expert its region recognises (for the candidates of
    a request no solver run has covered)."""
    agreements = agreements_in_force(as_of)
    experts = list(db.session.scalars(candidate_experts(
        request_jurisdictions(request, agreements), as_of,
        rosters=roster_institutions([request]))))
    return problem_document([request], experts, as_of, agreements)


def barred(expert: Expert, as_of: date) -> str:
    """Why the expert may not be in any problem on as_of or today ("" when it may)."""
    if expert.status is not ExpertStatus.ACTIVE:
        return f"is {expert.status.value}"
    if expert.disqualifying_records(as_of) or expert.disqualifying_records(date.today()):
        return "has a serious or suspending credit record"
    return ""


def load_rows(model, options, ids: list[int]) -> list:
    rows = db.session.scalars(select(model).where(model.id.in_(ids)).options(*options)
                              .order_by(model.id))
    return list(rows)


# -- selection ---------------------------------------------------------------------------------

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
    """What plan_import needs to judge an expert's standing with the ORM."""
    return (selectinload(Expert.credit_records),)


def candidate_experts(jurisdictions: set[str], as_of: date, rosters=frozenset()) -> Select:
    """The ids of active experts of these jurisdictions, or on the rosters of these
    institutions (ids), without a serious or suspending record in effect on as_of (the SQL
    form of Expert.disqualifying_records)."""
    in_effect = and_(CreditRecord.kind.in_(DISQUALIFYING_CREDIT), CreditRecord.start <= as_of,
                     or_(CreditRecord.end.is_(None), CreditRecord.end >= as_of))
    on_roster = Expert.id.in_(select(PanelMembership.expert_id)
                              .where(PanelMembership.institution_id.in_(rosters)))
    return select(Expert.id).where(or_(Expert.jurisdiction_code.in_(jurisdictions), on_roster),
                                   Expert.status == ExpertStatus.ACTIVE,
                                   ~Expert.credit_records.any(in_effect))


# -- the document ------------------------------------------------------------------------------

def problem_document(requests: list[DispatchRequest], experts: Select | list[int],
                     as_of: date, agreements, since: date | None = None) -> dict:
    """Write the dispatch-problem/1 document for these requests and candidate experts (a query
    of their ids, or the ids). The experts' absences and bookings are read from `since`
    (default: the requests' first day); an earlier day only adds spans that end before
    every request, which no rule reads."""
    exported = set(db.session.scalars(experts) if isinstance(experts, Select) else experts)
    excluded, disputes = _exclusions_and_disputes(requests)
    waived = written_waivers(requests)  # the parties' written waivers (services/disclosures)
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
        # Waivers name experts; one the problem cannot name (suspended, or outside the
        # region) would make the document invalid.
        if waivers := [w for w in waived.get(request.id, ()) if int(w["expert"]) in exported]:
            request_docs[-1]["waivers"] = waivers
        if request.role.value in ONE_PROCEDURE_ROLES:
            request_docs[-1] |= disputes[request.case_id] or {}
        pinned += [_pair(a) for a in kept]
        previous += [_pair(a) for a in request.assignments
                     if a.status is AssignmentStatus.PROPOSED and a.expert_id in exported]
    in_problem = {int(doc["id"]) for doc in request_docs}
    earliest = min((d.start for r in requests for d in r.days), default=as_of)
    earliest = min(earliest, since) if since else earliest
    batches = [experts] if isinstance(experts, Select) else list(chunks(sorted(exported)))
    expert_docs = expert_entries(batches, as_of, earliest, in_problem)
    return {
        "format": FORMAT,
        "as_of": as_of.isoformat(),
        "cities": city_entries(),
        "recognition_groups": [recognition_group(a) for a in agreements],
        "experts": expert_docs,
        "requests": request_docs,
        "pinned": pinned,
        "previous": previous,
        "settings": dict(SETTINGS),
    }


def read_ahead(requests: list[DispatchRequest]) -> None:
    """Read for all these requests at once what each one's own problem will ask of its case:
    exclusions and linked stages (kept for the transaction, memo.py). For the held seats of
    several requests judged one by one (flags.after_change)."""
    _exclusions_and_disputes(requests)


def _exclusions_and_disputes(requests: list[DispatchRequest]) -> tuple[dict, dict]:
    """excluded_experts and dispute_fields (None for a case without linked stages) for these
    requests, each request's and case's read once per transaction."""
    by_id = {r.id: r for r in requests}
    cases = {r.case_id: r.case for r in requests if r.role.value in ONE_PROCEDURE_ROLES}

    def read_disputes(case_ids: list[int]) -> dict:
        found = dispute_fields([cases[i] for i in case_ids])
        return {i: found.get(i) for i in case_ids}

    excluded = memo.remember_many("excluded_experts", by_id, lambda ids: excluded_experts(
        [by_id[i] for i in ids]))
    return excluded, memo.remember_many("dispute_fields", cases, read_disputes)


def dispute_fields(cases: list[Case]) -> dict[int, dict]:
    """Rule one_procedure's request fields for each case with linked stages: `dispute`, the
    lowest case id of its dispute (the same for every stage of it, whichever is open), and,
    for an appeal, `procedure` "second_instance": after a remand the appeal court may use
    the original appeal's investigator again (exclusions.bars), so every second instance of
    a dispute counts as one procedure; other stages are procedures of their own (the
    request's case)."""
    _stages, disputes = disputes_of(cases)
    return {case.id: {"dispute": str(min(disputes[case.id]))} | (
                {"procedure": "second_instance"} if case.stage is CaseStage.SECOND_INSTANCE
                else {})
            for case in cases if len(disputes[case.id]) > 1}


def recognition_group(agreement: RecognitionAgreement):
    """An agreement as the problem's group: {members, roles} when it names its roles (issue 9
    item 6), else the plain list of members (every role)."""
    members = sorted(agreement.member_codes())
    return {"members": members, "roles": agreement.role_names} if agreement.roles else members


def _pair(assignment: Assignment) -> dict:
    return {"request": str(assignment.request_id), "expert": str(assignment.expert_id)}


def _span(start: date, end: date | None) -> dict:
    return {"start": start.isoformat(), "end": (end or OPEN_END).isoformat()}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def city_entries() -> list[dict]:
    return memo.remember("city_entries", "all", lambda keys: {"all": [
        {"code": code, "lat": lat, "lon": lon, "name_zh": name_zh, "name_en": name_en,
         "jurisdiction": jurisdiction}
        for code, lat, lon, name_zh, name_en, jurisdiction in db.session.execute(
            select(City.code, City.lat, City.lon, City.name_zh, City.name_en,
                   City.jurisdiction_code).order_by(City.code))]})


def request_entry(request: DispatchRequest, seats: int, excluded: set[int]) -> dict:
    case = request.case
    parties = {p.organization_id for p in case.parties if p.organization_id} | \
        {p.counsel_id for p in case.parties if p.counsel_id}
    return {
        "id": str(request.id), "case": case.number, "role": request.role.value, "seats": seats,
        "city": request.city_code, "jurisdiction": case.handling_body.jurisdiction_code,
        "fields": case.field_codes, "language": request.language,
        "days": [_span(d.start, d.end) for d in request.days],
        "remote": request.remote_allowed, "priority": request.priority,
        "parties": [str(org) for org in sorted(parties)] + persons.party_tokens(case),
        "excluded": [str(expert) for expert in sorted(excluded)],
        "service": request.service.value,
    } | ({"institution": str(institution)}
         if (institution := roster_institution(request)) is not None else {})


def expert_entries(batches: list, as_of: date, earliest: date,
                   in_problem: set[int]) -> list[dict]:
    """The experts' entries, read as plain rows (ORM objects for 10,000 experts and their
    children would cost seconds); a batch is a list of ids or a query of them."""
    entries = []
    for chunk in batches:
        facts = _kept_for_ids("expert_facts", _expert_facts, chunk, as_of, earliest)
        load, busy = outside_workload(chunk, in_problem, earliest)
        for row in _kept_for_ids("expert_rows", _expert_rows, chunk):
            entries.append(_expert_entry(row, facts, load[row.id], busy[row.id]))
    return entries


EXPERT_COLUMNS = (Expert.id, Expert.home_city_code, Expert.jurisdiction_code,
                  Expert.appointed_from, Expert.appointed_until, Expert.max_concurrent,
                  Expert.max_travel_km)


def _expert_rows(chunk) -> list:
    return db.session.execute(select(*EXPERT_COLUMNS).where(Expert.id.in_(chunk))
                              .order_by(Expert.id)).all()


def _kept_for_ids(kind: str, read, chunk, *args):
    """read(chunk, *args), read once per transaction (memo.py) when chunk is a list of ids:
    held seats judged request by request name the same experts. A query of ids (a region's
    candidates) is read as it comes."""
    if isinstance(chunk, Select):
        return read(chunk, *args)
    key = (tuple(chunk), *args)
    return memo.remember(kind, key, lambda _keys: {key: read(chunk, *args)})


def _expert_facts(chunk, as_of: date, earliest: date) -> dict:
    """Each child table as {expert_id: [row, ...]} for the experts in chunk."""
    queries = {
        "roles": select(ExpertRoleGrant.expert_id, ExpertRoleGrant.role)
        .where(ExpertRoleGrant.expert_id.in_(chunk)),
        "fields": select(ExpertField.expert_id, ExpertField.ipc_code, ExpertField.proficiency)
        .where(ExpertField.expert_id.in_(chunk)).order_by(ExpertField.ipc_code),
        "languages": select(ExpertLanguage.expert_id, ExpertLanguage.language)
        .where(ExpertLanguage.expert_id.in_(chunk)),
        "organizations": select(Affiliation.expert_id, Affiliation.organization_id,
                                Affiliation.end)
        .where(Affiliation.expert_id.in_(chunk)).order_by(Affiliation.id),
        "conflicts": select(DeclaredConflict.expert_id, DeclaredConflict.organization_id)
        .where(DeclaredConflict.expert_id.in_(chunk)),
        "unavailable": select(Unavailability.expert_id, Unavailability.start, Unavailability.end)
        .where(Unavailability.expert_id.in_(chunk), Unavailability.end >= earliest),
        # A suspension that starts after as_of makes the expert unavailable from its start.
        "suspended": select(CreditRecord.expert_id, CreditRecord.start, CreditRecord.end)
        .where(CreditRecord.expert_id.in_(chunk), CreditRecord.start > as_of,
               CreditRecord.kind.in_(DISQUALIFYING_CREDIT),
               or_(CreditRecord.end.is_(None), CreditRecord.end >= earliest)),
        "panels": select(PanelMembership.expert_id, PanelMembership.institution_id,
                         PanelMembership.start, PanelMembership.end)
        .where(PanelMembership.expert_id.in_(chunk)).order_by(PanelMembership.id),
    }
    facts = {}
    for key, query in queries.items():
        facts[key] = defaultdict(list)
        for expert_id, *values in db.session.execute(query):
            facts[key][expert_id].append(values)
    facts["relatives"] = persons.near_relative_tokens(chunk)
    return facts


def _expert_entry(row, facts: dict, load: int, busy: list[tuple[date, date]]) -> dict:
    away = sorted(facts["unavailable"][row.id] + facts["suspended"][row.id])
    return {
        "id": str(row.id), "roles": sorted(role.value for role, in facts["roles"][row.id]),
        "city": row.home_city_code, "jurisdiction": row.jurisdiction_code,
        "fields": {code: level for code, level in facts["fields"][row.id]},
        "languages": sorted(language for language, in facts["languages"][row.id]),
        "appointed_from": _iso(row.appointed_from),
        "appointed_until": _iso(row.appointed_until),
        "max_concurrent": row.max_concurrent, "current_load": load,
        "max_travel_km": row.max_travel_km,
        "unavailable": [_span(start, end) for start, end in away],
        "busy": [_span(start, end) for start, end in sorted(busy)],
        "organizations": [{"org": str(org), "until": _iso(end)}
                          for org, end in facts["organizations"][row.id]],
        "conflicts": sorted({str(org) for org, in facts["conflicts"][row.id]}
                            | facts["relatives"][row.id]),  # near relatives (persons)
    } | _panels(facts["panels"][row.id])


def _panels(places: list) -> dict:
    """An arbitrator's places on institutions' rosters (rule 4), when it has any."""
    return {"panels": [{"institution": str(inst), "from": _iso(start), "until": _iso(end)}
                       for inst, start, end in places]} if places else {}


# -- derived facts -----------------------------------------------------------------------------

def outside_workload(chunk, in_problem: set[int], earliest: date):
    """Open assignments and booked days of each expert on requests outside the problem."""
    load: Counter = Counter()
    busy: dict[int, list] = defaultdict(list)
    seats, days = _kept_for_ids("seats_and_days", _seats_and_days, chunk, earliest)
    for expert_id, request_id in seats:
        if request_id not in in_problem:
            load[expert_id] += 1
    for expert_id, request_id, start, end in days:
        if request_id not in in_problem:
            busy[expert_id].append((start, end))
    return load, busy


def _seats_and_days(chunk, earliest: date) -> tuple[list, list]:
    """Each expert's active seats (expert, request) and the days of its held ones from
    `earliest` (expert, request, start, end)."""
    seats = db.session.execute(
        select(Assignment.expert_id, Assignment.request_id)
        .where(Assignment.expert_id.in_(chunk),
               Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES))).all()
    days = db.session.execute(
        select(Assignment.expert_id, Assignment.request_id, AttendanceDays.start,
               AttendanceDays.end)
        .join(AttendanceDays, AttendanceDays.request_id == Assignment.request_id)
        .where(Assignment.expert_id.in_(chunk), Assignment.status.in_(HELD_STATUSES),
               AttendanceDays.end >= earliest)).all()
    return seats, days
