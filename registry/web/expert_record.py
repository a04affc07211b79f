"""An expert's record as a form, for the expert's profile page and the console's record page.

Each shows only the inputs its user may change (permissions.editable_expert_fields) and loads
them through the API's ExpertUpdateSchema; any other input is dropped.
"""

from flask import request
from flask_babel import gettext as _
from marshmallow import EXCLUDE, fields
from werkzeug.datastructures import MultiDict

from registry.models import Expert
from registry.schemas.experts import ExpertUpdateSchema
from registry.services import experts as expert_service
from registry.services import reference
from registry.web.forms import ROW_INPUT, Form, submit
from registry.web.labels import is_english

# Inputs that may be emptied: no travel limit, no e-mail or phone, no appointing body, an
# appointment term open at either end. The form leaves blanks out, so `cleared` sets None.
CLEARABLE = ("max_travel_km", "email", "phone", "appointing_body_id", "appointed_from",
             "appointed_until")
# The schema's field for each input name (`fields` is the field `fields_`), and the record's
# attribute behind each single-valued input (home_city is the row's home_city_code).
SCHEMA_FIELDS = {field.data_key or name: name
                 for name, field in ExpertUpdateSchema().load_fields.items()}
PLAIN_INPUTS = {field.data_key or name: field.attribute or name
                for name, field in ExpertUpdateSchema().load_fields.items()
                if not isinstance(field, fields.List)}


def record_form(editable: frozenset[str], values: MultiDict) -> Form:
    schema = ExpertUpdateSchema(partial=True, only=sorted(SCHEMA_FIELDS[name] for name in editable),
                                unknown=EXCLUDE)
    return Form(schema, values,
                lists=tuple(name for name in ("languages", "roles") if name in editable),
                row_lists=("fields",) if "fields" in editable else ())


def posted_values() -> MultiDict:
    """The posted inputs, a technical field's row without a code left out whole: its
    proficiency always posts a value, and emptying the code is how a field is removed."""
    values = request.form.copy()
    for name in list(values):
        match = ROW_INPUT.match(name)
        if match and match["list"] == "fields" and \
                not values.get(f"fields-{match['index']}-code", "").strip():
            values.pop(name)
    return values


def record_values(expert: Expert) -> MultiDict:
    """The record as the form shows it before anything is posted."""
    values = MultiDict([("languages", code) for code in expert.language_codes]
                       + [("roles", role) for role in expert.role_names])
    for index, field in enumerate(expert.fields):
        values[f"fields-{index}-code"] = field.ipc_code
        values[f"fields-{index}-proficiency"] = str(field.proficiency)
    for name, attribute in PLAIN_INPUTS.items():
        value = getattr(expert, attribute)
        if value is not None:
            values[name] = shown(value)
    return values


def shown(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(getattr(value, "value", value))


def submit_record(form: Form, editable: frozenset[str], expert: Expert, actor):
    """Save the record through the service; an input posted empty that cannot be emptied
    (the workload cap, the name, the home city, the status) is an error beside it, not
    "unchanged" (the form leaves blanks out)."""
    blank = posted_blank(editable)
    if required := sorted(blank - set(CLEARABLE)):
        form.validate()  # the other inputs' messages too
        for name in required:
            form.errors.setdefault(name, []).append(_("Missing data for required field."))
        return None
    cleared = {PLAIN_INPUTS[name]: None for name in blank}  # as None under their attributes
    return submit(form, lambda data: expert_service.update_expert(expert, data | cleared,
                                                                  actor))


def posted_blank(editable: frozenset[str]) -> set[str]:
    """The single-valued inputs the user may change that were posted empty."""
    return {name for name in editable & PLAIN_INPUTS.keys()
            if name in request.form and not request.form[name].strip()}


def language_choices(expert: Expert) -> list[tuple[str, str]]:
    """The usual languages, and any other the record already holds (so saving keeps it)."""
    usual = reference.language_choices(is_english())
    known = {code for code, _name in usual}
    return usual + [(code, code) for code in expert.language_codes if code not in known]
