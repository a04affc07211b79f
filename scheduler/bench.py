"""Benchmark table: each row runs `python -m scheduler solve` in a subprocess.

Wall time is the whole command (start-up, JSON in and out); peak memory is the
child's ru_maxrss. Every row is verified and compared with hand dispatch.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from scheduler.baseline import baseline_plan
from scheduler.flow import relax
from scheduler.generate import generate
from scheduler.model import State, build_model
from scheduler.problem import load_problem
from scheduler.verify import verify

# The limit bounds the whole command and the search uses all of it, so the 20,000 x 5,000 row
# asks for 19 s to land under its 20 s target rather than on it.
FULL = ["500x300@2", "5000x2000@5", "5000x2000@20", "20000x5000@19", "replan:5000x2000@5",
        "plain:5000x2000@10"]
QUICK = ["500x300@2", "2000x1000@3", "replan:1000x500@3", "plain:1000x500@3"]
_WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "start = time.monotonic()\n"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "print(time.monotonic() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)
HEADER = ("| case | limit s | wall s | peak MB | status | filled priority | bound | % of bound "
          "| baseline priority | fit / baseline | travel / baseline | violations | notes |")


def run_cli(doc: dict, limit: float, workdir: Path, name: str) -> tuple[dict, float, float]:
    """Solve through the CLI; return (plan, wall seconds, peak MB of the child)."""
    problem_path, plan_path = workdir / f"{name}.json", workdir / f"{name}.plan.json"
    problem_path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    cmd = [sys.executable, "-m", "scheduler", "solve", str(problem_path), "-o", str(plan_path),
           "--time-limit", str(limit)]
    # A small wrapper process runs the solve: a child forked from this (large) process
    # would inherit its peak memory figure.
    with open(workdir / f"{name}.log", "w") as log:
        out = subprocess.run([sys.executable, "-c", _WRAPPER, *cmd], stderr=log,
                             stdout=subprocess.PIPE, text=True, check=True).stdout
    wall, peak_kb = out.split()
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    return plan, float(wall), int(peak_kb) / 1024


def _parse(case: str) -> tuple[str, int, int, float]:
    kind, _, rest = case.rpartition(":")
    size, _, limit = rest.partition("@")
    n_req, n_exp = (int(x) for x in size.split("x"))
    return kind or "solve", n_req, n_exp, float(limit or 10)


def _row(case, limit, wall, mb, plan, problem, notes="") -> str:
    base = baseline_plan(problem).metrics
    m = plan["metrics"]
    violations = len(verify(problem, plan))
    pct = 100.0 * m["filled_priority"] / m["bound"] if m["bound"] else 100.0
    fit = m["fit"] / base["fit"] if base["fit"] else 1.0
    travel = m["travel_km"] / base["travel_km"] if base["travel_km"] else 0.0
    return (f"| {case} | {limit:g} | {wall:.2f} | {mb:.0f} | {plan['status']} | "
            f"{m['filled_priority']} | {m['bound']} | {pct:.3f}% | {base['filled_priority']} | "
            f"{fit:.3f} | {travel:.3f} | {violations} | {notes} |")


def _replan(n_req: int, n_exp: int, limit: float, seed: int, workdir: Path) -> str:
    doc = generate(n_req, n_exp, seed)
    first, _, _ = run_cli(doc, limit, workdir, "replan-first")
    doc["previous"] = [{"request": a["request"], "expert": a["expert"]}
                       for a in first["assignments"]]
    new = dict(doc["requests"][0], id="NEW", priority=5)
    doc["requests"].append(new)
    plan, wall, mb = run_cli(doc, limit, workdir, "replan")
    before = {(a["request"], a["expert"]) for a in first["assignments"]}
    after = {(a["request"], a["expert"]) for a in plan["assignments"]}
    kept = 100.0 * len(before & after) / max(1, len(before))
    filled_new = any(a["request"] == "NEW" for a in plan["assignments"])
    gain = plan["metrics"]["filled_priority"] - first["metrics"]["filled_priority"]
    notes = (f"new request filled: {'yes' if filled_new else 'no'}; previous kept {kept:.2f}%;"
             f" filled priority {gain:+d} vs previous plan")
    return _row(f"re-plan {n_req}x{n_exp} + 1 request", limit, wall, mb, plan,
                load_problem(doc), notes)


def _plain(n_req: int, n_exp: int, limit: float, seed: int, workdir: Path) -> str:
    doc = generate(n_req, n_exp, seed)
    for r in doc["requests"]:
        r["days"], r["seats"] = [], 1
    plan, wall, mb = run_cli(doc, limit, workdir, "plain")
    problem = load_problem(doc)
    model = build_model(problem)
    chosen, _ = relax(model)
    flow = State(model)
    for p in chosen.nonzero()[0]:
        flow.add(int(p))
    index = {(int(r), int(e)): p for p, (r, e) in enumerate(zip(model.req, model.exp,
                                                                strict=True))}
    r_pos = {r.id: k for k, r in enumerate(problem.requests)}
    e_pos = {e.id: k for k, e in enumerate(problem.experts)}
    ours = State(model)
    for a in plan["assignments"]:
        ours.add(index[r_pos[a["request"]], e_pos[a["expert"]]])
    same = "equal" if ours.objective() == flow.objective() else (
        f"differs: {ours.objective()} vs {flow.objective()}")
    return _row(f"plain {n_req}x{n_exp}", limit, wall, mb, plan, problem,
                f"objective {same} to the min-cost-flow optimum")


def run(sizes: list[str] | None = None, quick: bool = False, seed: int = 0) -> str:
    """Run the benchmark rows and return a markdown table."""
    cases = sizes or (QUICK if quick else FULL)
    lines = [HEADER, "|" + "---|" * (HEADER.count("|") - 1)]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for case in cases:
            kind, n_req, n_exp, limit = _parse(case)
            if kind == "replan":
                lines.append(_replan(n_req, n_exp, limit, seed, workdir))
            elif kind == "plain":
                lines.append(_plain(n_req, n_exp, limit, seed, workdir))
            else:
                doc = generate(n_req, n_exp, seed)
                plan, wall, mb = run_cli(doc, limit, workdir, f"{n_req}x{n_exp}")
                pairs = plan["solver"].get("eligible_pairs", 0)
                lines.append(_row(f"{n_req}x{n_exp}", limit, wall, mb, plan, load_problem(doc),
                                  f"{pairs:,} eligible pairs"))
            print(lines[-1], file=sys.stderr, flush=True)
    return "\n".join(lines)
