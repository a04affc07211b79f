"""The production server as `make serve` runs it (gunicorn.conf.py): connections that send
nothing must not hold the threads that answer everybody else."""

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.processes import ROOT, free_port

THREADS = 2
KEEPALIVE_S = 1  # the test's; production keeps 5 s
PAGE = "/api/v1/openapi.json"  # answered without the database


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn -c gunicorn.conf.py registry.wsgi:app: one worker, THREADS threads, SQLite."""
    with gunicorn(tmp_path_factory.mktemp("server"), KEEPALIVE_S) as port:
        yield port


@contextmanager
def gunicorn(folder: Path, keepalive_s: int):
    port = free_port()
    env = dict(os.environ, REGISTRY_ENV="production", SECRET_KEY=secrets.token_hex(32),
               DATABASE_URL=f"sqlite:///{folder / 'registry.sqlite'}",
               GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="1",
               GUNICORN_THREADS=str(THREADS), GUNICORN_CMD_ARGS=f"--keep-alive {keepalive_s}")
    process = subprocess.Popen([Path(sys.executable).parent / "gunicorn", "-c",
                                "gunicorn.conf.py", "registry.wsgi:app"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_answering(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until_answering(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn stopped"
        try:
            get(port, timeout=5)
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail("gunicorn did not answer within 60 s")


def get(port: int, timeout: float, connection: http.client.HTTPConnection | None = None):
    """GET PAGE, on `connection` if given (left open), else on a new one (closed)."""
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", PAGE)
        response = connection.getresponse()
        response.read()
        return response
    finally:
        if own:
            connection.close()


def test_connections_that_send_nothing_do_not_hold_the_threads(server):
    """gunicorn 27's own gthread worker gave each new connection to a thread that waited up
    to 5 s for its first bytes: with four times as many silent connections as threads, a
    request waited 20 s. gunicorn.conf.py's worker polls them instead: the request is
    answered while all of them are still open and silent (within 4 s; before, 5 s was the
    least it could wait)."""
    silent = [socket.create_connection(("127.0.0.1", server)) for _ in range(4 * THREADS)]
    try:
        time.sleep(0.2)  # accepted by now
        assert get(server, timeout=4).status == 200
    finally:
        for connection in silent:
            connection.close()


def test_a_connection_that_stays_silent_is_closed(server):
    """A silent connection is not kept forever: it would count against the worker's
    connections (worker_connections) until none are left. It gets as long for its first
    request as gunicorn's own worker gives it (5 s)."""
    with socket.create_connection(("127.0.0.1", server)) as silent:
        silent.settimeout(5 + 10)  # the worker looks at least once a second
        assert silent.recv(1) == b""  # closed by the server, nothing sent


def test_without_keep_alive_new_connections_are_still_answered(tmp_path):
    """--keep-alive 0 turns keep-alive off; it must not close new connections before their
    first request (the worker's first version timed them out after `keepalive` seconds)."""
    with gunicorn(tmp_path, keepalive_s=0) as port:
        connection = socket.create_connection(("127.0.0.1", port))
        with connection:
            time.sleep(0.2)  # connected, nothing sent yet: the worker has looked meanwhile
            connection.sendall(f"GET {PAGE} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
            connection.settimeout(10)
            assert connection.recv(12) == b"HTTP/1.1 200"


def test_kept_alive_connections_still_answer_their_next_request(server):
    """Requests after the first on a connection take gunicorn's keep-alive path: the same
    connection answers a second request sent after a pause."""
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    first = get(server, 10, connection)
    assert first.status == 200 and first.getheader("Connection") != "close"
    time.sleep(KEEPALIVE_S / 2)
    assert get(server, 10, connection).status == 200
    connection.close()
