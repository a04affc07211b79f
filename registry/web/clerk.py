"""The court clerk's pages: the body's cases and requests, filing a case, requesting experts.

Every page loads through `services.access`, so a clerk reaches only its own body's cases
(the same check as the API); every form loads through the API's marshmallow schema.
"""

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from registry.extensions import db
from registry.i18n import translate_error
from registry.models import (
    CaseKind,
    CaseStage,
    DomainError,
    ExclusionReason,
    ExpertRole,
    PartyRole,
    RequestStatus,
    Service,
)
from registry.models.base import local_today, utcnow
from registry.schemas.cases import CaseArgs, CaseSchema, RequestArgs, RequestSchema
from registry.schemas.organizations import OrganizationSchema
from registry.services import (
    access,
    case_queries,
    causes,
    organizations,
    reference,
    working_calendar,
)
from registry.services import cases as service
from registry.services import disclosures as disclosure_service
from registry.services import permissions as may
from registry.services.listing import page_of
from registry.web.case_stage_words import case_context as stage_context
from registry.web.forms import Form, filters, search_text, submit
from registry.web.labels import choices, is_english

bp = Blueprint("clerk", __name__, url_prefix="/clerk")


@bp.before_request
@login_required
def clerks_only():
    may.allow(may.uses_clerk_pages(current_user), "these pages are for court clerks")


# -- lists ---------------------------------------------------------------------------------------

@bp.get("/")
def requests():
    args = filters(RequestArgs())
    page = page_of(case_queries.requests_query(current_user, args), args)
    return render_template("clerk/requests.html", page=page, args=args,
                           statuses=choices(RequestStatus), roles=choices(ExpertRole))


@bp.get("/cases")
def cases():
    args = filters(CaseArgs())
    page = page_of(case_queries.cases_query(current_user, args), args)
    return render_template("clerk/cases.html", page=page, args=args, kinds=choices(CaseKind))


# -- a case ----------------------------------------------------------------------------------

def case_form(values=None) -> Form:
    return Form(CaseSchema(), values, lists=("fields",),
                aliases={"handling_body_id": "_form", "city": "_form"})


def case_form_page(form: Form):
    """The case form, with the options already picked (search selects start empty)."""
    rows = form.rows("parties")
    organization_ids = [form.value(f"parties-{i}-{key}") for i in rows
                        for key in ("organization_id", "counsel_id")]
    return render_template(
        "clerk/case_form.html", form=form, kinds=choices(CaseKind), stages=choices(CaseStage),
        causes=causes.cause_choices(is_english()),
        party_roles=choices(PartyRole), body=current_user.body, party_rows=rows,
        chosen_fields=reference.ipc_options(form.values_of("fields")),
        chosen_organizations=organizations.options_by_id(organization_ids),
        chosen_earlier=case_queries.case_number_option(current_user,
                                                       form.value("earlier_stage_id")),
    ), 422 if form.errors else 200


@bp.route("/cases/new", methods=["GET", "POST"])
def new_case():
    if request.method == "GET":
        return case_form_page(case_form())
    form = case_form(request.form)
    case = submit(form, lambda data: service.create_case(data, current_user))
    if case is None:
        return case_form_page(form)
    flash(_("Case %(number)s registered.", number=case.number), "success")
    return redirect(url_for("clerk.case", case_id=case.id))


@bp.post("/cases/check-number")
def check_number():
    """The case number as it is typed: the same validator the filing uses, as a fragment."""
    number = request.form.get("number", "").strip()
    if not number:
        return render_template("clerk/_number_check.html", message=None, ok=False)
    try:
        kind = CaseKind(request.form.get("kind") or CaseKind.CIVIL)
    except ValueError:
        kind = CaseKind.CIVIL
    stage = request.form.get("stage") or None
    try:
        normalised = service.check_case_number(number, kind, current_user.body,
                                               CaseStage(stage) if stage in set(CaseStage)
                                               else None)
    except DomainError as error:
        return render_template("clerk/_number_check.html", message=translate_error(error),
                               ok=False)
    return render_template("clerk/_number_check.html", ok=True,
                           message=_("%(number)s is a valid case number.", number=normalised))


@bp.get("/cases/<int:case_id>")
def case(case_id):
    case = access.case_for(current_user, case_id, load=case_queries.CASE_PAGE)
    return render_template("clerk/case.html", case=case,
                           person_parties=[p for p in case.parties if p.person is not None],
                           requests=sorted(case.requests, key=lambda r: -r.id),
                           urgency={r.id: working_calendar.urgency(r, utcnow())
                                    for r in case.requests},
                           case_disclosures=disclosure_service.for_case(case),
                           **clerk_recusals.case_context(case),
                           **stage_context(case))


# -- a request -----------------------------------------------------------------------------

def request_form(values=None) -> Form:
    return Form(RequestSchema(), values,
                aliases={"expert_id": "exclusions", "case_id": "_form"})


def request_form_page(form: Form, case):
    return render_template(
        "clerk/request_form.html", form=form, case=case,
        roles=causes.roles_offered(case, choices(ExpertRole)),
        services=choices(Service), cities=reference.city_choices(is_english()),
        languages=reference.language_choices(is_english()),
        exclusion_reasons=[(value, text) for value, text in choices(ExclusionReason)
                           if may.may_record_exclusion(current_user, ExclusionReason(value))],
        challengeable=case_queries.experts_known_on_case(case)), \
        422 if form.errors else 200


@bp.route("/cases/<int:case_id>/requests/new", methods=["GET", "POST"])
def new_request(case_id):
    case = access.case_for(current_user, case_id, to_change=True)
    if request.method == "GET":
        return request_form_page(request_form(), case)
    values = request.form.copy()
    values["case_id"] = str(case.id)
    form = request_form(values)
    # The same form sent again (the browser's Back, a second click) files no second request.
    if form.validate() and (twin := service.recent_twin(case, form.data, current_user)):
        flash(_("You filed this same request a moment ago: here it is. Change something "
                "(a note will do) to file another."), "info")
        return redirect(url_for("clerk.request_page", request_id=twin.id))
    created = submit(form, lambda data: service.create_request(data, current_user))
    if created is None:
        return request_form_page(form, case)
    flash(_("Request submitted."), "success")
    if past := [d.start.isoformat() for d in created.days if d.start < local_today()]:
        flash(_("Some attendance days are already past (%(days)s): check the dates.",
                days=", ".join(past)), "warning")
    if working_calendar.request_warnings(created):  # accepted, but said: request.html names them
        flash(_("Attendance falls on a non-working day; see the request below."), "warning")
    return redirect(url_for("clerk.request_page", request_id=created.id))


@bp.get("/requests/<int:request_id>")
def request_page(request_id):
    dispatch_request = access.request_for(current_user, request_id,
                                          load=case_queries.REQUEST_PAGE)
    return render_template("clerk/request.html", req=dispatch_request,
                           history=case_queries.request_history(dispatch_request),
                           assigned=case_queries.assigned_experts(dispatch_request),
                           calendar=working_calendar.marks(dispatch_request, utcnow()),
                           english=is_english())


@bp.route("/requests/<int:request_id>/cancel", methods=["GET", "POST"])
def cancel_request(request_id):
    return end_request(request_id, "clerk/cancel.html", service.cancel_request,
                       RequestStatus.CANCELLED, _("Request cancelled."))


@bp.route("/requests/<int:request_id>/complete", methods=["GET", "POST"])
def complete_request(request_id):
    return end_request(request_id, "clerk/complete.html", service.complete_request,
                       RequestStatus.COMPLETED, _("Work marked as done."),
                       not_yet=_("Only work the experts have accepted can be marked done."))


def end_request(request_id: int, question: str, end, target: RequestStatus, done: str,
                not_yet: str = ""):
    """Ending a request takes a second step: a page that says what will happen, then the
    post. A request that cannot move to `target` is sent back to its page, saying why
    (`not_yet`); the service refuses the post the same way (a 409 page)."""
    dispatch_request = access.request_for(current_user, request_id, to_change=True)
    if request.method == "GET":
        if dispatch_request.has_ended:
            flash(_("This request has already ended."), "info")
        elif not dispatch_request.may_move_to(target):
            flash(not_yet, "info")
        else:
            return render_template(question, req=dispatch_request, coming=[
                d for d in dispatch_request.days if d.end >= local_today()])
        return redirect(url_for("clerk.request_page", request_id=request_id))
    end(dispatch_request, current_user)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("clerk.request_page", request_id=request_id))


# -- search-as-you-type --------------------------------------------------------------------

@bp.get("/search/ipc")
def search_ipc():
    return jsonify(reference.search_ipc_fields(search_text()))


@bp.get("/search/organizations")
def search_organizations():
    return jsonify(organizations.search_options(search_text()))


@bp.get("/search/cases")
def search_cases():
    return jsonify(case_queries.case_number_options(current_user, search_text()))


@bp.post("/organizations")
def create_organization():
    """A party or law firm missing from the registry, created inline as a company."""
    loaded = OrganizationSchema(only=("name", "kind")).load(
        {"name": request.form.get("name", ""), "kind": "company"})
    organization = organizations.find_or_create(loaded, current_user)
    db.session.commit()
    return jsonify(organizations.option(organization)), 201


# Modules whose routes join this blueprint (imported last: they import `bp` from here).
from registry.web import (  # noqa: E402, F401
    clerk_calendar,
    clerk_case_links,
    clerk_persons,
    clerk_recusals,
)
