"""The JSON API under /api/v1: one module per resource, documented as OpenAPI 3."""

from flask import Flask, request
from flask_smorest import Api

from registry.extensions import csrf

# What anyone may call: reference data (read only), the token endpoint (it checks HTTP Basic
# itself) and the OpenAPI document with its Swagger UI. Everything else under /api/ needs a
# bearer token, a blueprint added later included.
PUBLIC = frozenset({"reference", "tokens", "api-docs"})


def require_authentication():
    """Identify the caller before anything reads the body: an anonymous call to a non-public
    operation gets 401 at once, so its body (200 MB, or JSON nested 500 deep) is never parsed.
    The caller is known by a bearer token only, never by a session cookie (api/auth.py)."""
    from registry.api.auth import api_user

    blueprint = request.blueprint  # None for an unknown address: that stays a 404
    if request.path.startswith("/api/") and blueprint and blueprint not in PUBLIC:
        api_user()


def register_api(app: Flask) -> None:
    """The API's blueprints on an OpenAPI document of this app's own: one Api object per app
    (a module-wide one would hand every app the document of the last app built)."""
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

    openapi = Api(app)
    for module in (tokens, users, reference, organizations, experts, cases, requests,
                   assignments, solver_runs):
        # Token-authenticated JSON calls carry no browser session, so CSRF does not apply.
        csrf.exempt(module.bp)
        openapi.register_blueprint(module.bp)
    from registry.api import disclosures  # issue 9: arbitrators' disclosures and waivers

    csrf.exempt(disclosures.bp)
    openapi.register_blueprint(disclosures.bp)
    app.before_request(require_authentication)
