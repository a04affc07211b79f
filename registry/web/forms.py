"""HTML forms loaded through the API's own marshmallow schemas: one set of rules for both.

A form posts flat inputs; rows of a list are named `parties-0-role`, `days-1-start`. `Form`
turns them into the JSON shape the schema expects, loads it, and on failure keeps what was
typed and a translated message per input, for the page to show beside each field.
"""

import re

from flask import request
from marshmallow import EXCLUDE, Schema, ValidationError
from werkzeug.datastructures import MultiDict

from registry.i18n import translate_error, translate_messages
from registry.models import DomainError

ROW_INPUT = re.compile(r"^(?P<list>\w+)-(?P<index>\d{1,3})-(?P<key>\w+)$")
FORM_LEVEL = "_form"  # messages that belong to no single input


def parse(values: MultiDict, lists: tuple[str, ...] = (),
          row_lists: tuple[str, ...] = ()) -> tuple[dict, dict]:
    """Flat form inputs -> (nested data, where each row came from).

    Empty inputs are left out, so defaults apply, and so are rows left wholly empty (a list
    of rows named in `row_lists` is then empty, not absent: emptied, not left as it was);
    the second value maps each kept row's place in its list back to its input index, so
    that a message lands on the row the person filled in.
    """
    data: dict = {}
    rows: dict[str, dict[int, dict]] = {}
    for name in values:
        if name == "csrf_token":
            continue
        if match := ROW_INPUT.match(name):
            value = values.get(name, "").strip()
            if value:
                row = rows.setdefault(match["list"], {}).setdefault(int(match["index"]), {})
                row[match["key"]] = value
        elif name in lists:
            data[name] = [v.strip() for v in values.getlist(name) if v.strip()]
        elif (value := values.get(name, "").strip()) != "":
            data[name] = value
    for name, by_index in rows.items():
        data[name] = [by_index[i] for i in sorted(by_index)]
    for name in (*lists, *row_lists):
        data.setdefault(name, [])
    return data, {name: sorted(by_index) for name, by_index in rows.items()}


def flatten(messages, prefix: str = "", row_indexes: dict | None = None) -> dict[str, list[str]]:
    """marshmallow's nested messages -> {input name: [messages]}, matching `parse`'s names."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, list):
        return {prefix or FORM_LEVEL: [m for m in messages if isinstance(m, str)]}
    indexes = (row_indexes or {}).get(prefix, [])
    for key, value in messages.items():
        if key == "_schema":
            name = prefix or FORM_LEVEL
        elif isinstance(key, int):
            # A row's own inputs are named list-index-key; a bad list item marks the list.
            index = indexes[key] if key < len(indexes) else key
            name = f"{prefix}-{index}" if isinstance(value, dict) else prefix
        else:
            name = f"{prefix}-{key}" if prefix else str(key)
        for input_name, found in flatten(value, name, row_indexes).items():
            flat.setdefault(input_name, []).extend(found)
    return flat


class Form:
    """What was posted, what the schema made of it, and what is wrong with it."""

    def __init__(self, schema: Schema, values: MultiDict | None = None, *,
                 lists: tuple[str, ...] = (), row_lists: tuple[str, ...] = (),
                 aliases: dict[str, str] | None = None):
        self.schema = schema
        self.values = values if values is not None else MultiDict()
        self.lists = lists
        self.row_lists = row_lists
        self.aliases = aliases or {}  # a domain error's field -> the input that shows it
        self.errors: dict[str, list[str]] = {}
        self.data: dict = {}

    def validate(self) -> bool:
        data, row_indexes = parse(self.values, self.lists, self.row_lists)
        try:
            self.data = self.schema.load(data)
        except ValidationError as error:
            self.errors = flatten(translate_messages(error.messages), row_indexes=row_indexes)
            return False
        return True

    def add_error(self, error: DomainError) -> None:
        name = self.aliases.get(error.field, error.field) or FORM_LEVEL
        self.errors.setdefault(name, []).append(translate_error(error))

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def values_of(self, name: str) -> list[str]:
        return self.values.getlist(name)

    def rows(self, name: str, minimum: int = 1) -> list[int]:
        """Indexes of the posted rows of a list input (at least `minimum` empty ones)."""
        found = {int(m["index"]) for key in self.values if (m := ROW_INPUT.match(key))
                 and m["list"] == name}
        return sorted(found) if found else list(range(minimum))

    def __bool__(self) -> bool:
        return not self.errors


def submit(form: Form, action):
    """Validate, then run `action(form.data)`; a domain error lands on its field.

    Returns the action's result, or None when the form has errors (the caller rolls nothing
    back by hand: the error handler path is not taken, so roll back here).
    """
    from registry.extensions import db

    if not form.validate():
        return None
    try:
        result = action(form.data)
        db.session.commit()
        return result
    except DomainError as error:
        db.session.rollback()
        if error.status in (403, 404):  # a refusal page, not a form message
            raise
        form.add_error(error)
        return None


def seen_version(values: MultiDict) -> int | None:
    """The version of the row that the page showed (its hidden `version` input), loaded by
    the API's MoveSchema: the move is then made only from that version. A bad one is a 422;
    none makes the move from whatever version is current, as in the API."""
    from registry.schemas.assignments import MoveSchema

    return MoveSchema(only=("version",), unknown=EXCLUDE).load(parse(values)[0])["version"]


def filters(schema: Schema) -> dict:
    """A list page's filters from the query string, through the API's own query schema; a bad
    filter is left out (the list shows unfiltered by it), never an error page."""
    raw = {key: value for key, value in request.args.items() if value.strip()}
    try:
        return schema.load(raw)
    except ValidationError as error:
        return schema.load({k: v for k, v in raw.items() if k not in error.messages})


def search_text() -> str:
    """What a search-as-you-type picker sent (`?q=`), trimmed and capped."""
    return request.args.get("q", "").strip()[:100]
