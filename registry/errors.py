"""Every error in two forms: JSON of one shape for the API, a page for the browser.

API errors look like flask-smorest's own: {"code": 422, "status": "Unprocessable Entity",
"message": "...", "errors": {"json": {"field": ["reason"]}}}. A browser gets the same facts
as a page in its interface language. Each handler rolls the transaction back first, so a
refused write leaves nothing behind.
"""

import psycopg
from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from sqlalchemy.exc import DisconnectionError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from registry import input_guard
from registry.extensions import db, login_manager
from registry.i18n import N_, translate_error, translate_messages
from registry.models import AuditLogIsAppendOnly, DomainError

# The titles of error pages, in the catalog.
STATUS_TITLES = {
    400: N_("Bad request"), 401: N_("Please sign in"), 403: N_("Not allowed"),
    404: N_("Not found"), 405: N_("Method not allowed"), 409: N_("Conflict"),
    413: N_("Too large"), 422: N_("The data is not valid"), 429: N_("Too many requests"),
    500: N_("Something went wrong"), 503: N_("Temporarily unavailable"),
}
CONFLICT = N_("The change conflicts with existing data; reload and retry.")
INVALID = N_("The data is not valid.")
UNAVAILABLE = N_("The database cannot be reached at the moment; nothing was changed. Please "
                 "try again in a few seconds.")
RETRY_AFTER_S = 5  # a PostgreSQL restart or failover takes seconds, not minutes

# What SQLAlchemy and psycopg raise when the database is down, restarting or unreachable
# (SQLite's "database is locked" is an OperationalError too: retrying is right for it as well).
DATABASE_OUTAGES = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout,
                    psycopg.OperationalError, psycopg.InterfaceError)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, message: str, errors: dict | None = None):
    """The API's JSON error."""
    body = {"code": status, "status": HTTP_STATUS_CODES.get(status, "Error"), "message": message}
    if errors:
        body["errors"] = _string_keys(errors)
    response = jsonify(body)
    response.status_code = status
    return response


def _string_keys(errors):
    """marshmallow names a list item by its index (an int) beside "_schema": JSON keys are
    strings, and the JSON provider sorts them, which fails on a mix of the two."""
    if isinstance(errors, dict):
        return {str(key): _string_keys(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return [_string_keys(value) for value in errors]
    return errors


def respond(status: int, message: str, errors: dict | None = None):
    """JSON for the API and programs, a page for people."""
    if wants_json():
        return error_response(status, message, errors)
    title = _(STATUS_TITLES.get(status, "Something went wrong"))
    return make_response(render_template("errors/error.html", status=status, title=title,
                                         message=message, errors=errors), status)


def lost_a_race(error: Exception) -> bool:
    """PostgreSQL gave up on this transaction to let a concurrent one go on (a deadlock, a
    serialization failure: SQLSTATE class 40): a conflict for the loser, not an outage."""
    return (getattr(getattr(error, "orig", error), "sqlstate", None) or "").startswith("40")


def database_unavailable(error: Exception):
    """503 with Retry-After when the database cannot be reached (restart, failover, network).

    One warning line, no traceback: an outage is an operational fact, not a bug. The pool
    already tests connections before use (config.py), so the next request after recovery
    gets a fresh one and nothing needs restarting.
    """
    if lost_a_race(error):
        db.session.rollback()
        return respond(409, _(CONFLICT))
    current_app.logger.warning("database unavailable, answered 503: %s: %s",
                               type(error).__name__, str(error).splitlines()[0][:200]
                               if str(error) else "")
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 (the connection is gone; the session is discarded below)
        pass
    db.session.remove()
    # The page's header asks who is signed in, which would ask the database again.
    login_manager._update_request_context_with_user()
    response = respond(503, _(UNAVAILABLE))
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def discard_session_quietly(_error=None) -> None:
    """End the request's session even when its connection died after the answer was made.

    Flask-SQLAlchemy's own teardown rolls the session back; on a connection the database has
    just closed (a restart) that raises, outside every error handler, and the finished answer
    becomes a 500. Registered after Flask-SQLAlchemy, this teardown runs before it.
    """
    try:
        db.session.remove()
    except DATABASE_OUTAGES as error:
        current_app.logger.warning("database connection lost after the answer: %s",
                                   type(error).__name__)
        db.session.registry.clear()  # the connection is invalidated; the pool replaces it


def register_error_handlers(app: Flask) -> None:
    input_guard.register(app)
    for outage in DATABASE_OUTAGES:
        app.register_error_handler(outage, database_unavailable)
    app.teardown_appcontext(discard_session_quietly)

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
    @app.errorhandler(StaleDataError)
    def integrity_error(_error):
        # Reached only when two writers race past our own checks (a constraint, or a row
        # version that moved under a stale read): report a conflict.
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
