"""Reading what the coordinator console lists: its region's requests, experts and runs.

Every query starts from the scope `permissions` decides (a coordinator: its region; an admin:
everything) and loads what its page shows in a fixed number of queries, so templates never
query and a page of 100 rows costs what a page of 1 does.
"""

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from registry.extensions import db
from registry.models import (
    ACTIVE_ASSIGNMENT_STATUSES,
    HANDLING_BODY_KINDS,
    Assignment,
    AssignmentFlag,
    AssignmentStatus,
    AttendanceDays,
    Case,
    CaseField,
    City,
    DispatchRequest,
    Expert,
    Organization,
    SolverRun,
    User,
)
from registry.models.cases import OPEN_REQUEST_STATUSES
from registry.services import experts as expert_search
from registry.services import permissions as may
from registry.services.accounts import region_choices
from registry.services.experts import matches_field
from registry.services.solver_runs import runs_query

MAX_OPTIONS = 30

# What a row of the request list shows: case, city, days, and who stands on it.
REQUEST_ROW = (joinedload(DispatchRequest.case).joinedload(Case.handling_body),
               joinedload(DispatchRequest.city), selectinload(DispatchRequest.days),
               selectinload(DispatchRequest.assignments).joinedload(Assignment.expert))
# What the candidate browser shows about its request.
REQUEST_PAGE = (joinedload(DispatchRequest.case).selectinload(Case.fields),
                joinedload(DispatchRequest.city), selectinload(DispatchRequest.days),
                selectinload(DispatchRequest.assignments).joinedload(Assignment.expert)
                .joinedload(Expert.home_city))


# -- requests ----------------------------------------------------------------------------------

def requests_query(user: User, args: dict) -> Select:
    """The requests of the user's region, highest priority first; the open ones unless a status is
    asked for. Filters: priority, IPC field (by prefix, as rule 3 matches), city, and a window
    of days (a request for written work, without days, fits every window)."""
    query = may.scope_requests(select(DispatchRequest), user).options(*REQUEST_ROW)
    if args.get("status") is not None:
        query = query.where(DispatchRequest.status == args["status"])
    else:
        query = query.where(DispatchRequest.status.in_(OPEN_REQUEST_STATUSES))
    if args.get("priority") is not None:
        query = query.where(DispatchRequest.priority == args["priority"])
    if code := args.get("field"):
        query = query.where(DispatchRequest.case_id.in_(
            select(CaseField.case_id).where(matches_field(CaseField.ipc_code, code))))
    if args.get("city"):
        query = query.where(DispatchRequest.city_code == args["city"])
    if args.get("start") or args.get("end"):
        span = [AttendanceDays.end >= args["start"]] if args.get("start") else []
        span += [AttendanceDays.start <= args["end"]] if args.get("end") else []
        query = query.where(or_(DispatchRequest.days.any(and_(*span)),
                                ~DispatchRequest.days.any()))
    # Urgent evidence preservation first, soonest needed first (docs/calendar.md); then as the
    # solver fills seats, priority 5 first (docs/dispatch-format.md).
    return query.order_by(DispatchRequest.urgent.desc(), DispatchRequest.needed_by.asc(),
                          DispatchRequest.priority.desc(), DispatchRequest.id.desc())


def request_page(request_id: int) -> DispatchRequest:
    """The request with what the candidate browser shows, loaded afresh (after a rollback the
    session's copy is expired, and a template must not load it)."""
    return db.session.scalars(select(DispatchRequest).where(DispatchRequest.id == request_id)
                              .options(*REQUEST_PAGE)
                              .execution_options(populate_existing=True)).one()


def standing(request: DispatchRequest) -> list[Assignment]:
    """Who holds or is proposed for the request's seats (loaded with the row)."""
    return sorted((a for a in request.assignments if a.is_active), key=lambda a: a.id)


# -- experts -----------------------------------------------------------------------------------

def experts_query(user: User, args: dict) -> Select:
    """The experts of the user's region by name, filtered by field (prefix), city and name."""
    search = {key: args[key] for key in ("field", "city", "name") if args.get(key)}
    return may.scope_experts(expert_search.search(search), user) \
        .options(joinedload(Expert.home_city), selectinload(Expert.fields),
                 selectinload(Expert.roles))


def load_of(expert_ids: list[int]) -> dict[int, dict]:
    """{expert id: {"held", "proposed", "active"}}: their assignments that take capacity,
    counted over all requests (the workload rule counts them wherever they serve)."""
    held = func.sum(case((Assignment.status != AssignmentStatus.PROPOSED, 1), else_=0))
    proposed = func.sum(case((Assignment.status == AssignmentStatus.PROPOSED, 1), else_=0))
    rows = db.session.execute(
        select(Assignment.expert_id, held, proposed)
        .where(Assignment.expert_id.in_(expert_ids),
               Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES))
        .group_by(Assignment.expert_id))
    loads = {expert_id: {"held": 0, "proposed": 0, "active": 0} for expert_id in expert_ids}
    for expert_id, held_count, proposed_count in rows:
        loads[expert_id] = {"held": int(held_count), "proposed": int(proposed_count),
                            "active": int(held_count) + int(proposed_count)}
    return loads


def expert_option(expert: Expert) -> dict:
    fields = " ".join(f.ipc_code for f in expert.fields)
    return {"value": str(expert.id),
            "text": f"{expert.name} · {expert.home_city.name_zh} · {fields} · #{expert.id}"}


def expert_options(user: User, text: str) -> list[dict]:
    """The region's experts whose name holds the text, for the "try another expert" picker."""
    if not text:
        return []
    query = experts_query(user, {"name": text}).limit(MAX_OPTIONS)
    return [expert_option(expert) for expert in db.session.scalars(query)]


def chosen_expert_option(user: User, expert_id) -> dict | None:
    """The picker's option for an expert already chosen (a form shown again), if in scope."""
    if not isinstance(expert_id, int):
        return None
    query = experts_query(user, {}).where(Expert.id == expert_id)
    expert = db.session.scalar(query)
    return expert_option(expert) if expert else None


# -- runs ----------------------------------------------------------------------------------------

def run_creators(user: User) -> list[tuple[str, str]]:
    """Who started the runs the user may see, as (id, e-mail): the "who" filter's choices."""
    started = runs_query(user).with_only_columns(SolverRun.created_by_id).order_by(None)
    users = db.session.scalars(select(User).where(User.id.in_(started)).order_by(User.email))
    return [(str(u.id), u.email) for u in users]


def users_by_id(ids) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(wanted)))}


def regions_for(user: User, english: bool) -> list[tuple[str, str]]:
    """The regions the user may run the solver for, as (code, name)."""
    return [(code, name) for code, name in region_choices(english)
            if may.can_act_in_region(user, code)]


def known_regions() -> set[str]:
    return {code for code, _name in region_choices(False)}


# -- cities and requests' cases ------------------------------------------------------------------

def cities_by_code(codes) -> dict[str, City]:
    wanted = {code for code in codes if code}
    if not wanted:
        return {}
    return {c.code: c for c in db.session.scalars(select(City).where(City.code.in_(wanted)))}


def cities_in_scope(user: User, english: bool, keep: str | None = None) -> list[tuple[str, str]]:
    """The cities of the user's region (all for an admin), as (code, name) for a filter or a
    choice; `keep` (a record's current city) is among them wherever it is."""
    query = select(City).order_by(City.jurisdiction_code, City.code)
    if user.region:
        query = query.where(or_(City.jurisdiction_code.in_(may.region_jurisdictions(user.region)),
                                City.code == keep))
    return [(c.code, c.name_en if english else c.name_zh) for c in db.session.scalars(query)]


def appointing_bodies(user: User, english: bool, keep: int | None = None) -> list[tuple[int, str]]:
    """Courts, IP administrations and arbitration institutions that may appoint an expert the
    user manages: those of its region (all for an admin), and `keep` (the current one)."""
    query = (select(Organization).where(Organization.kind.in_(HANDLING_BODY_KINDS))
             .order_by(Organization.city_code, Organization.name))
    if user.region:
        query = query.where(or_(Organization.id.in_(may.bodies_in_region(user.region)),
                                Organization.id == keep))
    return [(o.id, (o.name_en or o.name) if english else o.name)
            for o in db.session.scalars(query)]


def open_flags_of(expert_id: int) -> int:
    """How many open flags the expert's seats carry (the record page says when a change
    raised some)."""
    return db.session.scalar(select(func.count(AssignmentFlag.id))
                             .join(Assignment, Assignment.id == AssignmentFlag.assignment_id)
                             .where(Assignment.expert_id == expert_id,
                                    AssignmentFlag.cleared_at.is_(None)))
