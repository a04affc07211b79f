"""Field types shared by several resources."""

import math
import re
from datetime import date

from marshmallow import ValidationError, fields, validate, validates_schema

from registry.input_guard import MAX_INTEGER_DIGITS
from registry.models.base import DomainError, clean_email, clean_identifier
from registry.models.experts import IPC_CODE
from registry.schemas.base import Schema

INTEGER_TEXT = re.compile(rf"^\s*[+-]?[0-9]{{1,{MAX_INTEGER_DIGITS}}}\s*$")


class WholeNumber(fields.Int):
    """An integer as clients write one: 3, 3.0 or "3"; never 3.9 silently stored as 3, nor
    a string of 5,000 digits (input_guard refuses those in JSON; forms send text)."""

    def _validated(self, value):
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            raise self.make_error("invalid", input=value)
        if isinstance(value, str) and not INTEGER_TEXT.match(value):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class Identifier(fields.Str):
    """Text that identifies something (a case or file number, a body's code, a registry id):
    one spelling, no invisible characters, digits 0-9 only (models/base.clean_identifier).
    `spelling` may add a kind's own conventions (case numbers: full-width brackets)."""

    def __init__(self, spelling=clean_identifier, **kwargs):
        super().__init__(**kwargs)
        self.spelling = spelling

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return self.spelling(text)
        except DomainError as error:
            raise ValidationError(error.message) from None


class WholeNested(fields.Nested):
    """A nested item that is always whole: a partial update (PATCH) replaces a list of these
    entirely, so each item still needs its required fields and gets its defaults."""

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        return super()._deserialize(value, attr, data, partial=False, **kwargs)


class Email(fields.Email):
    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return clean_email(text)
        except DomainError as error:
            raise ValidationError(error.message) from None


IpcCode = Identifier(validate=validate.Regexp(
    IPC_CODE, error="{input!r} is not an IPC code such as G, G06, G06F or G06F30"))
LanguageCode = fields.Str(validate=validate.Regexp(
    r"^[a-z]{2,3}$", error="{input!r} is not a language code such as zh, en or yue"))


# Row ids are 32-bit on PostgreSQL; a bigger number can name no row and would overflow SQLite.
MAX_ID = 2**31 - 1


def parse_id(text) -> int | None:
    """A row id written as text (a form's or a picker's value), or None if it cannot be one."""
    key = str(text or "").strip()
    if not (key.isascii() and key.isdigit() and len(key) <= MAX_INTEGER_DIGITS):
        return None
    number = int(key)
    return number if 0 < number <= MAX_ID else None


def Id(**kwargs) -> fields.Int:  # noqa: N802 (reads like the other field types)
    return WholeNumber(validate=validate.Range(1, MAX_ID), **kwargs)


class Trimmed(fields.Str):
    """Text without the spaces around it (full-width ones too), so that blank means empty."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


def input_names(schema: Schema, data: dict) -> frozenset[str]:
    """The names clients sent for what `schema` loaded into `data` (language_codes -> languages)."""
    sent_as = {field.attribute or name: field.data_key or name
               for name, field in schema.load_fields.items()}
    return frozenset(sent_as[key] for key in data)


def ipc_code_field(**kwargs):
    """An IPC code; typed in lower case it is the same code (g06f is G06F)."""
    return Identifier(spelling=lambda text: clean_identifier(text).upper(),
                      validate=IpcCode.validate, **kwargs)


def require_distinct(items: list[dict], key: str, message: str) -> None:
    """Cross-item check: `key` appears once among the (already field-checked) items."""
    values = [item[key] for item in items if item.get(key) is not None]
    if len(values) != len(set(values)):
        raise ValidationError(message)


def require_order(data: dict, start: str = "start", end: str = "end") -> None:
    """Cross-field check: the end of a span (when given) is not before its start."""
    if data.get(start) and data.get(end) and data[end] < data[start]:
        # Translated by matching it back to its template (i18n.VALIDATION_MESSAGES).
        message = f"{end} must not be before {start}"
        raise ValidationError(message, field_name=end)


# Days people plan: a span outside these years is a typing slip (0001, 9999), and the calendar
# pages cannot show it.
PLANNED_DAYS = validate.Range(date(2000, 1, 1), date(2100, 12, 31))


class DateRangeSchema(Schema):
    start = fields.Date(required=True, validate=PLANNED_DAYS)
    end = fields.Date(required=True, validate=PLANNED_DAYS)

    @validates_schema
    def end_not_before_start(self, data, **_kwargs):
        require_order(data)


MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000  # deeper than any person pages; past it, narrow the search


class PageArgs(Schema):
    page = WholeNumber(load_default=1, validate=validate.Range(1, MAX_PAGE))
    per_page = WholeNumber(load_default=20, validate=validate.Range(1, MAX_PAGE_SIZE))


class PageSchema(Schema):
    page = fields.Int()
    per_page = fields.Int()
    total = fields.Int()
