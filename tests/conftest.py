"""Fixtures: one migrated database per session (SQLite by default, PostgreSQL when
TEST_DATABASE_URL says so), emptied after every test; a fresh app per test."""

import copy
import os

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from registry import create_app, jobs
from registry.extensions import db
from registry.security import limiter
from tests.factories import Builder

pytest_plugins = ["tests.world"]


def pytest_configure(config):
    """Under pytest-xdist (`-n 2`), each worker gets its own PostgreSQL database, made from
    TEST_DATABASE_URL's name and the worker's (test_gw0, test_gw1): the tests empty every
    table after each test, so two workers must never share one. Set before any test module
    is imported, as some read TEST_DATABASE_URL themselves."""
    url, worker = os.environ.get("TEST_DATABASE_URL"), os.environ.get("PYTEST_XDIST_WORKER")
    if url and worker and url.startswith("postgresql"):
        os.environ["TEST_DATABASE_URL"] = _database_of_its_own(url, worker)


def _database_of_its_own(url: str, worker: str) -> str:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    shared = make_url(url)
    own = shared.set(database=f"{shared.database}_{worker}")
    engine = create_engine(shared, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                   {"name": own.database})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{own.database}"'))
    engine.dispose()
    return own.render_as_string(hide_password=False)


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


@pytest.fixture(scope="session")
def shared_app(database_url):
    """One app for the tests that leave its routes alone: building one costs ~0.25 s (the
    API's OpenAPI documents), which on every test was a third of the suite's time."""
    return create_app(_test_config(database_url))


@pytest.fixture
def app(request, shared_app, database_url):
    """The shared app, with its settings and sign-in throttle reset after the test; a test
    marked `own_app` (it adds routes or hooks) gets a new one."""
    if request.node.get_closest_marker("own_app"):
        app = create_app(_test_config(database_url))
    else:
        app = shared_app
    settings = copy.deepcopy(dict(app.config))  # a test may change a nested value too
    with app.app_context():
        yield app
        db.session.remove()
        empty_tables()
        jobs.dispose(app)
        db.engine.dispose()
    app.config.clear()
    app.config.update(settings)
    limiter.reset()
    # What the app remembers of the last test's database (reference data cached per app).
    app.extensions.pop("region_jurisdictions", None)


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
