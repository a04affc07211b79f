"""Who may see or change what: every access decision of the registry is made here.

Clerks act for one handling body, coordinators for a region (a jurisdiction such as SH or an
agreement such as YRD), experts for their own record, admins for everything.
"""

import time

from flask import current_app
from sqlalchemy import Select, false, select

from registry.extensions import db
from registry.models import (
    STANDING_STATUSES,
    Assignment,
    AssignmentStatus,
    Case,
    City,
    DispatchRequest,
    ExclusionReason,
    Expert,
    Jurisdiction,
    Organization,
    OrganizationKind,
    RecognitionAgreement,
    SolverRun,
    User,
    UserRole,
)
from registry.models.base import DomainError

# Assignments through which an expert and a court know of each other: proposed, working on it,
# or done. A withdrawn, cancelled or declined proposal gives no standing.
STANDING = STANDING_STATUSES


class Forbidden(DomainError):
    """The user is known but acts outside its scope (HTTP 403)."""

    status = 403


# How long a process trusts what it read of the recognition agreements.
REFERENCE_DATA_TTL_S = 10.0


def region_jurisdictions(region: str | None) -> set[str]:
    """The jurisdiction codes a region covers: an agreement's members, or the region itself.

    Asked by nearly every request of a coordinator: answered from memory for a few seconds
    (agreements are reference data, changed only by `flask seed`), per app."""
    if not region:
        return set()
    known = current_app.extensions.setdefault("region_jurisdictions", {})
    expires, members = known.get(region, (0.0, frozenset()))
    if expires < time.monotonic():
        agreement = db.session.get(RecognitionAgreement, region)
        members = frozenset(agreement.member_codes() if agreement else {region})
        known[region] = (time.monotonic() + REFERENCE_DATA_TTL_S, members)
    return set(members)


def case_jurisdiction(case: Case) -> str | None:
    return case.handling_body.jurisdiction_code


def uses_clerk_pages(user: User) -> bool:
    """The clerk's pages act for one handling body; coordinators get a console of their own."""
    return user.role is UserRole.CLERK


def uses_expert_pages(user: User) -> bool:
    return user.role is UserRole.EXPERT


def uses_console_pages(user: User) -> bool:
    """The dispatch console: coordinators for their region, admins for every region."""
    return user.role in (UserRole.COORDINATOR, UserRole.ADMIN)


def allow(condition: bool, message: str = "outside your scope", **params) -> None:
    if not condition:
        raise Forbidden(message, **params)


# -- experts ---------------------------------------------------------------------------------

def can_manage_expert(user: User, expert: Expert) -> bool:
    """Change an expert's profile (roles, fields, appointment, status): coordinators and admins."""
    if user.role is UserRole.ADMIN:
        return True
    return (user.role is UserRole.COORDINATOR
            and expert.jurisdiction_code in region_jurisdictions(user.region))


# What an expert keeps current on its own record. Its roles, fields, home city, appointment
# and status decide where and as what it may serve, so its coordinators change those.
SELF_EDITABLE_EXPERT_FIELDS = frozenset({"languages", "max_concurrent", "max_travel_km",
                                         "email", "phone"})
EXPERT_FIELDS = SELF_EDITABLE_EXPERT_FIELDS | {
    "name", "roles", "fields", "home_city", "appointing_body_id", "appointed_from",
    "appointed_until", "status"}


def editable_expert_fields(user: User, expert: Expert) -> frozenset[str]:
    """The inputs of an expert's record (as the API names them) that the user may change."""
    if can_manage_expert(user, expert):
        return EXPERT_FIELDS
    if user.role is UserRole.EXPERT and user.expert_id == expert.id:
        return SELF_EDITABLE_EXPERT_FIELDS
    return frozenset()


def can_declare_for(user: User, expert: Expert) -> bool:
    """Keep availability, affiliations and conflicts current: the expert itself, or a manager."""
    return (user.role is UserRole.EXPERT and user.expert_id == expert.id) or \
        can_manage_expert(user, expert)


def can_see_identity_numbers(user: User) -> bool:
    """Natural persons' identity numbers, in full: admins only (docs/persons.md); everyone
    else who sees the person sees a mask."""
    return user.role is UserRole.ADMIN


def can_see_private_contacts(user: User, expert: Expert) -> bool:
    return can_declare_for(user, expert)


def can_see_expert(user: User, expert: Expert) -> bool:
    """Clerks see only the experts assigned to their own body's requests (name and fields)."""
    if can_declare_for(user, expert):
        return True
    if user.role is UserRole.CLERK:
        return db.session.scalar(
            select(Assignment.id).join(DispatchRequest).join(Case)
            .where(Assignment.expert_id == expert.id, Case.handling_body_id == user.body_id,
                   Assignment.status.in_(STANDING))
            .limit(1)) is not None
    return False


def scope_experts(query: Select, user: User) -> Select:
    """Restrict an expert search to what the user may list."""
    if user.role is UserRole.ADMIN:
        return query
    if user.role is UserRole.COORDINATOR:
        return query.where(Expert.jurisdiction_code.in_(region_jurisdictions(user.region)))
    if user.role is UserRole.EXPERT:
        return query.where(Expert.id == user.expert_id)
    # A clerk finds the experts standing on its body's requests (can_see_expert), no others.
    return query.where(Expert.id.in_(
        select(Assignment.expert_id).join(DispatchRequest).join(Case)
        .where(Case.handling_body_id == user.body_id, Assignment.status.in_(STANDING))))


# -- cases and requests ----------------------------------------------------------------------

def can_see_case(user: User, case: Case) -> bool:
    if user.role is UserRole.ADMIN:
        return True
    if user.role is UserRole.CLERK:
        return case.handling_body_id == user.body_id
    if user.role is UserRole.COORDINATOR:
        return case_jurisdiction(case) in region_jurisdictions(user.region)
    return False


def files_cases(user: User) -> bool:
    """Clerks, coordinators and admins file cases and requests; experts never do."""
    return user.role is not UserRole.EXPERT


def can_file_for(user: User, body: Organization) -> bool:
    """Create cases and requests for a handling body: its clerks, its region's coordinators."""
    if user.role is UserRole.ADMIN:
        return True
    if user.role is UserRole.CLERK:
        return body.id == user.body_id
    if user.role is UserRole.COORDINATOR:
        return body.jurisdiction_code in region_jurisdictions(user.region)
    return False


def scope_cases(query: Select, user: User) -> Select:
    if user.role is UserRole.ADMIN:
        return query
    if user.role is UserRole.CLERK:
        return query.where(Case.handling_body_id == user.body_id)
    if user.role is UserRole.COORDINATOR:
        return query.where(Case.handling_body_id.in_(bodies_in_region(user.region)))
    raise Forbidden("experts see cases only through their assignments")


def scope_requests(query: Select, user: User) -> Select:
    query = query.join(DispatchRequest.case)
    if user.role is UserRole.EXPERT:
        return query.where(DispatchRequest.id.in_(
            select(Assignment.request_id).where(Assignment.expert_id == user.expert_id,
                                                Assignment.status.in_(STANDING))))
    return scope_cases(query, user)


def can_see_request(user: User, request: DispatchRequest) -> bool:
    """Experts see the requests they stand on, not those they were withdrawn from."""
    if user.role is UserRole.EXPERT:
        return any(a.expert_id == user.expert_id and a.status in STANDING
                   for a in request.assignments)
    return can_see_case(user, request.case)


def bodies_in_region(region: str | None):
    jurisdictions = region_jurisdictions(region)
    if not jurisdictions:
        return select(Organization.id).where(false())
    return (select(Organization.id).join(City, Organization.city_code == City.code)
            .where(City.jurisdiction_code.in_(jurisdictions)))


def may_record_exclusion(user: User, reason: ExclusionReason) -> bool:
    """A clerk records a party's upheld challenge (申请回避), an expert's recusal (自行回避) or
    an earlier role of the expert in the case (witness, appraiser, agent, translator: CPL
    Interp. Art. 43(3)); coordinators and admins also the earlier-stage bar. A decline is
    only ever the expert's own answer (assignments.decline), never recorded on its behalf."""
    if reason is ExclusionReason.DECLINED:
        return False
    if user.role is UserRole.CLERK:
        return reason in (ExclusionReason.CHALLENGE, ExclusionReason.RECUSAL,
                          ExclusionReason.PRIOR_ROLE)
    return user.role in (UserRole.COORDINATOR, UserRole.ADMIN)


# Assignments through which a case has met an expert: proposed, serving, served, or declined.
MET_ON_CASE = STANDING | {AssignmentStatus.DECLINED}


def experts_met_by(case: Case, statuses=MET_ON_CASE) -> Select:
    """The ids of the experts a case has met on any of its requests (with `statuses`:
    STANDING, those standing on one)."""
    return (select(Assignment.expert_id).join(DispatchRequest)
            .where(DispatchRequest.case_id == case.id, Assignment.status.in_(statuses)))


def expert_stands_on_case(expert_id: int, case: Case) -> bool:
    """Whether the expert stands on a request of the case: the experts its clerks know, and
    so the ones they may challenge or exclude (a declined or withdrawn proposal gives no
    standing, so whether one was made is not for them to learn)."""
    return expert_met_case(expert_id, case, STANDING)


def may_exclude_expert(user: User, case: Case, expert: Expert) -> bool:
    """Clerks name only experts standing on their case: nobody else is known to them, so
    nobody else can be challenged."""
    return user.role is not UserRole.CLERK or expert_stands_on_case(expert.id, case)


# -- the recusal lifecycle (docs/recusal.md) -------------------------------------------------

def can_handle_challenges(user: User, case: Case) -> bool:
    """Record a party's challenge and its decisions, and serve the parties' notice: the
    clerks of the body handling the case (the court or institution that decides) and admins.
    Coordinators see them (can_see_case) but do not record them."""
    if user.role is UserRole.ADMIN:
        return True
    return user.role is UserRole.CLERK and case.handling_body_id == user.body_id


def can_recuse(user: User, expert_id: int) -> bool:
    """Recusing from a case (自行回避) is the expert's own act, or an admin's for it."""
    return user.role is UserRole.ADMIN or (
        user.role is UserRole.EXPERT and user.expert_id == expert_id)


def expert_met_case(expert_id: int, case: Case, statuses=MET_ON_CASE) -> bool:
    """Whether the case has met the expert (proposed, serving, served or declined): the cases
    an expert may recuse from (with `statuses`, met in one of those)."""
    return db.session.scalar(experts_met_by(case, statuses)
                             .where(Assignment.expert_id == expert_id).limit(1)) is not None


# -- linking a case to its earlier stage (issue 9 item 5, docs/cases.md) -------------------------

# A court's rank (seeds/courts.csv `level`): an appeal court links the cases of the courts
# ranked below it in its area. The SPC's area is every mainland court; a high or intermediate
# court's is the courts ranked below it in its own province (jurisdiction).
COURT_RANK = {"supreme": 4, "high": 3, "specialised_intermediate": 2, "intermediate": 2,
              "basic": 1}
OUTSIDE_THE_MAINLAND = frozenset({"HK", "MO"})


def court_covers(upper: Organization, lower: Organization) -> bool:
    """Whether `lower` is a court within the appeal court `upper`'s area."""
    upper_rank = COURT_RANK.get(upper.court_level or "", 0)
    lower_rank = COURT_RANK.get(lower.court_level or "", 0)
    if lower.kind is not OrganizationKind.COURT or not 0 < lower_rank < upper_rank:
        return False
    if upper.court_level == "supreme":
        return lower.jurisdiction_code not in OUTSIDE_THE_MAINLAND
    return lower.jurisdiction_code is not None \
        and lower.jurisdiction_code == upper.jurisdiction_code


def can_link_earlier_stage(user: User, body: Organization, earlier: Case) -> bool:
    """Link `earlier` as the earlier stage of a case of `body`: who files for the body, with
    sight of the earlier case: its own body's, a lower court's within an appeal court's area
    (clerks), its region's (coordinators, across the region's provinces), any (admins)."""
    if not can_file_for(user, body):
        return False
    if user.role is UserRole.CLERK:
        return earlier.handling_body_id == user.body_id or \
            court_covers(body, earlier.handling_body)
    return can_see_case(user, earlier)


def scope_linkable_cases(query: Select, user: User) -> Select:
    """The cases a user's body could link as an earlier stage (the picker, suggestions)."""
    if user.role is not UserRole.CLERK:
        return scope_cases(query, user)
    courts = db.session.scalars(select(Organization).where(
        Organization.kind == OrganizationKind.COURT, Organization.court_level.is_not(None)))
    covered = [court.id for court in courts if court_covers(user.body, court)]
    return query.where(Case.handling_body_id.in_([user.body_id, *covered]))


# -- assignments -----------------------------------------------------------------------------

def scope_assignments(query: Select, user: User) -> Select:
    if user.role is UserRole.EXPERT:
        return query.where(Assignment.expert_id == user.expert_id)
    if not sees_every_proposal(user):  # a clerk: only who stands on its requests
        query = query.where(Assignment.status.in_(STANDING))
    return scope_cases(query.join(Assignment.request).join(DispatchRequest.case), user)


def can_see_assignment(user: User, assignment: Assignment) -> bool:
    """An expert sees its own assignments, not its colleagues'; others see their requests'."""
    if user.role is UserRole.EXPERT:
        return can_respond(user, assignment)
    if not sees_every_proposal(user) and assignment.status not in STANDING:
        return False  # a withdrawn, cancelled or declined proposal gives the clerk no sight
    return can_see_request(user, assignment.request)


def sees_who_else_stands(user: User) -> bool:
    """Who else stands on a request and who was excluded: not for experts."""
    return user.role is not UserRole.EXPERT


def reads_dispatch_reasons(user: User) -> bool:
    """The solver's reasons for a seat (fit, distance, the expert's load against its
    capacity): for dispatchers and the expert itself, not for the filing body's clerks."""
    return user.role is not UserRole.CLERK


def sees_every_proposal(user: User) -> bool:
    """Withdrawn, cancelled and declined proposals, and the experts' reasons for declining:
    the dispatchers'. A clerk sees who stands, and the exclusions its body records."""
    return user.role in (UserRole.COORDINATOR, UserRole.ADMIN)


def can_dispatch(user: User, request: DispatchRequest) -> bool:
    """Choosing who serves (confirming a proposal, picking by hand): the region's coordinators."""
    if user.role is UserRole.ADMIN:
        return True
    return (user.role is UserRole.COORDINATOR
            and case_jurisdiction(request.case) in region_jurisdictions(user.region))


def can_confirm(user: User, assignment: Assignment) -> bool:
    return can_dispatch(user, assignment.request)


def can_record_waiver(user: User, request: DispatchRequest) -> bool:
    """The parties' answer to a disclosure (no-objection, written waiver): the filing body's
    clerks, who hear from the parties, and the region's coordinators (services/disclosures)."""
    if user.role is UserRole.CLERK:
        return request.case.handling_body_id == user.body_id
    return can_dispatch(user, request)


def can_respond(user: User, assignment: Assignment) -> bool:
    """Accepting or declining work is the assigned expert's own decision."""
    return user.role is UserRole.EXPERT and user.expert_id == assignment.expert_id


def can_act_in_region(user: User, region: str) -> bool:
    """Run the solver (export a problem, import a plan) for a region."""
    if user.role is UserRole.ADMIN:
        return True
    return (user.role is UserRole.COORDINATOR
            and region_jurisdictions(region) <= region_jurisdictions(user.region))


def scope_solver_runs(query: Select, user: User) -> Select:
    """Solver runs: a coordinator sees the runs of regions within its own, admins all."""
    require_solver_runs(user)
    if user.role is UserRole.ADMIN:
        return query
    codes = [code for (code,) in db.session.execute(
        select(Jurisdiction.code).union(select(RecognitionAgreement.code)))]
    return query.where(SolverRun.region.in_(
        [code for code in codes if can_act_in_region(user, code)]))


def require_solver_runs(user: User) -> None:
    if user.role not in (UserRole.ADMIN, UserRole.COORDINATOR):
        raise Forbidden("only coordinators and admins see solver runs")


def can_see_solver_run(user: User, run) -> bool:
    """One run, as scope_solver_runs decides for a list (after require_solver_runs): the
    same can_act_in_region."""
    return can_act_in_region(user, run.region)


def can_manage_users(user: User) -> bool:
    return user.role is UserRole.ADMIN


def can_manage_organizations(user: User) -> bool:
    return user.role in (UserRole.ADMIN, UserRole.COORDINATOR)
