"""The JSON API under /api/v1: one module per resource, documented as OpenAPI 3."""

from flask import Flask, request

from registry.extensions import csrf, openapi

# Blueprints whose every call needs a bearer token (reference data is public; the token
# endpoint authenticates with HTTP Basic itself).
PROTECTED = frozenset({"users", "organizations", "experts", "cases", "requests", "assignments"})


def require_authentication():
    """Identify the caller before arguments are parsed: no token means 401, never 422."""
    from registry.api.auth import api_user

    if request.blueprint in PROTECTED:
        api_user()


def _nul_paths(value, path: str = "body") -> list[str]:
    """Where a NUL character hides in parsed JSON (keys or strings), as dotted paths."""
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    items = value.items() if isinstance(value, dict) else \
        enumerate(value) if isinstance(value, list) else ()
    return [found for key, item in items
            for found in _nul_paths(str(key), path) + _nul_paths(item, f"{path}.{key}")]


def refuse_nul_characters():
    """PostgreSQL text cannot hold NUL; no name or number needs one. Refuse it up front."""
    if not request.path.startswith("/api/"):
        return None
    where = [f"query.{key}" for key, value in request.args.items(multi=True)
             if "\x00" in key or "\x00" in value]
    if request.is_json:
        where += _nul_paths(request.get_json(silent=True))
    if "\x00" in request.path:
        where.append("path")
    if where:
        from registry.errors import error_response

        return error_response(422, "Text may not contain NUL characters.",
                              {"json": {w: ["contains a NUL character"] for w in where}})
    return None


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
    app.before_request(refuse_nul_characters)
    app.before_request(require_authentication)
