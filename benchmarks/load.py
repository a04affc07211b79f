"""Load test: the API under gunicorn (gunicorn.conf.py) on PostgreSQL, driven by wrk.

    make load            # = python -m benchmarks.load
    python -m benchmarks.load [--phases paced,saturation,guessing] [--duration 30]
                              [--users 50] [--workers 2] [--threads 4] [--reuse]

Everything runs on 127.0.0.1: the database `load` (dropped and recreated, then `flask db
upgrade` and `flask seed --demo`, unless --reuse), gunicorn on a free port in production mode,
and wrk (benchmarks/load.lua) on the same machine. The demo accounts sign in for bearer tokens
(POST /api/v1/tokens) and the script builds a mix of calls, each made by a role allowed to:
expert search, reads of requests, cases and assignments, polls of a solver run, and writes
(experts changing their own record, coordinators changing experts of their region). Phases:

- paced:      USERS connections each sending about one call a second (target p95 < 100 ms,
              no errors);
- saturation: USERS connections sending without pause (target >= 300 calls/s);
- guessing:   the paced users while 8 connections guess a password on POST /api/v1/tokens
              (target: the users' p95 < 200 ms).

It prints a markdown table for docs/load.md. A measurement, not a test: it exits 0 unless the
server or wrk fails.
"""

import argparse
import json
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LUA = ROOT / "benchmarks" / "load.lua"
PG = "postgresql+psycopg://root@127.0.0.1:5432"
# psycopg's URL of the server's own database, for creating and watching the others
MAINTENANCE = f"{PG.replace('+psycopg', '')}/postgres"
GUESSERS = 8
TARGETS = {"paced": "p95 < 100 ms, 0 errors", "saturation": ">= 300 calls/s",
           "guessing": "users' p95 < 200 ms"}

# Share of each kind of call in the mix (out of 100).
MIX = {"search": 35, "read": 35, "poll": 20, "write": 10}


def main() -> None:
    options = parse_options()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: `make load-deps` installs it (Debian, as root).")
    url = f"{PG}/{options.database}"
    if not options.reuse:
        prepare_database(options.database, url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(url, port, options)
    try:
        wait_until_up(base, server)
        call = http_caller(base)
        tokens = sign_in(call)
        with tempfile.TemporaryDirectory(prefix="load-") as folder:
            mix_file = Path(folder) / "mix.tsv"
            kinds = write_mix(call, tokens, mix_file)
            guess_file = Path(folder) / "guess.tsv"
            write_guesses(guess_file)
            print(describe_machine(options, kinds))
            check_each_call_once(call, mix_file)
            wrk(base, mix_file, 5, min(options.users, 16), 0)  # warm-up: imports, pools, caches
            rows = [run_phase(phase, base, mix_file, guess_file, options, server)
                    for phase in options.phases]
        print(table(rows))
    finally:
        stop(server)


def parse_options():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phases", default="paced,saturation,guessing",
                        type=lambda s: [p.strip() for p in s.split(",") if p.strip()])
    parser.add_argument("--duration", type=int, default=30, help="seconds per phase")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=None, help="threads per process")
    parser.add_argument("--database", default="load")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database as it is (already migrated and seeded)")
    parser.add_argument("--access-log", action="store_true", help="gunicorn logs each call")
    options = parser.parse_args()
    unknown = set(options.phases) - set(TARGETS)
    if unknown:
        parser.error(f"unknown phases {sorted(unknown)}: use {', '.join(TARGETS)}")
    return options


# --- the database and the server ---------------------------------------------------------

def prepare_database(name: str, url: str, tree: Path = ROOT) -> None:
    """Drop and make the database, migrated and demo-seeded by the code in `tree`."""
    import psycopg

    with psycopg.connect(MAINTENANCE, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = os.environ | {"REGISTRY_ENV": "development", "DATABASE_URL": url,
                        "PYTHONPATH": str(tree)}
    for command in (["db", "upgrade"], ["seed", "--demo"]):
        started = time.monotonic()
        subprocess.run([BIN / "flask", "--app", "registry", *command], env=env, check=True,
                       cwd=tree, stdout=subprocess.DEVNULL)
        print(f"flask {' '.join(command)}: {time.monotonic() - started:.1f} s", file=sys.stderr)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(url: str, port: int, options) -> subprocess.Popen:
    env = os.environ | {"REGISTRY_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
                        "DATABASE_URL": url, "GUNICORN_BIND": f"127.0.0.1:{port}"}
    if options.workers:
        env["GUNICORN_WORKERS"] = str(options.workers)
    if options.threads:
        env["GUNICORN_THREADS"] = str(options.threads)
    if options.access_log:
        env["GUNICORN_ACCESS_LOG"] = "-"
    return subprocess.Popen([BIN / "gunicorn", "-c", ROOT / "gunicorn.conf.py",
                             "registry.wsgi:app"], env=env, cwd=ROOT, start_new_session=True)


def wait_until_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped (exit {server.returncode})")
        try:
            urllib.request.urlopen(f"{base}/api/v1/openapi.json", timeout=5).read()
            return
        except OSError:
            time.sleep(0.3)
    sys.exit("gunicorn did not answer within 60 s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


# --- the calls ----------------------------------------------------------------------------

def http_caller(base: str) -> Callable:
    """call(method, path, authorization, body=None) -> the answer's JSON, over HTTP; an
    answer other than 2xx raises urllib.error.HTTPError. benchmarks/replay.py has one that
    calls the app in-process."""
    return partial(http_call, base)


def http_call(base: str, method: str, path: str, authorization: str, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{base}{path}", data=data, method=method,
                                 headers={"Authorization": authorization,
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as answer:
        return json.loads(answer.read() or b"null")


def sign_in(call: Callable, password: str | None = None) -> dict[str, str]:
    """A bearer token per demo account: {email: "Bearer ..."} (password: the demo's)."""
    from registry.services.seeding import DEMO_PASSWORD, demo_logins

    tokens = {}
    for email, _role, _scope in demo_logins():
        basic = b64encode(f"{email}:{password or DEMO_PASSWORD}".encode()).decode()
        tokens[email] = "Bearer " + call("POST", "/api/v1/tokens", f"Basic {basic}")["token"]
    return tokens


def ids(call: Callable, token, path, key="id") -> list:
    return [item[key] for item in call("GET", path, token)["items"]]


def write_mix(call: Callable, tokens: dict, path: Path, polling=None) -> dict[str, int]:
    """Write the weighted, shuffled list of calls the users replay; the count of each kind.
    `polling` (default `polls`) makes the poll calls."""
    admin, yrd, gba = (tokens["admin@demo.example.com"],
                       tokens["coordinator.yrd@demo.example.com"],
                       tokens["coordinator.gba@demo.example.com"])
    clerks = [tokens["clerk.sh-ipc@demo.example.com"], tokens["clerk.scia@demo.example.com"]]
    expert = tokens["expert@demo.example.com"]
    today = date.today()
    searches = [f"/api/v1/experts?{query}" for query in (
        "field=G06F", "field=H04", "city=shanghai", "jurisdiction=SH", "jurisdiction=GD",
        "role=arbitrator&language=en", f"available_on={today + timedelta(days=7)}",
        f"field=G06F&jurisdiction=SH&role=investigator&available_on={today + timedelta(14)}",
        "field=A61K&page=2", f"name={quote('王')}")]
    kinds = {
        "search": [("GET", q, t, "") for q in searches for t in (admin, yrd, gba)],
        "read": reads(call, [admin, yrd, gba, *clerks], expert),
        "poll": (polling or polls)(call, yrd, gba, today),
        "write": writes(call, yrd, gba, expert),
    }
    rng = random.Random(8)
    lines = []
    for kind, share in MIX.items():
        lines += [rng.choice(kinds[kind]) for _ in range(share * 20)]
    rng.shuffle(lines)
    path.write_text("".join("\t".join(line) + "\n" for line in lines), encoding="utf-8")
    return {kind: len(calls) for kind, calls in kinds.items()}


def reads(call: Callable, tokens: list[str], expert: str) -> list[tuple]:
    calls = []
    for token in tokens:
        for listing in ("/api/v1/requests", "/api/v1/cases", "/api/v1/assignments",
                        "/api/v1/requests?status=submitted", "/api/v1/requests?page=2"):
            calls.append(("GET", listing, token, ""))
        calls += [("GET", f"/api/v1/requests/{i}", token, "")
                  for i in ids(call, token, "/api/v1/requests?per_page=5")]
        calls += [("GET", f"/api/v1/cases/{i}", token, "")
                  for i in ids(call, token, "/api/v1/cases?per_page=5")]
        calls += [("GET", f"/api/v1/assignments/{i}", token, "")
                  for i in ids(call, token, "/api/v1/assignments?per_page=5")]
    calls.append(("GET", "/api/v1/assignments", expert, ""))
    calls += [("GET", f"/api/v1/assignments/{i}", expert, "")
              for i in ids(call, expert, "/api/v1/assignments?per_page=5")]
    return calls


def polls(call: Callable, yrd: str, gba: str, today: date) -> list[tuple]:
    """A queued run per coordinator (no worker runs: each stays queued), polled as a client
    following its progress would."""
    calls = []
    for token, region in ((yrd, "YRD"), (gba, "GBA")):
        run = call("POST", "/api/v1/solver-runs", token, {
            "region": region, "from": str(today + timedelta(days=1)),
            "to": str(today + timedelta(days=30))})
        calls.append(("GET", f"/api/v1/solver-runs/{run['id']}", token, ""))
    return calls


def writes(call: Callable, yrd: str, gba: str, expert: str) -> list[tuple]:
    """Harmless to repeat: an expert's travel limit, by the expert itself and by the
    coordinators of its region (each write is audited). load.lua gives every write a new
    value, so each one changes the record and judges the expert's held seats again."""
    own = call("GET", "/api/v1/users/me", expert)["expert_id"]
    targets = [(expert, own)]
    for token, jurisdiction in ((yrd, "SH"), (yrd, "JS"), (gba, "GD")):
        targets += [(token, i) for i in
                    ids(call, token, f"/api/v1/experts?jurisdiction={jurisdiction}&per_page=5")]
    return [("PATCH", f"/api/v1/experts/{i}", token, json.dumps({"max_travel_km": km}))
            for token, i in targets for km in (800, 1200)]


def check_each_call_once(call: Callable, mix_file: Path) -> None:
    """Say which calls of the mix fail on their own: they would count as errors under load."""
    for line in sorted(set(mix_file.read_text(encoding="utf-8").splitlines())):
        method, path, authorization, body = line.split("\t")
        try:
            call(method, path, authorization, json.loads(body) if body else None)
        except urllib.error.HTTPError as error:
            print(f"warning: {method} {path} answers {error.code} {error.read()[:300]!r}",
                  file=sys.stderr)


def write_guesses(path: Path) -> None:
    """Wrong passwords for an existing account, each different (a guesser's dictionary)."""
    lines = []
    for n in range(500):
        basic = b64encode(f"admin@demo.example.com:guess-{n:04d}".encode()).decode()
        lines.append(f"POST\t/api/v1/tokens\tBasic {basic}\t\n")
    path.write_text("".join(lines), encoding="utf-8")


# --- wrk ------------------------------------------------------------------------------------

def wrk_command(base, mix_file, seconds, connections, pace_ms) -> list:
    return ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
            "-s", str(LUA), base, "--", str(mix_file), str(pace_ms)]


def parse_wrk(output: str) -> dict:
    for line in output.splitlines():
        if line.startswith("WRK-RESULT "):
            return json.loads(line.removeprefix("WRK-RESULT "))
    sys.exit(f"wrk gave no result:\n{output}")


def wrk(base, mix_file, seconds, connections, pace_ms) -> dict:
    done = subprocess.run(wrk_command(base, mix_file, seconds, connections, pace_ms),
                          capture_output=True, text=True, check=True)
    return parse_wrk(done.stdout)


def python_loop_s() -> float:
    """A loop of 10^7 additions in a function: how fast the machine runs just now (these
    shared VMs drift by tens of per cent within minutes)."""
    started, total = time.perf_counter(), 0
    for number in range(10**7):
        total += number
    return time.perf_counter() - started


# --- CPU used: the machine is shared, so calls per CPU-second say more than calls per second ---

def cpu_seconds(pids) -> float:
    """User + system CPU seconds of these processes (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (in clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def server_pids(server: subprocess.Popen) -> list[int]:
    """gunicorn's master and workers."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return [server.pid, *map(int, children)]


def database_pids(database: str) -> list[int]:
    """The PostgreSQL backends serving the load database (same machine)."""
    import psycopg

    with psycopg.connect(MAINTENANCE, autocommit=True) as conn:
        return [pid for (pid,) in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,))]


def run_phase(phase: str, base, mix_file, guess_file, options, server) -> dict:
    pace = 0 if phase == "saturation" else 1000
    guessers = None
    app_pids = server_pids(server)
    app_cpu, db_cpu = cpu_seconds(app_pids), cpu_seconds(database_pids(options.database))
    if phase == "guessing":
        guessers = subprocess.Popen(wrk_command(base, guess_file, options.duration, GUESSERS, 0),
                                    stdout=subprocess.PIPE, text=True)
    load_before = os.getloadavg()[0]
    result = wrk(base, mix_file, options.duration, options.users, pace)
    app_cpu = cpu_seconds(app_pids) - app_cpu
    db_cpu = cpu_seconds(database_pids(options.database)) - db_cpu  # new backends undercount
    row = {"phase": phase, "users": options.users, **summarise(result), "load": load_before,
           "app_ms": app_cpu / result["requests"] * 1000,
           "db_ms": db_cpu / result["requests"] * 1000}
    if guessers:
        guesses = summarise(parse_wrk(guessers.communicate()[0]))
        row["note"] = (f"{GUESSERS} guessers: {guesses['rps']:.0f} guesses/s, "
                       f"statuses {guesses['statuses']}, p50 {guesses['p50']:.0f} ms")
    print(f"{phase}: {json.dumps(row, ensure_ascii=False)}", file=sys.stderr)
    return row


def summarise(result: dict) -> dict:
    ok = sum(n for status, n in result["statuses"].items() if status.startswith("2"))
    socket_errors = sum(result[k] for k in ("connect_errors", "read_errors", "write_errors",
                                             "timeouts"))
    return {"calls": result["requests"], "rps": result["requests"] / result["duration_us"] * 1e6,
            "p50": result["p50_us"] / 1000, "p95": result["p95_us"] / 1000,
            "p99": result["p99_us"] / 1000, "max": result["max_us"] / 1000,
            "errors": result["requests"] - ok + socket_errors,
            "statuses": dict(sorted(result["statuses"].items()))}


def describe_machine(options, kinds) -> str:
    workers = options.workers or os.environ.get("GUNICORN_WORKERS") or os.cpu_count()
    threads = options.threads or os.environ.get("GUNICORN_THREADS") or 2
    return (f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"{subprocess.run(['wrk', '-v'], capture_output=True, text=True).stdout.split()[1]}"
            f" wrk; gunicorn gthread {workers} workers x {threads} threads; "
            f"{options.duration} s per phase; mix {MIX} drawn from "
            f"{', '.join(f'{n} {k}' for k, n in kinds.items())} distinct calls; "
            f"a loop of 10^7 additions in a function: {python_loop_s():.2f} s")


def table(rows: list[dict]) -> str:
    lines = ["| phase | users | calls | calls/s | p50 ms | p95 ms | p99 ms | max ms | errors "
             "| statuses | app CPU ms/call | db CPU ms/call | load avg | target | note |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---|"]
    for r in rows:
        lines.append(f"| {r['phase']} | {r['users']} | {r['calls']} | {r['rps']:.0f} | "
                     f"{r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {r['max']:.0f} | "
                     f"{r['errors']} | {r['statuses']} | {r['app_ms']:.1f} | {r['db_ms']:.1f} | "
                     f"{r['load']:.1f} | {TARGETS[r['phase']]} | {r.get('note', '')} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
