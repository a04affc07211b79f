"""Every error in two forms: JSON of one shape for the API, a page for the browser.

API errors look like flask-smorest's own: {"code": 422, "status": "Unprocessable Entity",
"message": "...", "errors": {"json": {"field": ["reason"]}}}. A browser gets the same facts
as a page in its interface language. Each handler rolls the transaction back first, so a
refused write leaves nothing behind.
"""

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from registry.extensions import db
from registry.i18n import N_, translate_error, translate_messages
from registry.models import AuditLogIsAppendOnly, DomainError

# The titles of error pages, in the catalog.
STATUS_TITLES = {
    400: N_("Bad request"), 401: N_("Please sign in"), 403: N_("Not allowed"),
    404: N_("Not found"), 405: N_("Method not allowed"), 409: N_("Conflict"),
    413: N_("Too large"), 422: N_("The data is not valid"), 429: N_("Too many requests"),
    500: N_("Something went wrong"),
}
CONFLICT = N_("The change conflicts with existing data; reload and retry.")
INVALID = N_("The data is not valid.")


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, message: str, errors: dict | None = None):
    """The API's JSON error."""
    body = {"code": status, "status": HTTP_STATUS_CODES.get(status, "Error"), "message": message}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    return response


def respond(status: int, message: str, errors: dict | None = None):
    """JSON for the API and programs, a page for people."""
    if wants_json():
        return error_response(status, message, errors)
    title = _(STATUS_TITLES.get(status, "Something went wrong"))
    return make_response(render_template("errors/error.html", status=status, title=title,
                                         message=message, errors=errors), status)


def _nul_paths(value, path: str = "body") -> list[str]:
    """Where a NUL character hides in parsed JSON (keys or strings), as dotted paths."""
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    items = value.items() if isinstance(value, dict) else \
        enumerate(value) if isinstance(value, list) else ()
    return [found for key, item in items
            for found in _nul_paths(str(key), path) + _nul_paths(item, f"{path}.{key}")]


def refuse_nul_characters():
    """PostgreSQL text cannot hold NUL; no name or number needs one. Refuse it up front, in the
    query string, a form or a JSON body, on pages and API alike."""
    where = [f"query.{key}" for key, value in request.args.items(multi=True)
             if "\x00" in key or "\x00" in value]
    where += [f"form.{key}" for key, value in request.form.items(multi=True)
              if "\x00" in key or "\x00" in value]
    if request.is_json:
        where += _nul_paths(request.get_json(silent=True))
    if "\x00" in request.path:
        where.append("path")
    if where:
        message = _("Text may not contain NUL characters.")
        return respond(422, message, {"json": {w: [_("contains a NUL character")]
                                               for w in where}})
    return None


def register_error_handlers(app: Flask) -> None:
    app.before_request(refuse_nul_characters)

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        message = translate_error(error)
        return respond(error.status, message,
                       {"json": {error.field: [message]}} if error.field else None)

    @app.errorhandler(ValidationError)
    def validation_error(error: ValidationError):
        db.session.rollback()
        return respond(422, _(INVALID), {"json": translate_messages(error.messages)})

    @app.errorhandler(IntegrityError)
    def integrity_error(error: IntegrityError):
        # Reached only when two writers race past our own checks: report a conflict.
        db.session.rollback()
        return respond(409, _(CONFLICT))

    @app.errorhandler(AuditLogIsAppendOnly)
    def audit_append_only(error):
        db.session.rollback()
        return respond(409, translate_error(error))

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError):
        return respond(400, _("The form has expired or came from another site. Reload the page "
                              "and send it again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        db.session.rollback()
        status = error.code or 500
        messages = getattr(error, "data", {}).get("messages")
        errors = translate_messages(messages) if isinstance(messages, dict) else None
        # People get the page's title in their language; programs get the message given to
        # flask-smorest's abort(), else Werkzeug's description.
        given = getattr(error, "data", {}).get("message")
        description = (given or error.description or "") if wants_json() else ""
        response = respond(status, description, errors)
        if status == 405 and getattr(error, "valid_methods", None):
            response.headers["Allow"] = ", ".join(error.valid_methods)
        if status == 401 and wants_json():
            response.headers["WWW-Authenticate"] = 'Bearer realm="registry"'
        return response

    @app.errorhandler(500)
    def server_error(_error):
        db.session.rollback()
        return respond(500, _("The server failed; the error was logged. Please try again."))
