"""Load a row only if the user may see it: the one check per action that pages and API share.

Each loader answers NotFound (404) for a row that does not exist and for one the user may not
see, in the same words, so that another body's ids reveal nothing; Forbidden (403) is for a
row the user sees but may not change. The decisions themselves are made in `permissions`.
"""

from datetime import date
from functools import lru_cache

from sqlalchemy import Select, bindparam, inspect, select
from sqlalchemy.orm import joinedload

from registry.extensions import db
from registry.models import (
    Assignment,
    Case,
    DispatchRequest,
    DomainError,
    Expert,
    User,
)
from registry.schemas.common import MAX_ID
from registry.services import permissions as may
from registry.services import reach
from registry.services.locks import hold


class NotFound(DomainError):
    status = 404


def get_row(model, key, what: str | None = None, load: tuple = ()):
    """The row with this primary key, or NotFound. Ids beyond 32 bits name no row.

    `load` holds loader options, so that a page gets what it shows in one go: a module
    constant, since the statement made for them is kept by their identity (_by_key).
    """
    fits = not isinstance(key, int) or 0 < key <= MAX_ID
    if not fits:
        row = None
    elif load:
        row = db.session.execute(_by_key(model, load), {"key": key}).unique().scalar_one_or_none()
    else:
        row = db.session.get(model, key)
    if row is None:
        raise NotFound("{what} {key} not found", what=what or model.__name__.lower(), key=key)
    return row


@lru_cache(maxsize=64)  # loader options compare by identity: a tuple made per call would
def _by_key(model, load: tuple) -> Select:  # only churn this, never grow it
    """The row of `model` with the primary key `key`, loaded with `load`: built once for each
    (model, options). Building a statement with a tree of loader options, and its cache key,
    cost about as much as running it (docs/load.md)."""
    (key_column,) = inspect(model).primary_key
    return select(model).where(key_column == bindparam("key")).options(*load)


def visible(row, seen: bool, what: str, key):
    """The row when the user may see it; else the NotFound a missing row gets."""
    if not seen:
        raise NotFound("{what} {key} not found", what=what, key=key)
    return row


def case_for(user: User, case_id: int, load: tuple = (), *, to_change: bool = False) -> Case:
    """A case the user may see; with `to_change`, one its body or region may also file for."""
    case = get_row(Case, case_id, "case", load)
    visible(case, may.can_see_case(user, case), "case", case_id)
    if to_change:
        may.allow(may.can_file_for(user, case.handling_body), "you cannot file for that body")
    return case


def request_for(user: User, request_id: int, *, to_change: bool = False,
                load: tuple = ()) -> DispatchRequest:
    """A request the user may see; with `to_change`, one its body or region may also change."""
    request = get_row(DispatchRequest, request_id, "request", load)
    visible(request, may.can_see_request(user, request), "request", request_id)
    if to_change:
        may.allow(may.can_file_for(user, request.case.handling_body),
                  "only the filing body's clerks and its coordinators")
    return request


def assignment_for(user: User, assignment_id: int, load: tuple = ()) -> Assignment:
    """An expert sees its own assignments, not its colleagues'; others see their requests'."""
    assignment = get_row(Assignment, assignment_id, "assignment", load)
    return visible(assignment, may.can_see_assignment(user, assignment), "assignment",
                   assignment_id)


# An expert's record in one query: its roles, fields and languages (each a query of its own
# by default: the model loads them "selectin") joined in; a record has a handful of each.
EXPERT_RECORD = (joinedload(Expert.roles), joinedload(Expert.fields),
                 joinedload(Expert.languages))


def expert_for(user: User, expert_id: int) -> Expert:
    expert = get_row(Expert, expert_id, "expert", EXPERT_RECORD)
    return visible(expert, may.can_see_expert(user, expert), "expert", expert_id)


def expert_for_request(user: User, request: DispatchRequest, expert_id: int) -> Expert:
    """An expert a dispatcher may name on this request: one it sees, or one the request may
    draw on (reach.may_draw_on: recognition agreements, the roster); else 404 as for a
    missing row, so that what the rules would say about it (conflicts, absences) never
    reaches a coordinator of another region."""
    expert = get_row(Expert, expert_id, "expert")
    return visible(expert, may.can_see_expert(user, expert)
                   or reach.may_draw_on(request, expert, date.today()), "expert", expert_id)


def expert_to_manage(user: User, expert_id: int) -> Expert:
    expert = expert_for(user, expert_id)
    may.allow(may.can_manage_expert(user, expert), "only coordinators of its region")
    return expert


def expert_to_edit(user: User, expert_id: int, changing: frozenset[str]) -> Expert:
    """An expert record the user may change in each of the `changing` inputs, or Forbidden.

    The row is held (locks.hold) before it is read: holding it after would make the session
    read it again. A caller refused below has held it for as long as its refusal takes, and
    changed nothing."""
    if 0 < expert_id <= MAX_ID:
        hold(experts=[expert_id])
    expert = expert_for(user, expert_id)
    editable = may.editable_expert_fields(user, expert)
    may.allow(bool(editable), "only the expert itself or coordinators of its region")
    refused = sorted(changing - editable)
    may.allow(not refused, "only the expert's coordinators change {fields}",
              fields=", ".join(refused))
    return expert


def expert_for_declarations(user: User, expert_id: int) -> Expert:
    """Availability, affiliations and conflicts: the expert itself or its coordinators."""
    expert = expert_for(user, expert_id)
    may.allow(may.can_declare_for(user, expert), "only the expert or its coordinators")
    return expert


def owned(model, row_id: int, expert: Expert):
    """A declaration row (unavailability, affiliation, conflict) of this expert, or NotFound."""
    row = get_row(model, row_id)
    if row.expert_id != expert.id:
        raise NotFound("{what} {key} not found for expert {expert}",
                       what=model.__name__.lower(), key=row_id, expert=expert.id)
    return row


# -- what each role is shown ---------------------------------------------------------------

def request_view(user: User):
    """Dispatchers see every proposal on a request; its filing body who stands on it; an
    expert the request it works on, not who else was excluded or declined, and why."""
    from registry.schemas import cases

    if may.sees_every_proposal(user):
        return cases.request_schema
    if may.sees_who_else_stands(user):
        return cases.standing_request_schema
    return cases.request_schema_without_others


def assignment_views(user: User):
    """(schema of one assignment, schema of a page of them) as this user may read them: a
    filing body's clerks do not read the solver's reasons (they tell the expert's load
    against its capacity)."""
    from registry.schemas import assignments

    if may.reads_dispatch_reasons(user):
        return assignments.assignment_schema, assignments.assignment_page_schema
    return assignments.assignment_schema_for_bodies, assignments.assignment_page_schema_for_bodies


def expert_view(user: User, expert: Expert):
    """The whole record for those who may see contacts; name and fields for the others."""
    from registry.schemas.experts import expert_public_schema, expert_schema

    return expert_schema if may.can_see_private_contacts(user, expert) else expert_public_schema
