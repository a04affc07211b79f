"""Hostile input stopped at the door, before any view, schema or query sees it.

Two hooks (registered by errors.register_error_handlers):

- `refuse_bad_headers_and_large_bodies` runs first of all, before CSRF and authentication,
  and reads no body: a control character in a header or in Basic credentials is a 400, and a
  body announced larger than allowed is a 413. It also lowers the request's read limit, so a
  chunked body without Content-Length is cut off at the same size while it is read.
- `refuse_unsafe_text` runs after authentication (an anonymous caller never gets its body
  read): it parses a JSON body once, safely, and refuses text and numbers no field can hold,
  in the body, the query string and a form alike, with 422 naming where.

Every limit is named once, here; docs/hostile-input.md lists them.
"""

import json
import math
import re

from flask import Flask, current_app, request
from flask_babel import gettext as _

from registry.i18n import N_, fill

MAX_JSON_DEPTH = 32  # our deepest document (a case with parties) nests 3 levels
MAX_INTEGER_DIGITS = 30  # ids are 32-bit; 30 digits leaves room for any future counter
MAX_REPORTED = 10  # problems named in one answer: enough to fix, too few to amplify

# C0 and C1 controls and DEL, but tab, line feed and carriage return (a note's lines) pass.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# In a header (Latin-1 text) C1 bytes may be a client's raw UTF-8: refuse C0 and DEL only.
HEADER_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
MULTIPART = "multipart/form-data"

# Messages: a sentence for the answer, a short reason for each place named.
CONTROL_MESSAGE = N_("Text may not contain NUL or other control characters.")
CONTROL_REASON = N_("contains a control character")
SURROGATE_MESSAGE = N_("Text must be valid Unicode: a lone surrogate such as \\ud800 is not "
                       "a character.")
SURROGATE_REASON = N_("contains a lone surrogate")
LONG_INTEGER_MESSAGE = N_("Integers may have at most {digits} digits.")
LONG_INTEGER_REASON = N_("an integer longer than {digits} digits")
NOT_FINITE_MESSAGE = N_("Numbers must be finite: NaN and Infinity are not JSON.")
NOT_FINITE_REASON = N_("not a finite number")
TOO_DEEP_MESSAGE = N_("JSON may nest at most {depth} levels.")
TOO_DEEP_REASON = N_("nested deeper than {depth} levels")
NOT_JSON_MESSAGE = N_("The body is not valid JSON.")
BAD_HEADER_MESSAGE = N_("A request header contains a control character.")
TOO_LARGE_MESSAGE = N_("The body is larger than {limit} bytes.")

LIMITS = {"digits": MAX_INTEGER_DIGITS, "depth": MAX_JSON_DEPTH}


def register(app: Flask) -> None:
    # First of all hooks: before CSRF reads a form and before authentication queries.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_bad_headers_and_large_bodies)
    # Registered after the API's authentication hook, so it runs after it.
    app.before_request(refuse_unsafe_text)


def _respond(status: int, template: str, errors: dict | None = None, **params):
    from registry.errors import respond

    return respond(status, fill(_(template), params), errors)


# -- headers and sizes: nothing is read -----------------------------------------------------------

def body_limit() -> int:
    """Every body but a multipart upload (the expert spreadsheet) is held to the JSON limit."""
    if request.mimetype == MULTIPART:
        return current_app.config["MAX_CONTENT_LENGTH"]
    return current_app.config["JSON_MAX_BYTES"]


def _header_is_unsafe() -> bool:
    if any(HEADER_CONTROL.search(name) or HEADER_CONTROL.search(value)
           for name, value in request.headers.items()):
        return True
    credentials = request.authorization
    return bool(credentials and credentials.type == "basic" and
                CONTROL.search(f"{credentials.username or ''}{credentials.password or ''}"))


def refuse_bad_headers_and_large_bodies():
    if _header_is_unsafe():
        return _respond(400, BAD_HEADER_MESSAGE)
    limit = body_limit()
    # Werkzeug stops a read past this limit with a 413, Content-Length or not (chunked).
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        return _respond(413, TOO_LARGE_MESSAGE, limit=limit)
    return None


# -- text and numbers: the body is read once, after authentication -------------------------------

class Refused:
    """What the JSON parser puts where a number cannot be accepted; the walk reports it."""

    def __init__(self, reason: str):
        self.reason = reason


def _integer(text: str):
    digits = len(text.lstrip("-"))
    # Checked before int(): converting 5,000 digits is the cost we refuse to pay.
    return Refused(LONG_INTEGER_REASON) if digits > MAX_INTEGER_DIGITS else int(text)


def _decimal(text: str):
    value = float(text)
    return value if math.isfinite(value) else Refused(NOT_FINITE_REASON)  # 1e999 is inf


DECODER = json.JSONDecoder(parse_int=_integer, parse_float=_decimal,
                           parse_constant=lambda _name: Refused(NOT_FINITE_REASON))

REASON_MESSAGES = {CONTROL_REASON: CONTROL_MESSAGE, SURROGATE_REASON: SURROGATE_MESSAGE,
                   LONG_INTEGER_REASON: LONG_INTEGER_MESSAGE,
                   NOT_FINITE_REASON: NOT_FINITE_MESSAGE, TOO_DEEP_REASON: TOO_DEEP_MESSAGE}


def text_problem(text: str) -> str | None:
    """Why this text cannot be stored, or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE_REASON
    return CONTROL_REASON if CONTROL.search(text) else None


def json_problems(document) -> list[tuple[str, str]]:
    """(where, reason) for each unacceptable place in a parsed document, without recursion."""
    problems, pending = [], [("", document, 1)]
    while pending and len(problems) < MAX_REPORTED:
        path, value, depth = pending.pop()
        where = path or "_schema"
        if isinstance(value, Refused):
            problems.append((where, value.reason))
        elif isinstance(value, str):
            if reason := text_problem(value):
                problems.append((where, reason))
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                problems.append((where, TOO_DEEP_REASON))
                continue
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                name = str(key).encode("utf-8", "backslashreplace").decode()  # answerable
                child = f"{path}.{name}" if path else name
                if isinstance(key, str) and (reason := text_problem(key)):
                    problems.append((child, reason))
                pending.append((child, item, depth + 1))
    return problems


def _body_problems() -> tuple[int, list[tuple[str, str]]] | None:
    data = request.get_data(cache=True)  # bounded by the limit set above
    if not data.strip():
        return None  # no body: the schema says whether one was required
    try:
        document = DECODER.decode(data.decode("utf-8"))
    except RecursionError:
        return 422, [("_schema", TOO_DEEP_REASON)]
    except ValueError:  # UnicodeDecodeError and JSONDecodeError alike
        return 400, []
    return 422, json_problems(document)


def _query_and_form_problems() -> dict[str, list[tuple[str, str]]]:
    """{location: [(name, reason)]} for the query string, a form and the path."""
    found = {}
    for location, values in (("query", request.args), ("form", request.form)):
        for key, value in values.items(multi=True):
            # Over-long integers in a query are text until a field reads them: WholeNumber
            # and parse_id refuse them there (a page's filter may ignore them instead).
            if reason := text_problem(key) or text_problem(value):
                name = key.encode("utf-8", "backslashreplace").decode()
                found.setdefault(location, []).append((name, reason))
    if CONTROL.search(request.path):
        found["path"] = [("path", CONTROL_REASON)]
    return found


def _refusal(found: dict[str, list[tuple[str, str]]]):
    """422 naming each place, marshmallow's way: {"json": {"parties.0.role": [reason]}}."""
    errors = {location: {where: [fill(_(reason), LIMITS)] for where, reason in places}
              for location, places in found.items()}
    first_reason = next(iter(found.values()))[0][1]
    return _respond(422, REASON_MESSAGES[first_reason], errors, **LIMITS)


def refuse_unsafe_text():
    if found := _query_and_form_problems():
        return _refusal(found)
    if request.is_json and (parsed := _body_problems()):
        status, problems = parsed
        if status == 400:
            return _respond(400, NOT_JSON_MESSAGE)
        if problems:
            return _refusal({"json": problems})
    return None
