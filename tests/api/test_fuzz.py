"""Schemathesis over every documented operation, against a live multi-threaded server: no 5xx.

What runs (docs/hostile-input.md has the figures and the reasons for each exclusion):
- the `schemathesis run` command line, as a subprocess, against a werkzeug server threaded in
  a thread of this process, serving the app on the test database (PostgreSQL in CI's second
  pass, SQLite in the first) with the small world of tests/world.py;
- phases examples, fuzzing and stateful, `--checks all` minus the excluded checks;
- once as an admin (a bearer token: every permission passes, so input reaches validation and
  the database) and once anonymously (every protected operation must answer 401, not 5xx).

The test fails on any 5xx, and on any failure of a check that is not excluded. It is marked
`slow`: CI runs it in both passes (`.ci/run`), because each database breaks on different input
(PostgreSQL on NUL and surrogates, SQLite on integers past 64 bits). Its budget is bounded by
--max-time: about 36 s per pass on 2 cores, 75 s for both.
"""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from registry.extensions import db

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
# The `schemathesis` command, with its transports imported before it starts, and one worker:
# two worker threads hit CPython 3.11 races in compile() ("AST constructor recursion depth
# mismatch") and in Hypothesis's lambda-source cache (a KeyError), which schemathesis reports
# as runtime errors of the run.
CLI = ("import sys, schemathesis.transport.asgi, schemathesis.transport.wsgi; "
       "from schemathesis.cli import schemathesis; sys.argv[0] = 'schemathesis'; "
       "sys.exit(schemathesis())")

# Checks excluded, each for a reason written in docs/hostile-input.md:
EXCLUDED_CHECKS = {
    # flask-smorest documents X-Pagination as a JSON object but sends it as a JSON string.
    "response_headers_conformance",
    # Valid-looking data is refused by business rules the schema cannot state (an expert's
    # id that names no expert, a day already booked): 404/409/422 are right answers there.
    "positive_data_acceptance",
}
REVOKE_SUMMARY = "Revoke the bearer token this call carries."  # DELETE /api/v1/tokens
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "12"))
MAX_TIME_S = int(os.environ.get("FUZZ_MAX_TIME_S", "15"))  # per identity


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *_args, **_kwargs):  # thousands of lines; the report has them
        pass


class LiveServer:
    """The test's app served by werkzeug with a thread per request, on a free port."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True,
                                  request_handler=QuietHandler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                       name="fuzz-server")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def schemathesis_run(url: str, headers: dict, report: Path) -> subprocess.CompletedProcess:
    """The command of docs/hostile-input.md, with a JSON report to count from."""
    command = [
        sys.executable, "-c", CLI, "run", f"{url}/api/v1/openapi.json",
        "--phases", "examples,fuzzing,stateful", "--checks", "all",
        "--exclude-checks", ",".join(sorted(EXCLUDED_CHECKS)),
        "--max-examples", str(MAX_EXAMPLES), "--max-time", str(MAX_TIME_S),
        "--workers", "1", "--seed", "8", "--no-shrink", "--suppress-health-check", "all",
        "--request-timeout", "30", "--report", "ndjson", "--report-ndjson-path", str(report),
        "--warnings", "off",
    ]
    if headers:  # revoking its own token would end the admin's run (test_tokens tries it)
        command += ["--exclude-by", f"/summary == {REVOKE_SUMMARY}"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    return subprocess.run(command, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, NO_COLOR="1", SCHEMATHESIS_TELEMETRY="false"))


def server_errors(report: Path) -> list[str]:
    """Every 5xx answer recorded in the NDJSON report: 'METHOD path -> status'."""
    found = []
    for line in report.read_text().splitlines():
        for status, where in _statuses(json.loads(line)):
            if status >= 500:
                found.append(f"{where} -> {status}")
    return found


def _statuses(node, where=""):
    if isinstance(node, dict):
        request = node.get("request")
        if isinstance(request, dict) and "method" in request:
            where = f"{request['method']} {request.get('uri', '')}"
        response = node.get("response")
        if isinstance(response, dict) and isinstance(response.get("status_code"), int):
            yield response["status_code"], where
        for value in node.values():
            yield from _statuses(value, where)
    elif isinstance(node, list):
        for value in node:
            yield from _statuses(value, where)


@pytest.mark.slow
@pytest.mark.parametrize("identity", ["admin", "anonymous"])
def test_no_input_makes_the_api_answer_a_server_error(app, world, as_, tmp_path, identity):
    if not SCHEMATHESIS.exists():
        pytest.fail("schemathesis is not installed in the venv (pyproject's dev extras)")
    headers = as_("admin") if identity == "admin" else {}
    db.session.commit()
    db.session.remove()  # the server's threads use their own sessions
    report = tmp_path / "events.ndjson"
    with LiveServer(app) as server:
        run = schemathesis_run(server.url, headers, report)
    summary = run.stdout[-6000:]
    # The figures of docs/hostile-input.md (pytest -s shows them).
    print(identity, *[line.strip() for line in run.stdout.splitlines()
                      if "generated" in line or "Operations:" in line or "Scenarios:" in line])
    errors = server_errors(report) if report.exists() else ["no report written"]
    assert not errors, f"{len(errors)} server errors:\n" + "\n".join(errors[:40]) + summary
    assert run.returncode == 0, summary + run.stderr[-3000:]
