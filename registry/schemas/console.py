"""The coordinator console's forms and filters, on top of the API's own schemas."""

from marshmallow import ValidationError, fields, pre_load, validate, validates, validates_schema

from registry.i18n import N_
from registry.models import RequestStatus
from registry.schemas.base import Schema
from registry.schemas.common import (
    PLANNED_DAYS,
    Id,
    PageArgs,
    Trimmed,
    WholeNumber,
    ipc_code_field,
)
from registry.schemas.solver_runs import SolverRunRequestSchema, WeightsSchema

WEIGHT_INPUTS = tuple(WeightsSchema().fields)  # fit, travel_per_km, fairness


class RunFormSchema(SolverRunRequestSchema):
    """The Run form: the API's request schema, with the region checked against the known ones
    and the weights posted as flat inputs (weights-fit, weights-travel_per_km, ...)."""

    def __init__(self, regions, **kwargs):
        super().__init__(**kwargs)
        self.regions = frozenset(regions)

    @pre_load
    def nest_weights(self, data, **_kwargs):
        data = dict(data)
        weights = {key: data.pop(f"weights-{key}") for key in WEIGHT_INPUTS
                   if f"weights-{key}" in data}
        if weights:
            data["weights"] = weights
        return data

    @validates("region")
    def known_region(self, value, **_kwargs):
        if value not in self.regions:
            raise ValidationError(N_("No such region: choose a province or an agreement."))

    @validates_schema
    def window_in_order(self, data, **_kwargs):
        # Overrides the API's check, which names the field "end"; the form's input is "to".
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError(N_("The last day must not be before the first."),
                                  field_name="to")


class ConsoleRequestArgs(PageArgs):
    """Filters of the console's request list; without a status, the open requests."""

    status = fields.Enum(RequestStatus, by_value=True)
    priority = WholeNumber(validate=validate.Range(1, 5))
    field = ipc_code_field()
    city = fields.Str(validate=validate.Length(1, 32))
    start = fields.Date(data_key="from", validate=PLANNED_DAYS)
    end = fields.Date(data_key="to", validate=PLANNED_DAYS)


class ConsoleExpertArgs(PageArgs):
    field = ipc_code_field()
    city = fields.Str(validate=validate.Length(1, 32))
    name = Trimmed(validate=validate.Length(1, 100))


class UseExpertSchema(Schema):
    """Put an expert on a request in place of the solver's choice (the candidate browser)."""

    expert_id = Id(required=True)
    replacing_id = Id(load_default=None,
                      metadata={"description": "the proposal it replaces, when seats are full"})
    run = Id(load_default=None, metadata={"description": "the run whose proposal changes"})

