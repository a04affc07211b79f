"""The coordinator console: the region's requests and experts, solver runs with live progress,
the proposal of a run with its reasons in words, and the choices a coordinator makes on it.

Scoped like the API: a coordinator sees its own region (another region's run is missing, its
requests and assignments are refused), an admin everything. Forms load through the API's
schemas (schemas/console.py builds on them); every change is a POST with its CSRF token.
"""

from datetime import date, timedelta

from flask import (
    Blueprint,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from marshmallow import Schema, fields, validate
from werkzeug.datastructures import MultiDict

from registry.extensions import db
from registry.i18n import translate_error
from registry.models import (
    Assignment,
    AssignmentStatus,
    DomainError,
    RequestStatus,
    SolverRunStatus,
)
from registry.models.base import utcnow
from registry.schemas.common import MAX_ID, MAX_PAGE, Id, WholeNumber, parse_id
from registry.schemas.console import (
    WEIGHT_INPUTS,
    ConsoleExpertArgs,
    ConsoleRequestArgs,
    RunFormSchema,
    UseExpertSchema,
)
from registry.schemas.solver_runs import RunModeSchema, SolverRunArgs
from registry.services import (
    access,
    console_charts,
    console_queries,
    dispatch,
    proposals,
    solver_runs,
    working_calendar,
)
from registry.services import assignments as assignment_service
from registry.services import disclosures as disclosure_service
from registry.services import permissions as may
from registry.services.access import NotFound
from registry.services.listing import page_of
from registry.services.problem_export import SETTINGS
from registry.web import proposal_words
from registry.web.forms import Form, filters, search_text, seen_version, submit
from registry.web.labels import choices, is_english

bp = Blueprint("coordinator", __name__, url_prefix="/console")

S = SolverRunStatus
DEFAULT_WINDOW_DAYS = 90
CANDIDATES_SHOWN = 10
DEFAULT_TIME_LIMIT_S = SETTINGS["time_limit_s"]  # what a run without a limit gets


@bp.before_request
@login_required
def coordinators_only():
    may.allow(may.uses_console_pages(current_user), "these pages are for regional coordinators")


@bp.context_processor
def words():
    """The console's words for the solver's phases, rules and facts (web/proposal_words.py)."""
    names = ("phase_name", "rule_name", "seat_reasons", "diagnosis_lines", "last_straw",
             "clash_words", "empty_seats")
    return {name: getattr(proposal_words, name) for name in names}


# -- the region: requests and experts ------------------------------------------------------------

@bp.get("/")
def requests():
    args = filters(ConsoleRequestArgs())
    page = page_of(console_queries.requests_query(current_user, args), args)
    return render_template(
        "coordinator/requests.html", page=page, args=args, statuses=choices(RequestStatus),
        cities=console_queries.cities_in_scope(current_user, is_english()),
        standing={r.id: console_queries.standing(r) for r in page["items"]},
        # Urgency (countdown) and attendance on non-working days, per request.
        calendar={r.id: working_calendar.marks(r, utcnow()) for r in page["items"]},
        english=is_english(),
        # Where experts are short: the region's demand and supply per city and field.
        supply=console_charts.supply_demand(current_user.region) if current_user.region
        else None)


@bp.get("/experts")
def experts():
    args = filters(ConsoleExpertArgs())
    page = page_of(console_queries.experts_query(current_user, args), args)
    return render_template(
        "coordinator/experts.html", page=page, args=args,
        loads=console_queries.load_of([e.id for e in page["items"]]),
        cities=console_queries.cities_in_scope(current_user, is_english()))


@bp.get("/search/experts")
def search_experts():
    return jsonify(console_queries.expert_options(current_user, search_text()))


# -- runs: history and the Run form ------------------------------------------------------------

def run_form(values=None) -> Form:
    regions = console_queries.known_regions()
    return Form(RunFormSchema(regions), values,
                aliases={"start": "from", "end": "to", "problem": "_form", "plan": "_form"})


def default_run_values() -> MultiDict:
    today = date.today()
    values = {"region": current_user.region or "", "from": today.isoformat(),
              "to": (today + timedelta(days=DEFAULT_WINDOW_DAYS)).isoformat(),
              "time_limit_s": str(DEFAULT_TIME_LIMIT_S), "mode": "solve"}
    values.update({f"weights-{key}": str(dispatch.DEFAULT_WEIGHTS[key]) for key in WEIGHT_INPUTS})
    return MultiDict(values)


def runs_page(form: Form):
    args = filters(SolverRunArgs())
    query = solver_runs.runs_query(current_user, region=args.get("region"),
                                   status=args.get("status"),
                                   created_by_id=args.get("created_by_id"))
    page = page_of(query, args)
    return render_template(
        "coordinator/runs.html", page=page, args=args, form=form,
        statuses=choices(SolverRunStatus), creators=console_queries.run_creators(current_user),
        users=console_queries.users_by_id(r.created_by_id for r in page["items"]),
        regions=console_queries.regions_for(current_user, is_english()),
        default_weights=dispatch.DEFAULT_WEIGHTS, weight_inputs=WEIGHT_INPUTS,
        modes=[(mode, str(words)) for mode, words in proposal_words.RUN_MODES.items()]), \
        422 if form.errors else 200


@bp.get("/runs")
def runs():
    return runs_page(run_form(default_run_values()))


@bp.post("/runs")
def start_run():
    form = run_form(request.form)
    run = submit(form, lambda data: solver_runs.start_run(
        current_user, data["region"], data["start"], data["end"],
        time_limit_s=data["time_limit_s"], weights=data["weights"], mode=data["mode"]))
    if run is None:
        return runs_page(form)
    flash(_("Run %(id)s queued: a worker solves it now.", id=run.id), "success")
    return redirect(url_for("coordinator.run", run_id=run.id))


# -- one run: progress, proposal, and what the coordinator does with it ------------------------

class ProposalArgs(Schema):
    """Which of a done run's requests its page lists: ?show=attention|all, ?page=, and
    ?request= to land on the page holding that request (#request-<id> anchors need it)."""

    show = fields.Str(validate=validate.OneOf(proposals.SHOW))
    page = WholeNumber(load_default=1, validate=validate.Range(1, MAX_PAGE))
    request = Id()


@bp.get("/runs/<int:run_id>")
def run(run_id):
    run = solver_runs.run_for(current_user, run_id)
    context = {"run": run, "default_weights": dispatch.DEFAULT_WEIGHTS,
               "creator": console_queries.users_by_id([run.created_by_id])
               .get(run.created_by_id),
               "mode": proposal_words.RUN_MODES[run.parameters.get("mode", "solve")],
               # A re-plan with no proposal to keep solved the window whole.
               "solved_whole": run.parameters.get("mode") == "replan"
               and run.status is S.DONE and not (run.timings or {}).get("replan")}
    if run.status is S.DONE:
        context.update(proposal_context(run))
    return render_template("coordinator/run.html", **context)


def proposal_context(run) -> dict:
    """A done run's page: one page of its requests, the figures, map and chart of all."""
    args = filters(ProposalArgs())
    view = proposals.proposal_view(run, args.get("show"), args["page"], args.get("request"))
    say = proposal_words.Phrases()
    return {"view": view, "headline": proposal_words.headline_rows(view.headline), "say": say,
            "words": proposal_words.proposal_words(say),
            "urls": {"confirm": row_url("coordinator.confirm_assignment", "assignment_id"),
                     "candidates": row_url("coordinator.candidates", "request_id", run=run.id)},
            "disclosures": disclosure_service.for_assignments(
                seat.assignment for item in view.requests for seat in item.seats),
            "map_data": console_charts.requests_map(run.region, view.request_ids),
            "load_data": console_charts.load_chart(
                console_charts.experts_with_load(run.region))}


def row_url(endpoint: str, key: str, **values) -> str:
    """The endpoint's URL with `{key}` where each row's id goes (url_for once for a page of
    rows, not once a row: urls.confirm.format(assignment_id=a.id) in the template)."""
    slot = MAX_ID + 1  # no row has this id, so no other part of the URL holds it
    return url_for(endpoint, **{key: slot}, **values).replace(str(slot), f"{{{key}}}")


@bp.get("/runs/<int:run_id>/progress")
def run_progress(run_id):
    """The live panel, polled every second while the run is queued or running; once the run
    has ended, the last answer asks the browser to load the whole page again."""
    run = solver_runs.run_for(current_user, run_id)
    response = make_response(render_template("coordinator/_progress.html", run=run))
    if run.is_finished:
        response.headers["HX-Refresh"] = "true"
    return response


@bp.post("/runs/<int:run_id>/cancel")
def cancel_run(run_id):
    run = solver_runs.run_for(current_user, run_id)
    try:
        solver_runs.cancel_run(run, current_user)
        db.session.commit()
        flash(_("Run %(id)s cancelled.", id=run.id), "success")
    except DomainError as error:
        db.session.rollback()
        if error.status in (403, 404):
            raise
        flash(translate_error(error), "error")
    return redirect(url_for("coordinator.run", run_id=run_id))


@bp.post("/runs/<int:run_id>/again")
def run_again(run_id):
    """A new run like this one: solved again whole, or re-planned from the current proposal
    (the posted `mode`)."""
    previous = solver_runs.run_for(current_user, run_id)
    mode = RunModeSchema().load({"mode": request.form.get("mode", "solve")})["mode"]
    run = solver_runs.run_again(current_user, previous, mode)
    db.session.commit()
    if mode == "replan":
        flash(_("Run %(id)s queued: it keeps the current proposal and changes only what "
                "changed since run %(previous)s.", id=run.id, previous=previous.id), "success")
    else:
        flash(_("Run %(id)s queued with the parameters of run %(previous)s.", id=run.id,
                previous=previous.id), "success")
    return redirect(url_for("coordinator.run", run_id=run.id))


@bp.post("/runs/<int:run_id>/confirm")
def confirm_run(run_id):
    """Confirm all: what held is confirmed, what no longer holds is said, rule by rule."""
    run = solver_runs.run_for(current_user, run_id)
    outcome = assignment_service.confirm_run(run, current_user)
    refusals = [_("%(expert)s on request %(request)s not confirmed: %(reason)s",
                  expert=assignment.expert.name, request=assignment.request_id,
                  reason=translate_error(error)) for assignment, error in outcome["refused"]]
    db.session.commit()
    flash(ngettext("%(num)d proposal confirmed.", "%(num)d proposals confirmed.",
                   len(outcome["confirmed"])), "success")
    for refusal in refusals:
        flash(refusal, "error")
    return redirect(url_for("coordinator.run", run_id=run_id))


@bp.post("/assignments/<int:assignment_id>/confirm")
def confirm_assignment(assignment_id):
    assignment = access.assignment_for(current_user, assignment_id)
    back = back_to(assignment)
    try:
        assignment_service.confirm(assignment, current_user, seen=seen_version(request.form))
        done = _("%(expert)s confirmed on request %(request)s.", expert=assignment.expert.name,
                 request=assignment.request_id)
        db.session.commit()
        flash(done, "success")
    except DomainError as error:
        db.session.rollback()
        if error.status in (403, 404):
            raise
        flash(_("Not confirmed: %(reason)s", reason=translate_error(error)), "error")
    return redirect(back)


def back_to(assignment: Assignment) -> str:
    """The run page the post came from (its hidden `run` input), else the request's run, at
    the request (on its page, in the list the post came from: its hidden `show` input)."""
    run_id = parse_id(request.form.get("run")) or assignment.solver_run_id
    if run_id:
        return run_at(run_id, assignment.request_id, request.form.get("show"))
    return url_for("coordinator.candidates", request_id=assignment.request_id)


def run_at(run_id: int, request_id: int, show: str | None = None) -> str:
    """A run's page, at one of its requests (the page of the run that holds it)."""
    return url_for("coordinator.run", run_id=run_id, request=request_id,
                   show=show if show in proposals.SHOW else None,
                   _anchor=f"request-{request_id}")


# -- the candidate browser ---------------------------------------------------------------------

def request_to_dispatch(request_id: int):
    dispatch_request = access.request_for(current_user, request_id)
    may.allow(may.can_dispatch(current_user, dispatch_request),
              "only coordinators of the case's region")
    return dispatch_request


def run_from(value):
    """The run named by ?run= or a hidden input, if the user may see it (else 404)."""
    if not value:
        return None
    run_id = parse_id(value)
    if run_id is None:
        raise NotFound("no solver run {run_id}", run_id=value)
    return solver_runs.run_for(current_user, run_id)


def candidates_page(request_id: int, run, form: Form):
    """The candidate browser; loads its request afresh (a refused choice rolled back)."""
    dispatch_request = console_queries.request_page(request_id)
    standing = console_queries.standing(dispatch_request)
    proposed = [a for a in standing if a.status is AssignmentStatus.PROPOSED]
    found = dispatch.candidates(dispatch_request, run=run, limit=CANDIDATES_SHOWN)
    places = {(c.facts or {}).get(key) for c in found for key in ("from_city", "to_city")}
    return render_template(
        "coordinator/candidates.html", req=dispatch_request, run=run, form=form,
        candidates=found, cities=console_queries.cities_by_code(places),
        standing=standing, replaceable=proposed,
        seats_full=len(standing) >= dispatch_request.seats,
        disclosed=disclosure_service.for_candidates(
            dispatch_request, [c.expert for c in found] + [a.expert for a in standing]),
        chosen=console_queries.chosen_expert_option(current_user,
                                                    parse_id(form.value("expert_id")))), \
        422 if form.errors else 200


@bp.get("/requests/<int:request_id>/candidates")
def candidates(request_id):
    request_to_dispatch(request_id)
    return candidates_page(request_id, run_from(request.args.get("run")),
                           Form(UseExpertSchema()))


def replaced(dispatch_request, assignment_id: int | None) -> Assignment | None:
    """The proposal a new expert replaces: one on this request, or none at all."""
    if assignment_id is None:
        return None
    found = next((a for a in dispatch_request.assignments if a.id == assignment_id), None)
    if found is None:
        raise DomainError("only a proposal on this request can be replaced",
                          field="replacing_id")
    return found


@bp.post("/requests/<int:request_id>/use")
def use_expert(request_id):
    """Use this expert (a candidate, or one picked by name) in place of the solver's choice;
    when a rule forbids it, the page says which and nothing changes."""
    dispatch_request = request_to_dispatch(request_id)
    run = run_from(request.form.get("run"))
    form = Form(UseExpertSchema(), request.form, aliases={"request_id": "_form"})

    def use(data):
        expert = access.expert_for_request(current_user, dispatch_request, data["expert_id"])
        return assignment_service.use_expert(
            dispatch_request, expert, current_user, run=run,
            replacing=replaced(dispatch_request, data["replacing_id"]))

    assignment = submit(form, use)
    if assignment is None:
        return candidates_page(request_id, run_from(request.form.get("run")), form)
    flash(_("%(expert)s is now proposed on request %(request)s.",
            expert=assignment.expert.name, request=dispatch_request.id), "success")
    if run is not None:
        return redirect(run_at(run.id, dispatch_request.id))
    return redirect(url_for("coordinator.candidates", request_id=dispatch_request.id))


# Modules whose routes join this blueprint (imported last: they import `bp` from here);
# disclosures registers the clerk's routes too.
from registry.web import (  # noqa: E402, F401
    coordinator_flags,
    coordinator_panels,
    coordinator_persons,
    coordinator_records,
    disclosures,
)
