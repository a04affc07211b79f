"""One JSON error shape for the API, plain pages for the browser.

API errors look like flask-smorest's own: {"code": 422, "status": "Unprocessable Entity",
"message": "...", "errors": {"json": {"field": ["reason"]}}}.
"""

from flask import Flask, jsonify, render_template, request
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from registry.extensions import db
from registry.models import AuditLogIsAppendOnly, DomainError
from registry.services.permissions import Forbidden


def error_response(status: int, message: str, errors: dict | None = None):
    body = {"code": status, "status": HTTP_STATUS_CODES.get(status, "Error"), "message": message}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    return response


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        errors = {"json": {error.field: [error.message]}} if error.field else None
        return error_response(error.status, error.message, errors)

    @app.errorhandler(ValidationError)
    def validation_error(error: ValidationError):
        db.session.rollback()
        return error_response(422, "The data is not valid.", {"json": error.messages})

    @app.errorhandler(Forbidden)
    def forbidden(error: Forbidden):
        db.session.rollback()
        return error_response(403, str(error))

    @app.errorhandler(IntegrityError)
    def integrity_error(error: IntegrityError):
        # Reached only when two writers race past our own checks: report a conflict.
        db.session.rollback()
        return error_response(409, "The change conflicts with existing data; reload and retry.")

    @app.errorhandler(AuditLogIsAppendOnly)
    def audit_append_only(error):
        db.session.rollback()
        return error_response(409, str(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if not wants_json():
            return render_template("error.html", error=error), error.code
        messages = getattr(error, "data", {}).get("messages")
        response = error_response(error.code or 500, error.description or "",
                                  messages if isinstance(messages, dict) else None)
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        if error.code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="registry"'
        return response
