"""/api/v1/solver-runs: start a solve as a background job, follow it, cancel it."""

from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.auth import api_user
from registry.extensions import db
from registry.schemas.solver_runs import (
    ConfirmSummarySchema,
    SolverRunArgs,
    SolverRunPageSchema,
    SolverRunRequestSchema,
    SolverRunSchema,
)
from registry.services import assignments
from registry.services import solver_runs as service
from registry.services.listing import page_of

bp = Blueprint("solver_runs", __name__, url_prefix="/api/v1/solver-runs",
               description="Solver runs: a region's open requests solved by a worker, with "
                           "live progress; the plan becomes proposals.")


@bp.route("")
class SolverRunList(MethodView):
    @bp.arguments(SolverRunArgs, location="query")
    @bp.response(200, SolverRunPageSchema)
    def get(self, args):
        """List the runs of your region, newest first (filters: region, status, who)."""
        query = service.runs_query(api_user(), region=args.get("region"),
                                   status=args.get("status"),
                                   created_by_id=args.get("created_by_id"))
        return page_of(query, args)

    @bp.arguments(SolverRunRequestSchema)
    @bp.response(202, SolverRunSchema)
    def post(self, data):
        """Queue a run for a region and date window (coordinators of the region); a worker
        solves it, or re-plans from the current proposal (`mode`). Poll the run for its
        progress and figures."""
        run = service.start_run(api_user(), data["region"], data["start"], data["end"],
                                time_limit_s=data["time_limit_s"], weights=data["weights"],
                                mode=data["mode"])
        db.session.commit()
        return run


@bp.route("/<int:run_id>")
class SolverRunItem(MethodView):
    @bp.response(200, SolverRunSchema)
    def get(self, run_id):
        """Read a run: status, progress, figures, and when done its metrics and unfilled
        requests with their diagnosis."""
        return service.run_for(api_user(), run_id)


@bp.route("/<int:run_id>/cancel")
class SolverRunCancel(MethodView):
    @bp.response(200, SolverRunSchema)
    def post(self, run_id):
        """Cancel a queued or running run; a running solve stops and keeps no plan (409 when
        the run has already ended)."""
        user = api_user()
        run = service.cancel_run(service.run_for(user, run_id), user)
        db.session.commit()
        return run


@bp.route("/<int:run_id>/confirm")
class SolverRunConfirm(MethodView):
    @bp.response(200, ConfirmSummarySchema)
    def post(self, run_id):
        """Confirm every open proposal of the run in one transaction; each is checked against
        today's registry after the ones before it. Says what was confirmed and what was
        refused, and why."""
        user = api_user()
        summary = assignments.confirm_run(service.run_for(user, run_id), user)
        db.session.commit()
        return {"confirmed": [a.id for a in summary["confirmed"]],
                "refused": [{"assignment_id": a.id, "reason": error.message}
                            for a, error in summary["refused"]]}
