"""Solver runs: what a coordinator asks for, and how a run stands."""

from marshmallow import fields, validate, validates_schema

from registry.models import SolverRunStatus
from registry.schemas.base import Schema
from registry.schemas.common import PLANNED_DAYS, Id, PageArgs, PageSchema, require_order
from registry.services.dispatch import MAX_WEIGHTS
from registry.services.problem_export import RUN_MODES

MAX_TIME_LIMIT_S = 600  # a console run is seconds or minutes, not the solver's hour


class WeightsSchema(Schema):
    fit = fields.Float(validate=validate.Range(0, MAX_WEIGHTS["fit"]),
                       metadata={"description": "value of a better field match"})
    travel_per_km = fields.Float(validate=validate.Range(0, MAX_WEIGHTS["travel_per_km"]),
                                 metadata={"description": "cost of each kilometre travelled"})
    fairness = fields.Float(validate=validate.Range(0, MAX_WEIGHTS["fairness"]),
                            metadata={"description": "cost of uneven workloads"})


class RunModeSchema(Schema):
    mode = fields.Str(load_default="solve", validate=validate.OneOf(RUN_MODES), metadata={
        "description": "solve: search the whole problem; replan: keep the region's current "
                       "proposal where the rules allow and change only what changed since "
                       "(a new request, a decline, an expert newly unavailable)"})


class SolverRunRequestSchema(RunModeSchema):
    region = fields.Str(required=True, validate=validate.Length(1, 16),
                        metadata={"description": "a jurisdiction (SH) or an agreement (YRD)"})
    start = fields.Date(required=True, data_key="from", validate=PLANNED_DAYS)
    end = fields.Date(required=True, data_key="to", validate=PLANNED_DAYS)
    time_limit_s = fields.Float(load_default=None, allow_none=True,
                                validate=validate.Range(1, MAX_TIME_LIMIT_S),
                                metadata={"description": "default 10 s for a solve, 2 s for "
                                          "a re-plan"})
    weights = fields.Nested(WeightsSchema, load_default=dict)

    @validates_schema
    def window_in_order(self, data, **_kwargs):
        require_order(data)


class SolverRunSchema(Schema):
    id = fields.Int()
    region = fields.Str()
    window_from = fields.Date(data_key="from")
    window_to = fields.Date(data_key="to")
    status = fields.Enum(SolverRunStatus, by_value=True)
    parameters = fields.Dict()
    progress = fields.Float(metadata={"description": "share of the time limit used, 0 to 1"})
    figures = fields.Dict(metadata={"description": "the solver's latest report: phase, "
                                    "elapsed_s, seats_filled, filled_priority, objective, "
                                    "bound, gap"})
    metrics = fields.Dict()
    timings = fields.Dict(metadata={"description": "the solver's account of the solve"})
    unfilled = fields.Function(lambda run: (run.plan or {}).get("unfilled", []),
                               metadata={"description": "per request not fully filled: the "
                                         "seats missing and the diagnosis"})
    held_seats_breaking_rules = fields.List(fields.Str())
    error = fields.Str()
    worker = fields.Str()
    attempts = fields.Int()
    created_by_id = fields.Int(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class SolverRunArgs(PageArgs):
    region = fields.Str(validate=validate.Length(1, 16))
    status = fields.Enum(SolverRunStatus, by_value=True)
    created_by_id = Id()


class SolverRunPageSchema(PageSchema):
    items = fields.List(fields.Nested(SolverRunSchema))


class RefusedSchema(Schema):
    assignment_id = fields.Int()
    reason = fields.Str()


class ConfirmSummarySchema(Schema):
    confirmed = fields.List(fields.Int(), metadata={"description": "assignment ids confirmed"})
    refused = fields.List(fields.Nested(RefusedSchema))
