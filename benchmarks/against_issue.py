"""Saturation of the code issue 8 probed against today's, on one mix, alternated.

    python -m benchmarks.against_issue [--rounds 4] [--duration 20] [--rev 266e225]

Issue 8 asks the saturation throughput of the mix to "at least quadruple" from the 75 calls/s
its probe measured. That figure came from its own mix on its own machine, so this replays one
mix against both codes on this machine: `make load`'s mix (benchmarks/load.py) with the polls
replaced by `GET /api/v1/users/me`, since the old code has no solver-run API. The old code
(`--rev`, checked out with `git worktree` into a temporary folder, run with this checkout's
virtualenv) is served as the issue served it (`gunicorn --preload -w 2`, sync workers),
today's by gunicorn.conf.py (gthread 2 x 2). Each has its own database (`load_issue`,
`load_today`: dropped, migrated and demo-seeded by its own code). Each run: sign in, build the
mix, warm up 5 s, then 50 connections without pause for `--duration` seconds; the two codes
take turns, the first alternating between rounds, since the machine's speed drifts.

Prints one markdown row per run for docs/load.md. A measurement, not a test.
"""

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import load

ISSUE_REV = "266e225"  # the commit issue 8 was filed against
ISSUE_DEMO_PASSWORD = "demo-password"  # its demo accounts' password (today's is stronger)
# load.start_server's options: gunicorn.conf.py's workers and threads, no access log.
GUNICORN_CONF_DEFAULTS = argparse.Namespace(workers=None, threads=None, access_log=False)


def main() -> None:
    options = parse_options()
    with tempfile.TemporaryDirectory(prefix="issue-code-") as folder:
        old = Path(folder) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(old), options.rev],
                       cwd=load.ROOT, check=True)
        try:
            codes = {"issue's": (old, "load_issue"), "today's": (load.ROOT, "load_today")}
            for tree, database in codes.values():
                load.prepare_database(database, f"{load.PG}/{database}", tree)
            print("| run | code | loop s | load avg | calls | calls/s | p95 ms | errors "
                  "| app CPU ms/call | db CPU ms/call |\n|---:|---|---:|---:|---:|---:|---:|---:"
                  "|---:|---:|")
            order = list(codes)
            for n in range(options.rounds):
                for label in order if n % 2 == 0 else order[::-1]:
                    print(saturate(label, *codes[label], options.duration, n + 1), flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=load.ROOT)


def parse_options():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--duration", type=int, default=20, help="seconds a run")
    parser.add_argument("--rev", default=ISSUE_REV, help="the old code's commit")
    return parser.parse_args()


def saturate(label: str, tree: Path, database: str, seconds: int, run: int) -> str:
    port = load.free_port()
    base = f"http://127.0.0.1:{port}"
    server = start(tree, f"{load.PG}/{database}", port)
    try:
        load.wait_until_up(base, server)
        call = load.http_caller(base)
        tokens = load.sign_in(call, ISSUE_DEMO_PASSWORD if tree != load.ROOT else None)
        with tempfile.TemporaryDirectory(prefix="mix-") as folder:
            mix = Path(folder) / "mix.tsv"
            load.write_mix(call, tokens, mix, polling=who_am_i)
            load.check_each_call_once(call, mix)
            load.wrk(base, mix, 5, 16, 0)  # warm-up
            app, db = load.server_pids(server), load.database_pids(database)
            loop, load_avg = load.python_loop_s(), os.getloadavg()[0]
            app_cpu, db_cpu = load.cpu_seconds(app), load.cpu_seconds(db)
            result = load.summarise(load.wrk(base, mix, seconds, 50, 0))
            app_cpu, db_cpu = load.cpu_seconds(app) - app_cpu, load.cpu_seconds(db) - db_cpu
    finally:
        load.stop(server)
    calls = result["calls"]
    return (f"| {run} | {label} | {loop:.2f} | {load_avg:.1f} | {calls} | {result['rps']:.0f} | "
            f"{result['p95']:.0f} | {result['errors']} | {app_cpu / calls * 1000:.1f} | "
            f"{db_cpu / calls * 1000:.1f} |")


def start(tree: Path, url: str, port: int) -> subprocess.Popen:
    """Today's code as `make load` serves it; the issue's as the issue served it."""
    if tree == load.ROOT:
        return load.start_server(url, port, GUNICORN_CONF_DEFAULTS)
    env = os.environ | {"REGISTRY_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
                        "DATABASE_URL": url, "PYTHONPATH": str(tree)}
    return subprocess.Popen([load.BIN / "gunicorn", "--preload", "-w", "2", "-b",
                             f"127.0.0.1:{port}", "registry.wsgi:app"], env=env, cwd=tree,
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def who_am_i(_call, yrd: str, gba: str, _today) -> list[tuple]:
    """The polls' stand-in: a cheap authenticated read both codes have."""
    return [("GET", "/api/v1/users/me", token, "") for token in (yrd, gba)]


if __name__ == "__main__":
    if not (load.ROOT / ".git").exists():
        sys.exit("needs a git checkout: the old code is checked out with git worktree")
    main()
