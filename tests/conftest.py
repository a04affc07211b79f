"""Fixtures: one migrated database per session (SQLite by default, PostgreSQL when
TEST_DATABASE_URL says so), emptied after every test; a fresh app per test."""

import os

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from registry import create_app, jobs
from registry.extensions import db
from tests.factories import Builder

pytest_plugins = ["tests.world"]


def _test_config(url: str) -> dict:
    return {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test"}


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs():
    """The app reads compiled catalogs; compile them from the .po files under test (< 1 s)."""
    from registry.catalogs import compile_catalogs

    compile_catalogs()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL") or \
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'registry.sqlite'}"
    app = create_app(_test_config(url))
    with app.app_context():
        # Build the schema with the real migrations, so they are tested on every run.
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        db.engine.dispose()
    return url


def empty_tables() -> None:
    """Delete every row; on a few rows DELETE beats TRUNCATE by far (no new files).

    Except the audit log on PostgreSQL, where a trigger refuses DELETE (migration 0008): its
    owner, the tests' user, lifts the trigger for this transaction only (ALTER TABLE is
    transactional). Not TRUNCATE: it would wait for any reader still holding the table.
    """
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            if table.name == "audit_event" and connection.dialect.name == "postgresql":
                _delete_audit_log(connection)
            else:
                connection.execute(table.delete())


def _delete_audit_log(connection) -> None:
    if connection.execute(text("SELECT EXISTS (SELECT 1 FROM audit_event)")).scalar():
        connection.execute(text(
            "ALTER TABLE audit_event DISABLE TRIGGER audit_event_refuses_change; "
            "DELETE FROM audit_event; "
            "ALTER TABLE audit_event ENABLE TRIGGER audit_event_refuses_change"))


@pytest.fixture
def app(database_url):
    app = create_app(_test_config(database_url))
    with app.app_context():
        yield app
        db.session.remove()
        empty_tables()
        jobs.dispose(app)
        db.engine.dispose()


class IsolatedClient(FlaskClient):
    """Gives each request its own app context, as a server does.

    The test holds an app context for its builders; without this, requests would reuse it and
    share `g` (the logged-in user) and the database session with the test and each other.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app):
    """Builders for test data: make.expert(...), make.case(...), make.user(...)."""
    return Builder()
