"""The coordinator console: from the Run button to a proposal on screen, and the proposal
page's render time with 500 assignments.

    python -m benchmarks.console [--runs 10] [--renders 40] [--databases sqlite,postgresql]
                                 [--gc-freeze]

For each database: migrate a fresh schema, seed the demo registry as `make demo` does, start
one real worker process (`flask worker`), sign in as the YRD coordinator through the sign-in
form, then, `--runs` times: post the console's Run form for YRD (the next 180 days, 10 s
limit), poll the progress fragment as the page does, and load the run's page once the
fragment says it is finished. Reported per run: the server's share (the run's queue wait,
solve and import, from its own timestamps) and the whole wall time to the proposal page,
with the page's own polling interval in it. Then a registry eight times the demo (3,200
experts, 800 cases) is solved for YRD and its proposal page (about 500 assignments) is
rendered `--renders` times, its default page (the requests needing attention, page 1)
and its page 2, and its 只重排变动之处 button is clicked `--replans` times (the re-plan of
issue 10 item 6, from the console), and the last run's 确认全部 (confirm all) is timed.
Targets (issue 7): Run -> proposal under 3 s for the demo's YRD,
proposal page p95 under 300 ms. With --gc-freeze the renders run after gc.freeze(), as
registry.wsgi serves (full collections then skip the app's own objects); the table counts the
full collections during each page's renders either way. A measurement, not a test: it asserts
nothing.
"""

import argparse
import gc
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from benchmarks.databases import each_database
from benchmarks.expert_search import percentile

ROOT = Path(__file__).resolve().parents[1]
TARGET_RUN_S = 3.0
TARGET_PAGE_P95_MS = 300.0
POLL_S = 1.0  # the progress fragment's hx-trigger (templates/coordinator/_progress.html)
COORDINATOR = "coordinator.yrd@demo.example.com"


def flask(url: str, *args: str) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=url, REGISTRY_ENV="development",
               MAIL_BACKEND="none")
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "registry", *args],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def prepare(url: str, experts: int) -> None:
    for command in (("db", "upgrade"), ("seed", "--demo", "--experts", str(experts))):
        if flask(url, *command).wait() != 0:
            raise SystemExit(f"flask {' '.join(command)} failed on {url}")


@contextmanager
def worker(url: str):
    process = flask(url, "worker", "--executor-id", f"bench-{os.getpid()}")
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def build_app(url: str):
    from registry import create_app

    os.environ.setdefault("REGISTRY_ENV", "development")
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                       "WTF_CSRF_ENABLED": False, "MAIL_BACKEND": "none"})


def signed_in(app):
    from registry.services.seeding import DEMO_PASSWORD

    client = app.test_client()
    response = client.post("/sign-in", data={"email": COORDINATOR, "password": DEMO_PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"could not sign in as {COORDINATOR}: {response.status_code}")
    return client


def run_form() -> dict:
    today = date.today()
    return {"region": "YRD", "from": today.isoformat(),
            "to": (today + timedelta(days=180)).isoformat(), "time_limit_s": "10"}


def click_run(client) -> tuple[int, float, float]:
    """Post the Run form, poll as the page does, open the proposal; (run id, seconds to the
    proposal on screen, server seconds from the click to the stored plan)."""
    return click(client, "/console/runs", run_form())


def click_again(client, run_id: int, mode: str) -> tuple[int, float, float]:
    """The done run's 只重排变动之处 (mode "replan") or 重新求解 ("solve") button, as click_run."""
    return click(client, f"/console/runs/{run_id}/again", {"mode": mode})


def click(client, action: str, form: dict) -> tuple[int, float, float]:
    from registry.extensions import db
    from registry.models import SolverRun

    clicked = time.perf_counter()
    response = client.post(action, data=form)
    match = re.search(r"/console/runs/(\d+)", response.headers.get("Location", ""))
    if not match:
        raise SystemExit(f"{action} answered {response.status_code}")
    run_id = int(match.group(1))
    client.get(f"/console/runs/{run_id}")
    while True:
        time.sleep(POLL_S)
        fragment = client.get(f"/console/runs/{run_id}/progress")
        if "HX-Refresh" in fragment.headers or "HX-Location" in fragment.headers:
            break
    page = client.get(f"/console/runs/{run_id}")
    on_screen = time.perf_counter() - clicked
    if page.status_code != 200:
        raise SystemExit(f"the run page answered {page.status_code}")
    with client.application.app_context():
        run = db.session.get(SolverRun, run_id)
        server = (run.finished_at - run.created_at).total_seconds()
        if run.status.value != "done":
            raise SystemExit(f"run {run_id} ended {run.status.value}: {run.error}")
    return run_id, on_screen, server


def render_times(client, url: str, renders: int) -> list[float]:
    times = []
    for _ in range(renders):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return times


def proposal_size(app, run_id: int) -> tuple[int, int]:
    """(active seats, requests) of the run's proposal: what its page covers."""
    from registry.services.proposals import proposal_view

    with app.app_context():
        from registry.extensions import db
        from registry.models import SolverRun

        view = proposal_view(db.session.get(SolverRun, run_id))
        return view.active_seats, view.counts["all"]


def full_collections() -> int:
    return gc.get_stats()[2]["collections"]


def measure(name: str, url: str, runs: int, renders: int, gc_freeze: bool = False,
            replan_runs: int = 5) -> None:
    prepare(url, 400)
    app = build_app(url)
    with worker(url):
        client = signed_in(app)
        click_run(client)  # warm-up: the worker's first solve imports OR-Tools' solvers
        results = [click_run(client) for _ in range(runs)]
    screen = sorted(r[1] for r in results)
    server = sorted(r[2] for r in results)
    print(f"\n{name}: Run -> proposal on screen, demo registry, YRD ({runs} runs, page "
          f"polling every {POLL_S:.0f} s)")
    print("| | median | p95 | max | target |\n|---|---|---|---|---|")
    print(f"| server: click to stored plan | {percentile(server, 50):.2f} s | "
          f"{percentile(server, 95):.2f} s | {max(server):.2f} s | |")
    print(f"| on screen, polling included | {percentile(screen, 50):.2f} s | "
          f"{percentile(screen, 95):.2f} s | {max(screen):.2f} s | < {TARGET_RUN_S:.0f} s |")

    big_url = url.replace("bench_console", "bench_console_big") if "postgresql" in url \
        else url.replace(".sqlite", "-big.sqlite")
    prepare(big_url, 3200)
    big = build_app(big_url)
    with worker(big_url):
        client = signed_in(big)
        run_id, _, solved_s = click_run(client)
    from registry.services.proposals import PER_PAGE

    seats, requests = proposal_size(big, run_id)
    print(f"\n{name}: proposal page of a run with {seats} assignments on {requests} requests "
          f"({renders} renders each; {PER_PAGE} requests a page; gc.freeze() "
          f"{'called' if gc_freeze else 'not called'})")
    print("| page | p50 | p95 | max | full GCs | target |\n|---|---|---|---|---|---|")
    if gc_freeze:
        gc.collect()
        gc.freeze()  # as registry.wsgi does once the app is built
    for label, query in (("default (needing attention, page 1)", ""), ("page 2", "?page=2")):
        before = full_collections()
        times = sorted(render_times(client, f"/console/runs/{run_id}{query}", renders))
        print(f"| {label} | {percentile(times, 50):.0f} ms | {percentile(times, 95):.0f} ms | "
              f"{max(times):.0f} ms | {full_collections() - before} | "
              f"p95 < {TARGET_PAGE_P95_MS:.0f} ms |")
    if gc_freeze:
        gc.unfreeze()
    # After the renders: a re-plan moves the proposals it keeps to its own run.
    with worker(big_url):
        replans = [click_again(client, run_id, "replan") for _ in range(replan_runs)]
    latest = replans[-1][0] if replans else run_id  # the run holding the proposals now
    started = time.perf_counter()
    confirmed = client.post(f"/console/runs/{latest}/confirm")
    confirm_s = time.perf_counter() - started
    if confirmed.status_code != 302:
        raise SystemExit(f"confirm all answered {confirmed.status_code}")
    replan_server = sorted(r[2] for r in replans)
    replan_screen = sorted(r[1] for r in replans)
    print(f"\n{name}: 只重排变动之处 (re-plan what changed) on the run of {seats} assignments "
          f"({replan_runs} clicks, nothing changed in between; its full solve took "
          f"{solved_s:.2f} s on the server)")
    print("| | median | p95 | max |\n|---|---|---|---|")
    print(f"| server: click to stored plan | {percentile(replan_server, 50):.2f} s | "
          f"{percentile(replan_server, 95):.2f} s | {max(replan_server):.2f} s |")
    print(f"| on screen, polling included | {percentile(replan_screen, 50):.2f} s | "
          f"{percentile(replan_screen, 95):.2f} s | {max(replan_screen):.2f} s |")
    print(f"\n{name}: 确认全部 (confirm all) of that run's {seats} proposals: {confirm_s:.2f} s "
          f"(one request)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--renders", type=int, default=40)
    parser.add_argument("--replans", type=int, default=5,
                        help="re-plans of the large registry's run (the console's button)")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="render the proposal page after gc.freeze(), as registry.wsgi serves")
    args = parser.parse_args()
    for name, url in each_database(args.databases, "bench_console"):
        if "postgresql" in url:
            from benchmarks.databases import prepare_postgresql

            prepare_postgresql("bench_console_big")
        measure(name, url, args.runs, args.renders, args.gc_freeze, args.replans)


if __name__ == "__main__":
    main()
