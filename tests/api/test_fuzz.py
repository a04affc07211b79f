"""Property-based fuzzing of every documented operation: whatever the input, never a 500.

schemathesis generates valid and invalid requests from our own OpenAPI document; each is sent
as an admin (who passes every permission check, so the input reaches validation and the
database) against the small world of tests/api/conftest.py.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from registry.extensions import db


def operations(app):
    def isolated(environ, start_response):
        # Each call gets its own app context, as under a real server (see IsolatedClient).
        with app.app_context():
            return list(app(environ, start_response))

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", isolated)
    # Revoking the token would end the run for every later operation; tested on its own.
    return [op for op in (result.ok() for result in schema.get_all_operations())
            if (op.method.upper(), op.path) != ("DELETE", "/api/v1/tokens")]


@pytest.mark.slow
def test_no_input_makes_the_api_fail_with_a_server_error(app, world, as_):
    headers = as_("admin")
    checked = 0
    for operation in operations(app):
        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def never_a_server_error(case):
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.formatted_path,
                                                response.text[:300])

        never_a_server_error()
        db.session.rollback()
        checked += 1
    assert checked >= 30  # every operation of the API was exercised
