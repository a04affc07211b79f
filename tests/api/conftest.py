"""API test fixtures; the shared `world` and `as_` come from tests/world.py."""

import pytest


@pytest.fixture
def api_schema(app, world):
    import schemathesis

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def admin_headers(as_):
    return as_("admin")
