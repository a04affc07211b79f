"""The JSON API under /api/v1: one module per resource, documented as OpenAPI 3."""

from flask import Flask

from registry.extensions import csrf, openapi


def register_api(app: Flask) -> None:
    from registry.api import (
        assignments,
        auth,  # noqa: F401  (registers how callers are identified)
        cases,
        experts,
        organizations,
        reference,
        requests,
        tokens,
        users,
    )

    for module in (tokens, users, reference, organizations, experts, cases, requests,
                   assignments):
        # Token-authenticated JSON calls carry no browser session, so CSRF does not apply.
        csrf.exempt(module.bp)
        openapi.register_blueprint(module.bp)
