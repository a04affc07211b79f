"""A database outage answers 503 with Retry-After, never 500, and the app recovers by itself.

- Fast: an app whose database cannot be reached (SQLite file in a missing folder, PostgreSQL
  on a closed port) answers 503 in the API's JSON shape and as the error page.
- Live: a throwaway PostgreSQL cluster of the test's own (never the shared server on 5432) is
  restarted while a few threads send requests to a live threaded server; every answer is 2xx
  or a clean 503, and requests succeed again afterwards without restarting the app.
  It brings its own PostgreSQL, so it runs once: in the pass without TEST_DATABASE_URL.
  Without PostgreSQL's binaries it is skipped, saying so; with CI set it fails instead.
"""

import glob
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests
from flask_migrate import upgrade
from werkzeug.serving import WSGIRequestHandler, make_server

from registry import create_app
from registry.extensions import db
from registry.models import UserRole
from tests.factories import Builder
from tests.processes import free_port

# -- fast: an unreachable database ------------------------------------------------------------

UNREACHABLE = {
    "sqlite": "sqlite:////nonexistent-folder/registry.sqlite",
    "postgresql": "postgresql+psycopg://root@127.0.0.1:1/nothing?connect_timeout=2",
}


@pytest.fixture(params=sorted(UNREACHABLE))
def unreachable_app(request):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": UNREACHABLE[request.param],
                      "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
                      "PROPAGATE_EXCEPTIONS": False})
    yield app
    with app.app_context():
        db.engine.dispose()


def test_the_api_answers_503_json_with_retry_after(unreachable_app, caplog):
    client = unreachable_app.test_client()
    with caplog.at_level(logging.WARNING):
        response = client.get("/api/v1/cases", headers={"Authorization": "Bearer whatever"})
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    body = response.get_json()
    assert body["code"] == 503 and body["status"] == "Service Unavailable" and body["message"]
    warnings = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].exc_info is None  # one line, no traceback


def test_a_signed_in_page_answers_the_503_page(unreachable_app):
    client = unreachable_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:0"  # a signed-in browser: loading its user needs the database
    response = client.get("/clerk/", headers={"Accept": "text/html"})
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert response.headers["Retry-After"]
    assert "<title>503" in response.get_data(as_text=True)


def test_the_sign_in_form_answers_the_503_page(unreachable_app):
    response = unreachable_app.test_client().post(
        "/sign-in", data={"email": "a@example.com", "password": "long enough password"})
    assert response.status_code == 503 and response.mimetype == "text/html"


# -- live: restart a PostgreSQL cluster of our own under load -----------------------------------

PG_BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
MISSING_PG = "PostgreSQL's server binaries (initdb, pg_ctl) are not installed"
SHARED_PASS = "runs once: in the pass without TEST_DATABASE_URL (it brings its own PostgreSQL)"


class Cluster:
    """A throwaway cluster in a temporary folder, run as the postgres system user."""

    def __init__(self, root: Path):
        self.bin = Path(PG_BINARIES[-1])
        self.root, self.data, self.port = root, root / "data", free_port()
        shutil.chown(root, "postgres")
        root.chmod(0o700)

    def _as_postgres(self, *args: str, **kwargs) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True,
                       capture_output=True, timeout=60, **kwargs)

    def init(self) -> None:
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust",
                          "-U", "postgres", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
                          "-l", str(self.root / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode,
                          "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture
def own_cluster():
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip(SHARED_PASS)
    if not PG_BINARIES or shutil.which("runuser") is None:
        if os.environ.get("CI"):
            pytest.fail(f"{MISSING_PG} (CI is set: failing instead of skipping)", pytrace=False)
        pytest.skip(MISSING_PG)
    root = Path(tempfile.mkdtemp(prefix="registry-outage-"))
    cluster = Cluster(root)
    try:
        cluster.init()
        cluster.start()
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres",
                        "-q", "-c", "CREATE DATABASE registry"], check=True, timeout=30,
                       capture_output=True)
        yield cluster
    finally:
        try:
            cluster.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(root, ignore_errors=True)


def migrated_app_with_an_admin(cluster):
    """The app on the cluster's migrated database, and an admin's authorization headers."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "PROPAGATE_EXCEPTIONS": False,
                      "SQLALCHEMY_DATABASE_URI": cluster.url("registry")})
    with app.app_context():
        upgrade()
        make = Builder()
        headers = make.token_for(make.user(UserRole.ADMIN))
        db.session.remove()
    return app, headers


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *_args, **_kwargs):
        pass


def test_a_postgresql_restart_under_load_gives_clean_503s_and_recovery(own_cluster, caplog):
    app, headers = migrated_app_with_an_admin(own_cluster)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    answers, stop = [], threading.Event()

    def client():
        with requests.Session() as session:
            while not stop.is_set():
                try:
                    response = session.get(f"{base}/api/v1/cases", headers=headers, timeout=30)
                except requests.ConnectionError as error:  # the app's server must not fail
                    answers.append(("connection", str(error)[:200], None))
                    continue
                answers.append((response.status_code, response.headers.get("Retry-After"),
                                response.headers.get("Content-Type")))
                if response.status_code == 503:
                    assert response.json()["code"] == 503

    threads = [threading.Thread(target=client) for _ in range(4)]
    # Alembic's logging setup (run by upgrade) stops these loggers reaching caplog: attach it.
    watched = [app.logger, logging.getLogger("werkzeug"), logging.getLogger("sqlalchemy")]
    for logger in watched:
        logger.addHandler(caplog.handler)
    try:
        for thread in threads:
            thread.start()
        time.sleep(1)  # some answers while the database is up
        own_cluster.stop("fast")  # connections are dropped, the port closes
        time.sleep(2)
        own_cluster.start()
        time.sleep(2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    try:
        after = requests.get(f"{base}/api/v1/cases", headers=headers, timeout=30)
    finally:
        server.shutdown()
        server.server_close()
        for logger in watched:
            logger.removeHandler(caplog.handler)
        with app.app_context():
            db.engine.dispose()

    statuses = {answer[0] for answer in answers}
    assert 200 in statuses and 503 in statuses, statuses  # the outage was seen, both ways
    unclean = [a for a in answers if a[0] not in (200, 503) or
               (a[0] == 503 and (not a[1] or "application/json" not in a[2]))]
    assert not unclean, unclean[:10]
    assert after.status_code == 200  # recovered, the app never restarted
    tracebacks = [r.getMessage() for r in caplog.records if r.exc_info]
    assert not tracebacks, tracebacks[:3]  # one warning line per 503, nothing more
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
    print(f"{len(answers)} answers: " + ", ".join(
        f"{status}: {sum(1 for a in answers if a[0] == status)}" for status in sorted(
            statuses, key=str)))


def test_a_connection_lost_after_the_answer_does_not_turn_it_into_a_500(own_cluster, caplog):
    # The session's connection is killed after the view answered and before the teardown's
    # rollback (as a restart can do): the answer stands, the session is discarded.
    import psycopg
    from sqlalchemy import text

    app, headers = migrated_app_with_an_admin(own_cluster)

    @app.after_request
    def kill_own_connection(response):
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        with psycopg.connect(host="127.0.0.1", port=own_cluster.port, user="postgres",
                             dbname="postgres", autocommit=True) as killer:
            killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
        return response

    client = app.test_client()
    app.logger.addHandler(caplog.handler)  # alembic's logging setup stops propagation
    with caplog.at_level(logging.WARNING):
        first = client.get("/api/v1/cases", headers=headers)
    app.logger.removeHandler(caplog.handler)
    assert first.status_code == 200
    assert any("lost after the answer" in r.getMessage() for r in caplog.records)
    app.after_request_funcs[None].remove(kill_own_connection)
    assert client.get("/api/v1/cases", headers=headers).status_code == 200  # pool recovered
    with app.app_context():
        db.engine.dispose()
