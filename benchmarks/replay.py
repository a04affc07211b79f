"""The load mix replayed in-process: CPU, SQL statements and database CPU per kind of call.

    python -m benchmarks.replay [--calls 2000] [--rounds 2] [--database load] [--prepare]

benchmarks/load.py measures the API under gunicorn and wrk; this finds where a call's CPU
goes. It calls the app through Flask's test client (no HTTP server, no other load), on
the PostgreSQL database `load` that `python -m benchmarks.load` leaves behind (--prepare, or
a missing database, makes it the same way: dropped, migrated, demo-seeded), in production
mode. The demo accounts sign in, the same mix of calls is drawn (load.write_mix), 200 calls
warm up, then each round replays the first --calls of the mix once. For each kind of call:
the app's CPU (time.process_time), the SQL statements sent, and the CPU of the PostgreSQL
backends serving the app, read from /proc around each call (in 10 ms ticks, so only the
mean over many calls means anything). One process and one thread: no queueing and no GIL
sharing, unlike gunicorn. Prints a markdown table for docs/load.md.
"""

import argparse
import os
import secrets
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import psycopg
from sqlalchemy import event

from benchmarks import load

WARM_UP = 200


def main() -> None:
    options = parse_options()
    ensure_database(options.database, options.prepare)
    from registry.extensions import db

    app, client, mix = app_and_mix(options.database)
    statements = [0]
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda *_args: statements.__setitem__(0, statements[0] + 1))
    replay(client, mix[:WARM_UP], statements, options.database)
    rounds = [replay(client, mix[:options.calls], statements, options.database)
              for _ in range(options.rounds)]
    print(f"{len(mix[:options.calls])} calls a round, {options.rounds} rounds; "
          f"a loop of 10^7 additions in a function: {load.python_loop_s():.2f} s")
    print(table(rounds))


def parse_options():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls a round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database", default="load")
    parser.add_argument("--prepare", action="store_true",
                        help="drop, migrate and seed the database first (load.py's way)")
    return parser.parse_args()


def ensure_database(name: str, prepare: bool = False) -> None:
    """The database, made as load.py makes it (dropped, migrated, demo-seeded) when missing
    or asked for."""
    with psycopg.connect(load.MAINTENANCE, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                    (name,)).fetchone() is not None
    if prepare or not exists:
        load.prepare_database(name, f"{load.PG}/{name}")


def app_and_mix(database: str) -> tuple:
    """(app, test client, mix): the app in production mode on the database, its demo
    accounts signed in and the load mix drawn as load.py draws it, [method, path,
    authorization, body] each."""
    os.environ.update(REGISTRY_ENV="production", SECRET_KEY=secrets.token_hex(32),
                      DATABASE_URL=f"{load.PG}/{database}")
    from registry import create_app

    app = create_app()
    client = app.test_client()
    call = client_caller(client)
    with tempfile.TemporaryDirectory(prefix="replay-") as folder:
        mix_file = Path(folder) / "mix.tsv"
        load.write_mix(call, load.sign_in(call), mix_file)
        mix = [line.split("\t") for line in mix_file.read_text(encoding="utf-8").splitlines()]
    return app, client, mix


def client_caller(client):
    """load.py's call(method, path, authorization, body=None), through the test client."""
    def call(method: str, path: str, authorization: str, body=None):
        answer = client.open(path, method=method, headers={"Authorization": authorization},
                             json=body)
        if not 200 <= answer.status_code < 300:
            raise RuntimeError(f"{method} {path} answered {answer.status_code}: "
                               f"{answer.get_data(as_text=True)[:300]}")
        return answer.get_json()
    return call


def kind_of(method: str, path: str) -> str:
    """`GET /experts?…` (a search), `GET /requests` (a list), `GET /requests/<id>` …"""
    resource, _, query = path.removeprefix("/api/v1/").partition("?")
    parts = resource.split("/")
    name = "/".join(["<id>" if part.isdigit() else part for part in parts])
    if method == "GET" and parts == ["experts"] and query:
        name += "?…"
    return f"{method} /{name}"


def replay(client, calls: list, statements: list, database: str) -> dict:
    """{kind: [(app CPU s, statements, database CPU s) per call]} for one pass over calls."""
    backends = load.database_pids(database)  # the app's pooled connections
    measured = defaultdict(list)
    for n, call in enumerate(calls):
        cpu, sent, db_cpu = time.process_time(), statements[0], load.cpu_seconds(backends)
        send(client, n, call)
        measured[kind_of(*call[:2])].append(
            (time.process_time() - cpu, statements[0] - sent, load.cpu_seconds(backends) - db_cpu))
    return measured


def send(client, n: int, call: list) -> None:
    """The mix's n-th call through the test client; a write gets a new travel limit, as
    load.lua gives it, so that it changes the row."""
    method, path, authorization, body = call
    data = {"max_travel_km": 800 + n % 700} if body else None  # the mix's one write
    answer = client.open(path, method=method, headers={"Authorization": authorization},
                         json=data)
    if not 200 <= answer.status_code < 300:
        sys.exit(f"{method} {path} answered {answer.status_code}")


def table(rounds: list[dict]) -> str:
    """One row per kind: its share of the mix and, per call, the rounds' figures."""
    def figures(kind: str | None, at: int, scale: float) -> str:
        means = []
        for measured in rounds:
            values = [v[at] for k, calls in measured.items() if kind in (None, k)
                      for v in calls]
            means.append(scale * sum(values) / len(values))
        return ", ".join(f"{mean:.1f}" for mean in means)

    total = sum(len(calls) for calls in rounds[0].values())
    lines = ["| call | share | app CPU ms/call | statements/call | db CPU ms/call |",
             "|---|---:|---:|---:|---:|"]
    for kind in sorted(rounds[0]):
        share = 100 * len(rounds[0][kind]) / total
        lines.append(f"| `{kind}` | {share:.1f}% | {figures(kind, 0, 1000)} | "
                     f"{figures(kind, 1, 1)} | {figures(kind, 2, 1000)} |")
    lines.append(f"| whole mix | 100% | {figures(None, 0, 1000)} | {figures(None, 1, 1)} | "
                 f"{figures(None, 2, 1000)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
