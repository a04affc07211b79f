"""Field types shared by several resources."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from registry.models.experts import IPC_CODE

IpcCode = fields.Str(validate=validate.Regexp(
    IPC_CODE, error="{input!r} is not an IPC code such as G, G06, G06F or G06F30"))
LanguageCode = fields.Str(validate=validate.Regexp(
    r"^[a-z]{2,3}$", error="{input!r} is not a language code such as zh, en or yue"))


def ipc_code_field(**kwargs):
    return fields.Str(validate=IpcCode.validate, **kwargs)


class DateRangeSchema(Schema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)

    @validates_schema
    def end_not_before_start(self, data, **_kwargs):
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError("end must not be before start", field_name="end")


class PageSchema(Schema):
    page = fields.Int()
    per_page = fields.Int()
    total = fields.Int()
