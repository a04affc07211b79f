"""The base of the registry's schemas: marshmallow's Schema, with a shorter way to dump.

marshmallow dumps each field of each object through four calls (`Field.serialize`,
`get_value`, the schema's `get_attribute`, `utils.get_value`) before the field's own
`_serialize` formats the value. A page of 20 experts went through that ~400 times, and the
dumps were a sixth of an expert search's CPU (docs/load.md). For a field that reads a
plain attribute, this schema reads it itself and hands it to the same `_serialize`: the
same output (tests/test_schema_dump.py compares both on every schema and the demo data) in
about half the time. Anything else (a dict, fields that compute their value or have a
default to dump, a dotted attribute, a schema with its own `get_attribute`) goes the way
marshmallow goes.
"""

import marshmallow
from marshmallow import fields, missing


def _reads_plain_attribute(field: fields.Field, name: str) -> bool:
    kind = type(field)
    return (field._CHECK_ATTRIBUTE
            and kind.serialize is fields.Field.serialize
            and kind.get_value is fields.Field.get_value
            and field.dump_default is missing
            and "." not in (field.attribute or name))


def _read_by_key(obj) -> bool:
    """Whether marshmallow reads obj's fields as obj[name] (a dict, a row). A named tuple
    (an expert's fields in a search: services/experts.FieldRow) answers obj[name] with a
    TypeError, which marshmallow catches before it reads the attribute: the same value as
    reading the attribute at once, at the cost of an exception a field."""
    getitem = getattr(type(obj), "__getitem__", None)
    return getitem is not None and getitem is not tuple.__getitem__


class Schema(marshmallow.Schema):
    def _serialize(self, obj, *, many: bool = False):
        if many and obj is not None:
            return [self._serialize(each) for each in obj]
        plan = self._dump_plan()
        if plan is None or _read_by_key(obj):  # dicts and rows: marshmallow's way
            return super()._serialize(obj)
        result = self.dict_class()
        for key, name, attribute, field in plan:
            if attribute is None:
                value = field.serialize(name, obj, accessor=self.get_attribute)
            else:
                value = getattr(obj, attribute, missing)
                if value is not missing:
                    value = field._serialize(value, name, obj)
            if value is not missing:
                result[key] = value
        return result

    def _dump_plan(self) -> list | None:
        """(key, field name, attribute or None to ask the field, field) for each field
        dumped; None when the schema reads attributes its own way. Made once per instance:
        its dump fields are fixed when it is made (only, exclude)."""
        try:
            return self.__dict__["_plan"]
        except KeyError:
            plan = None
            if type(self).get_attribute is marshmallow.Schema.get_attribute:
                plan = [(field.data_key if field.data_key is not None else name, name,
                         (field.attribute or name) if _reads_plain_attribute(field, name)
                         else None, field)
                        for name, field in self.dump_fields.items()]
            self.__dict__["_plan"] = plan
            return plan
