"""The expert's pages: its assignments, calendar, affiliations and conflicts, and profile.

An expert reaches only its own record (`current_user.expert_id`) and its own assignments,
through the loaders in `services.access` that the API uses too; every form loads through the
API's marshmallow schema, and every write through the API's services.
"""

from datetime import date, datetime

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from registry.extensions import db
from registry.models import (
    ACTIVE_ASSIGNMENT_STATUSES,
    Affiliation,
    DeclaredConflict,
    Expert,
    Unavailability,
)
from registry.models.base import LOCAL_TIME
from registry.schemas.assignments import DeclineSchema, parties_for
from registry.schemas.common import PageArgs
from registry.schemas.experts import (
    AffiliationSchema,
    AffiliationUpdateSchema,
    ConflictSchema,
    UnavailabilitySchema,
)
from registry.services import access, calendar, expert_queries, organizations
from registry.services import assignments as assignment_service
from registry.services import experts as expert_service
from registry.services import permissions as may
from registry.services.listing import page_of
from registry.web import expert_record as record
from registry.web.forms import Form, search_text, seen_version, submit

bp = Blueprint("expert", __name__, url_prefix="/expert")


@bp.before_request
@login_required
def experts_only():
    may.allow(may.uses_expert_pages(current_user), "these pages are for experts")


def own_record() -> Expert:
    return access.expert_for_declarations(current_user, current_user.expert_id)


def today() -> date:
    return datetime.now(LOCAL_TIME).date()


def posted() -> MultiDict | None:
    return request.form if request.method == "POST" else None


def page(template: str, form: Form | None = None, **context):
    """The page, with 422 when its form has errors."""
    return render_template(template, form=form, **context), \
        422 if form is not None and form.errors else 200


# -- assignments ---------------------------------------------------------------------------------

def page_args() -> dict:
    """The page number from the query string; a bad one gives the first page, not an error."""
    wanted = {k: v for k, v in request.args.items() if k in ("page", "per_page")}
    try:
        return PageArgs().load(wanted)
    except ValidationError:
        return PageArgs().load({})


@bp.get("/")
def assignments():
    listing = page_of(expert_queries.assignments_query(current_user), page_args())
    # Whether a case's parties may be shown is the API's decision (confidential cases).
    return page("expert/assignments.html", listing=listing, parties_shown={
        a.id: parties_for(a) is not None for a in listing["items"]},
        recused_cases=expert_recusals.recused_cases())


@bp.post("/assignments/<int:assignment_id>/accept")
def accept_assignment(assignment_id):
    assignment = access.assignment_for(current_user, assignment_id)
    # Another tab may have answered since this page was shown: then nothing is accepted and
    # the refusal (409) names the assignment, as any other refused move does.
    assignment_service.accept(assignment, current_user, seen=seen_version(request.form))
    db.session.commit()
    flash(_("You accepted the work on %(number)s.",
            number=expert_queries.for_page(assignment).request.case.number), "success")
    return redirect(url_for("expert.assignments"))


@bp.route("/assignments/<int:assignment_id>/decline", methods=["GET", "POST"])
def decline_assignment(assignment_id):
    assignment = access.assignment_for(current_user, assignment_id)
    # A stale version is the form's message: its input is hidden, nothing to mark beside.
    form = Form(DeclineSchema(), posted(), aliases={"version": "_form"})
    if request.method == "POST" and submit(form, lambda data: assignment_service.decline(
            assignment, data["reason"], current_user, seen=data["version"],
            whole_case=data["whole_case"])):
        flash(_("You declined the work; the coordinator will find someone else."), "success")
        return redirect(url_for("expert.assignments"))
    return page("expert/decline.html", form, assignment=expert_queries.for_page(assignment))


# -- calendar ------------------------------------------------------------------------------------

def month_key(first: date) -> str:
    return first.strftime("%Y-%m")


def shown_month() -> date:
    return calendar.month_of(request.args.get("month"), today())


def calendar_page(expert: Expert, form: Form):
    first = shown_month()
    start, end = calendar.grid_range(first)
    ranges = expert_queries.unavailability_of(expert)
    work = expert_queries.attendance(expert, ACTIVE_ASSIGNMENT_STATUSES, start, end)
    month = calendar.month_grid(
        first, [calendar.Span(u.start, u.end, u.reason) for u in ranges],
        [calendar.Span(d.start, d.end, a.request.case.number, a.status.value) for a, d in work],
        today())
    return page("expert/calendar.html", form, month=month, ranges=ranges, month_key=month_key)


# The endpoint is "expert.calendar" (base.html links to it); `calendar` names the service.
@bp.route("/calendar", methods=["GET", "POST"], endpoint="calendar")
def calendar_view():
    expert = own_record()
    form = Form(UnavailabilitySchema(), posted())
    if request.method == "POST":
        entry = submit(form, lambda data: expert_service.add_unavailability(
            expert, data, current_user))
        if entry is not None:
            flash(_("Unavailable days saved."), "success")
            if clashes := sorted({a.request.case.number for a, _days in expert_queries.attendance(
                    expert, ACTIVE_ASSIGNMENT_STATUSES, entry.start, entry.end)}):
                flash(_("These days overlap work you hold (%(cases)s): your coordinator now "
                        "sees the seat flagged. Decline it if you cannot attend.",
                        cases="、".join(clashes)), "warning")
            return redirect(url_for("expert.calendar", month=month_key(entry.start)))
    return calendar_page(expert, form)


@bp.post("/calendar/unavailability/<int:entry_id>/remove")
def remove_unavailability(entry_id):
    entry = access.owned(Unavailability, entry_id, own_record())
    expert_service.remove(entry, current_user, "unavailability")
    db.session.commit()
    flash(_("Unavailable days removed."), "success")
    return redirect(url_for("expert.calendar", month=month_key(shown_month())))


# -- affiliations and conflicts ------------------------------------------------------------------

@bp.get("/declarations")
def declarations():
    expert = own_record()
    return page("expert/declarations.html", affiliations=expert_queries.affiliations_of(expert),
                conflicts=expert_queries.conflicts_of(expert))


def organization_form_page(template: str, form: Form):
    """A form with an organization picker, showing the one already picked (if any)."""
    chosen = organizations.options_by_id([form.value("organization_id")])
    return page(template, form, chosen_organizations=chosen)


def declaration_page(schema, declare, template: str, done: str):
    """Declare an affiliation or a conflict: a form with an organization picker."""
    expert = own_record()
    form = Form(schema, posted())
    if request.method == "POST" and submit(form, lambda data: declare(expert, data,
                                                                      current_user)):
        flash(done, "success")
        return redirect(url_for("expert.declarations"))
    return organization_form_page(template, form)


@bp.route("/declarations/affiliations/new", methods=["GET", "POST"])
def new_affiliation():
    return declaration_page(AffiliationSchema(), expert_service.add_affiliation,
                            "expert/affiliation_form.html", _("Affiliation declared."))


@bp.route("/declarations/affiliations/<int:affiliation_id>/end", methods=["GET", "POST"])
def end_affiliation(affiliation_id):
    affiliation = access.owned(Affiliation, affiliation_id, own_record())
    # Ending today is the usual case; an affiliation already ended shows its last day.
    suggested = MultiDict({"end": (affiliation.end or today()).isoformat()})
    form = Form(AffiliationUpdateSchema(), posted() if request.method == "POST" else suggested)
    if request.method == "POST" and submit(form, lambda data: expert_service.end_affiliation(
            affiliation, data["end"], current_user)):
        end = affiliation.end
        flash(_("The affiliation ends on %(day)s.", day=end.isoformat()) if end and end > today()
              else _("Affiliation ended.") if end else _("The affiliation is current again."),
              "success")
        return redirect(url_for("expert.declarations"))
    return page("expert/affiliation_end.html", form, organization=affiliation.organization)


@bp.route("/declarations/conflicts/new", methods=["GET", "POST"])
def new_conflict():
    return declaration_page(ConflictSchema(), expert_service.add_conflict,
                            "expert/conflict_form.html", _("Conflict of interest declared."))


@bp.post("/declarations/conflicts/<int:conflict_id>/withdraw")
def withdraw_conflict(conflict_id):
    conflict = access.owned(DeclaredConflict, conflict_id, own_record())
    expert_service.remove(conflict, current_user, "conflict")
    db.session.commit()
    flash(_("Conflict of interest withdrawn."), "success")
    return redirect(url_for("expert.declarations"))


@bp.get("/search/organizations")
def search_organizations():
    return jsonify(organizations.search_options(search_text()))


# -- profile -------------------------------------------------------------------------------------

def profile_page(expert: Expert, form: Form, editable: frozenset[str]):
    first_visit = not expert.calendar_token
    token = calendar.feed_token(expert, current_user)
    if first_visit:  # the token was made just now: keep it (and its audit event)
        db.session.commit()
    expert = expert_queries.profile_of(expert)
    return page("expert/profile.html", form, expert=expert, editable=editable,
                ipc=expert_queries.ipc_fields([f.ipc_code for f in expert.fields]),
                languages=record.language_choices(expert),
                feed_url=url_for("calendar_feed.feed", token=token, _external=True))


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    expert = own_record()
    editable = may.editable_expert_fields(current_user, expert)
    if request.method == "GET":
        return profile_page(expert, record.record_form(editable, record.record_values(expert)),
                            editable)
    form = record.record_form(editable, request.form)
    if record.submit_record(form, editable, expert, current_user):
        flash(_("Profile saved."), "success")
        return redirect(url_for("expert.profile"))
    return profile_page(expert, form, editable)


@bp.post("/profile/calendar-feed")
def rotate_calendar_feed():
    calendar.rotate_feed_token(own_record(), current_user)
    db.session.commit()
    flash(_("Your calendar feed has a new address; the old one no longer works."), "success")
    return redirect(url_for("expert.profile"))


# Modules whose routes join this blueprint (imported last: they import `bp` from here).
from registry.web import expert_persons, expert_recusals  # noqa: E402, F401
