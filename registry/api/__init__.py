"""The JSON API under /api/v1: one module per resource, documented as OpenAPI 3."""

from flask import Flask, request

from registry.extensions import csrf, openapi

# Blueprints whose every call needs a bearer token (reference data is public; the token
# endpoint authenticates with HTTP Basic itself).
PROTECTED = frozenset({"users", "organizations", "experts", "cases", "requests", "assignments",
                       "solver_runs"})


def require_authentication():
    """Identify the caller before arguments are parsed: no token means 401, never 422."""
    from registry.api.auth import api_user

    if request.blueprint in PROTECTED:
        api_user()


def register_api(app: Flask) -> None:
    from registry.api import (
        assignments,
        auth,  # noqa: F401  (registers how callers are identified)
        cases,
        experts,
        organizations,
        reference,
        requests,
        solver_runs,
        tokens,
        users,
    )

    for module in (tokens, users, reference, organizations, experts, cases, requests,
                   assignments, solver_runs):
        # Token-authenticated JSON calls carry no browser session, so CSRF does not apply.
        csrf.exempt(module.bp)
        openapi.register_blueprint(module.bp)
    app.before_request(require_authentication)
