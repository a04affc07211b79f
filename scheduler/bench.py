"""Benchmark grid: sizes x distributions x seeds x time limits (x workers), each run a subprocess.

Every run is `python -m scheduler solve --time-limit S` under a small wrapper, so the wall
time includes the interpreter's start and the peak memory is the solver process's own
ru_maxrss. Every plan is checked by `verify` and compared with hand dispatch (baseline.py)
on the same problem. The bound is the relaxation's filled priority (flow.priority_bound),
computed once per problem, so "% of bound" means the same at every limit. The proven
optimum of filled priority (exact.py's MIP) is read from a cache and, with
`optimum="compute"`, computed once per problem up to 5,000 x 2,000 and cached under
artifacts/bench-cache/ (not in git).
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from scheduler.baseline import baseline_state
from scheduler.explain import metrics
from scheduler.flow import priority_bound
from scheduler.generate import DISTRIBUTIONS, generate
from scheduler.model import build_model
from scheduler.problem import Problem
from scheduler.reading import load_problem
from scheduler.verify import verify

SIZES = ("500x300", "1000x500", "5000x2000", "20000x5000", "40000x10000")
LIMITS = (2.0, 5.0, 10.0, 20.0)
SEEDS = (0, 1, 2)
# What 2, 4 and 8 CP-SAT workers buy, at these sizes and at one limit (10 s when in the grid).
WORKERS = (2, 4, 8)
WORKERS_SIZES = ("5000x2000", "20000x5000")
QUICK = {"sizes": ("200x100", "500x300"), "limits": (1.0, 2.0), "seeds": (0,), "workers": ()}
# The floor is searched (bisection, assuming quality grows with the limit) on this ladder,
# up to the largest limit of the run.
FLOOR_LADDER = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 20.0, 30.0)
OPTIMUM_MAX_PAIRS = 5000 * 2000   # requests x experts up to which the MIP is attempted
OPTIMUM_LIMIT_S = 3600.0
CACHE = Path(__file__).resolve().parents[1] / "artifacts" / "bench-cache"
_WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "start = time.monotonic()\n"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "print(time.monotonic() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)
SUMMARY = ("| size | distribution | limit s | runs | wall s | peak MB | % of bound | % of optimum "
           "| priority - hand | fit / hand | travel / hand | violations | below hand or unverified "
           "| wall > limit + 1 s | worse than a shorter limit: priority / then secondary |")
# Runs of the same problem and limit (--repeats): how far apart their plans are.
REPEATS_HEADER = ("| size | distribution | limit s | seeds x runs | priority: widest spread "
                  "| travel / hand: widest spread | secondary terms: widest spread |")
WORKERS_HEADER = ("| size | distribution | limit s | workers | runs | wall s | % of bound "
                  "| priority - hand | travel / hand | violations |")
FLOOR_HEADER = ("| size | distribution | floor s (per seed) | wall s at floor "
                "| floor within limit + 1 s (per seed) | wall s there | runs probed |")


@dataclass
class Instance:
    """One generated problem with its yardsticks (hand dispatch, bound, optimum)."""

    size: str
    distribution: str
    seed: int
    path: Path
    problem: Problem
    pairs: int
    bound: int
    hand: dict
    optimum: int | None = None
    runs: dict = field(default_factory=dict)   # (limit, workers) -> Run
    repeats: dict = field(default_factory=dict)   # limit -> [Run, ...]: the runs after the first


@dataclass
class Run:
    """One `solve` of an instance: its wall, peak and the plan's checked figures."""

    limit: float
    workers: int | None
    wall: float
    peak_mb: float
    status: str
    filled: int
    fit: int
    travel: float
    violations: int
    note: str = ""
    proof_s: float | None = None   # the solver's time_to_proof_s (--json only)
    secondary: int | None = None   # the solver's secondary terms (higher is better)

    def verified(self) -> bool:
        return self.status in ("optimal", "feasible") and self.violations == 0


def parse_size(size: str) -> tuple[int, int]:
    n_req, n_exp = (int(x) for x in size.split("x"))
    return n_req, n_exp


def prepare(size: str, distribution: str, seed: int, workdir: Path, optimum: str) -> Instance:
    """Generate a problem, write it for the CLI, and compute hand dispatch and the bound."""
    n_req, n_exp = parse_size(size)
    started = time.monotonic()
    doc = generate(n_req, n_exp, seed, distribution=distribution)
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True)
    path = workdir / f"{size}-{distribution}-{seed}.json"
    path.write_text(text, encoding="utf-8")
    problem = load_problem(doc)
    model = build_model(problem)
    bound = priority_bound(model)
    hand = metrics(model, baseline_state(model), None)
    inst = Instance(size, distribution, seed, path, problem, len(model.req),
                    bound, hand)
    key = hashlib.sha256(text.encode()).hexdigest()[:16]
    print(f"{size} {distribution} seed {seed}: problem, hand dispatch and bound in "
          f"{time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    inst.optimum = proven_optimum(inst, model, key, compute=optimum == "compute")
    return inst


def proven_optimum(inst: Instance, model, key: str, compute: bool) -> int | None:
    """The cached proven optimum of filled priority; with `compute`, solve the MIP once.

    The cache entry is keyed by size/distribution/seed and holds the problem's hash and
    eligible-pair count: a changed generator or eligibility makes it stale, not wrong.
    """
    from scheduler.exact import max_priority

    path = CACHE / "optimum" / f"{inst.size}-{inst.distribution}-seed{inst.seed}.json"
    if path.exists():
        entry = json.loads(path.read_text(encoding="utf-8"))
        if entry["problem_sha256"] == key and entry["eligible_pairs"] == inst.pairs:
            return entry["optimum"]
    n_req, n_exp = parse_size(inst.size)
    if not compute or n_req * n_exp > OPTIMUM_MAX_PAIRS:
        return None
    state = baseline_state(model)
    started = time.monotonic()
    print(f"computing the proven optimum of {path.stem} (MIP, up to {OPTIMUM_LIMIT_S:.0f} s)",
          file=sys.stderr, flush=True)
    proven = max_priority(state, OPTIMUM_LIMIT_S)
    entry = {"problem_sha256": key, "eligible_pairs": inst.pairs, "bound": inst.bound,
             "optimum": state.filled_priority() if proven else None,
             "seconds": round(time.monotonic() - started, 1), "time_limit_s": OPTIMUM_LIMIT_S}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entry, indent=1) + "\n", encoding="utf-8")
    return entry["optimum"]


def solve_run(inst: Instance, limit: float, workers: int | None) -> Run:
    """Solve through the CLI in a subprocess (cached per limit and workers) and verify."""
    if (limit, workers) not in inst.runs:
        inst.runs[limit, workers] = _solve(inst, limit, workers)
    return inst.runs[limit, workers]


def repeat_runs(inst: Instance, limit: float, repeats: int) -> list[Run]:
    """Every run of the problem at this limit (default workers): the first and `repeats` - 1
    more, solved afresh."""
    first = solve_run(inst, limit, None)
    more = inst.repeats.setdefault(limit, [])
    while len(more) < repeats - 1:
        more.append(_solve(inst, limit, None))
    return [first, *more]


def _solve(inst: Instance, limit: float, workers: int | None) -> Run:
    plan_path = inst.path.with_suffix(f".{limit:g}-{workers}.plan.json")
    cmd = [sys.executable, "-m", "scheduler", "solve", str(inst.path), "-o", str(plan_path),
           "--time-limit", str(limit)] + ([] if workers is None else ["--workers", str(workers)])
    # A small wrapper process runs the solve: a child forked from this (large) process
    # would inherit its peak memory figure.
    with open(inst.path.with_suffix(".log"), "a") as log:
        out = subprocess.run([sys.executable, "-c", _WRAPPER, *cmd], stderr=log,
                             stdout=subprocess.PIPE, text=True, check=True,
                             timeout=120 + 10 * limit).stdout
    wall, peak_kb = out.split()
    if plan_path.exists():
        plan = json.loads(plan_path.read_text(encoding="utf-8"))
        plan_path.unlink()
        m = plan["metrics"]
        run = Run(limit, workers, float(wall), int(peak_kb) / 1024, plan["status"],
                  m["filled_priority"], m["fit"], m["travel_km"], len(verify(inst.problem, plan)),
                  proof_s=plan.get("solver", {}).get("time_to_proof_s"),
                  secondary=plan.get("solver", {}).get("secondary"))
    else:   # the solver crashed: a row that fails every check, with its last stderr line
        lines = inst.path.with_suffix(".log").read_text(encoding="utf-8").splitlines()
        run = Run(limit, workers, float(wall), int(peak_kb) / 1024, "crashed", 0, 0, 0.0, 0,
                  lines[-1] if lines else "")
    print(f"{inst.size} {inst.distribution} seed {inst.seed} limit {limit:g} workers "
          f"{workers or 'default'}: wall {run.wall:.2f} s, {run.peak_mb:.0f} MB, {run.status}, "
          f"priority {run.filled} (hand {inst.hand['filled_priority']}, bound {inst.bound}), "
          f"{run.violations} violations {run.note}", file=sys.stderr, flush=True)
    return run


def passes(inst: Instance, run: Run, in_time: bool = False) -> bool:
    """A verified plan not below hand dispatch on filled priority (`in_time`: and the wall
    within the limit + 1 s)."""
    return (run.verified() and run.filled >= inst.hand["filled_priority"]
            and (not in_time or run.wall <= run.limit + 1))


def floor(inst: Instance, top: float, in_time: bool = False) -> float | None:
    """The smallest ladder limit (<= top) whose run passes, by bisection; None if none."""
    ladder = [x for x in FLOOR_LADDER if x < top] + [top]
    if not passes(inst, solve_run(inst, ladder[-1], None), in_time):
        return None
    lo, hi = 0, len(ladder) - 1          # ladder[hi] passes
    while lo < hi:
        mid = (lo + hi) // 2
        if passes(inst, solve_run(inst, ladder[mid], None), in_time):
            hi = mid
        else:
            lo = mid + 1
    return ladder[hi]


def _spread(values: list[float], fmt: str) -> str:
    if not values:
        return "-"
    med = format(statistics.median(values), fmt)
    lo, hi = format(min(values), fmt), format(max(values), fmt)
    return med if lo == hi else f"{med} ({lo} to {hi})"


def _of(known: int, runs: int) -> str:
    return "" if known in (0, runs) else f" [{known} of {runs} seeds]"


def _ratio(a: float, b: float) -> float:
    return a / b if b else 1.0


def summary_row(cell: list[tuple[Instance, Run]]) -> str:
    inst, run = cell[0]
    pct_bound = [100 * _ratio(r.filled, i.bound) for i, r in cell]
    pct_opt = [100 * _ratio(r.filled, i.optimum) for i, r in cell if i.optimum is not None]
    delta = [r.filled - i.hand["filled_priority"] for i, r in cell]
    return (f"| {inst.size} | {inst.distribution} | {run.limit:g} | {len(cell)} "
            f"| {_spread([r.wall for _, r in cell], '.2f')} "
            f"| {_spread([r.peak_mb for _, r in cell], '.0f')} | {_spread(pct_bound, '.3f')} "
            f"| {_spread(pct_opt, '.3f')}{_of(len(pct_opt), len(cell))} "
            f"| {_spread(delta, '+.0f')} "
            f"| {_spread([_ratio(r.fit, i.hand['fit']) for i, r in cell], '.3f')} "
            f"| {_spread([_ratio(r.travel, i.hand['travel_km']) for i, r in cell], '.3f')} "
            f"| {sum(r.violations for _, r in cell)} "
            f"| {sum(not passes(i, r) for i, r in cell)} "
            f"| {sum(r.wall > r.limit + 1 for _, r in cell)} "
            f"| {sum(worse_than_shorter(i, run.limit, _priority) for i, _ in cell)} / "
            f"{sum(worse_than_shorter(i, run.limit, _rank) for i, _ in cell)} |")


def _priority(run: Run) -> tuple:
    return (run.filled,)


def _rank(run: Run) -> tuple:
    """How the solver ranks plans: filled priority, then the secondary terms."""
    return run.filled, run.secondary if run.secondary is not None else 0


def worse_than_shorter(inst: Instance, limit: float, key=_rank) -> bool:
    """Some run of the problem at this limit ranks below some run at a shorter limit (grid
    limits, floor probes and repeats alike): quality fell as the limit grew."""
    runs = [(run.limit, run) for (_, workers), run in inst.runs.items() if workers is None]
    runs += [(at, run) for at, more in inst.repeats.items() for run in more]
    shorter = [key(run) for at, run in runs if at < limit]
    return bool(shorter) and min(key(run) for at, run in runs if at == limit) < max(shorter)


def repeats_row(cell: list[tuple[Instance, list[Run]]]) -> str:
    """The widest spread, over the seeds, between runs of the same problem and limit."""
    inst, runs = cell[0]

    def widest(figure) -> float:
        return max(max(figure(i, r) for r in rs) - min(figure(i, r) for r in rs)
                   for i, rs in cell)

    return (f"| {inst.size} | {inst.distribution} | {runs[0].limit:g} "
            f"| {len(cell)} x {len(runs)} | {widest(lambda i, r: r.filled):.0f} "
            f"| {widest(lambda i, r: _ratio(r.travel, i.hand['travel_km'])):.3f} "
            f"| {widest(lambda i, r: r.secondary or 0):.0f} |")


def workers_row(cell: list[tuple[Instance, Run]]) -> str:
    inst, run = cell[0]
    return (f"| {inst.size} | {inst.distribution} | {run.limit:g} | {run.workers or 'default'} "
            f"| {len(cell)} | {_spread([r.wall for _, r in cell], '.2f')} "
            f"| {_spread([100 * _ratio(r.filled, i.bound) for i, r in cell], '.3f')} "
            f"| {_spread([r.filled - i.hand['filled_priority'] for i, r in cell], '+.0f')} "
            f"| {_spread([_ratio(r.travel, i.hand['travel_km']) for i, r in cell], '.3f')} "
            f"| {sum(r.violations for _, r in cell)} |")


def floor_row(group: list[tuple[Instance, tuple]]) -> str:
    inst = group[0][0]
    cells = []
    for k in (0, 1):
        floors = [f[k] for _, f in group]
        walls = [i.runs[f[k], None].wall for i, f in group if f[k] is not None]
        worst = "none" if None in floors else f"{max(floors):g}"
        per_seed = ", ".join(f"{'none' if f[k] is None else format(f[k], 'g')}"
                             for _, f in group)
        cells.append(f"{worst} ({per_seed}) | {_spread(walls, '.2f')}")
    probes = sum(1 for i, _ in group for (_, w) in i.runs if w is None)
    return f"| {inst.size} | {inst.distribution} | {' | '.join(cells)} | {probes} |"


def _table(header: str, rows: list[str]) -> list[str]:
    return [header, "|" + "---|" * (header.count("|") - 1), *rows]


def run(sizes=None, limits=None, seeds=None, distributions=None, workers=None,
        quick: bool = False, optimum: str = "cached", with_floor: bool = True,
        raw: Path | None = None, repeats: int = 1) -> str:
    """Run the grid and return markdown: the summary, the workers axis, the floors and, with
    `repeats` > 1, the spread between runs of the same problem and limit.

    A size may carry its own limit ("500x300@2"); otherwise every size runs at every limit.
    """
    grid = QUICK if quick else {}
    sizes = list(sizes or grid.get("sizes", SIZES))
    limits = [float(x) for x in (limits or grid.get("limits", LIMITS))]
    seeds = list(seeds if seeds is not None else grid.get("seeds", SEEDS))
    distributions = list(distributions or DISTRIBUTIONS)
    workers = list(workers if workers is not None else grid.get("workers", WORKERS))
    summary, axis, floors, spreads, records = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for spec in sizes:
            size, _, own = spec.partition("@")
            size_limits = [float(own)] if own else limits
            for dist in distributions:
                insts = []
                for seed in seeds:
                    inst = prepare(size, dist, seed, Path(tmp), optimum)
                    for limit in size_limits:
                        repeat_runs(inst, limit, repeats)
                    if size in WORKERS_SIZES:
                        at = 10.0 if 10.0 in size_limits else max(size_limits)
                        for w in workers:
                            solve_run(inst, at, w)
                    top = max(size_limits)
                    floors_of = (floor(inst, top), floor(inst, top, in_time=True)) \
                        if with_floor else None
                    insts.append((inst, floors_of))
                    records.append({**_record(inst), "floors": floors_of})
                    inst.problem = None   # free the parent's copy before the next problem
                for limit in size_limits:
                    summary.append(summary_row([(i, i.runs[limit, None]) for i, _ in insts]))
                    if repeats > 1:
                        spreads.append(repeats_row([(i, repeat_runs(i, limit, repeats))
                                                    for i, _ in insts]))
                for at, w in sorted({k for i, _ in insts for k in i.runs if k[1] is not None}):
                    axis.append(workers_row([(i, i.runs[at, w]) for i, _ in insts]))
                if with_floor:
                    floors.append(floor_row(insts))
    if raw:
        raw.write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")
    out = _table(SUMMARY, summary)
    if axis:
        out += ["", *_table(WORKERS_HEADER, axis)]
    if floors:
        out += ["", *_table(FLOOR_HEADER, floors)]
    if spreads:
        out += ["", *_table(REPEATS_HEADER, spreads)]
    return "\n".join(out)


def _record(inst: Instance) -> dict:
    return {"size": inst.size, "distribution": inst.distribution, "seed": inst.seed,
            "eligible_pairs": inst.pairs, "bound": inst.bound, "optimum": inst.optimum,
            "hand": {k: inst.hand[k] for k in ("filled_priority", "fit", "travel_km")},
            "runs": [vars(r) for r in inst.runs.values()],
            "repeats": [vars(r) for more in inst.repeats.values() for r in more]}


# The markers count on lines of their own: the docs also name them in their prose.
MARKED = re.compile(r"^<!-- bench:start -->$.*?^<!-- bench:end -->$", re.M | re.S)


def write_into(path: Path, table: str, command: str) -> None:
    """Replace the text between the bench markers in `path` (appended when missing)."""
    block = f"<!-- bench:start -->\nCommand: `{command}`\n\n{table}\n<!-- bench:end -->"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    text, replaced = MARKED.subn(lambda _match: block, text, count=1)
    if not replaced:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main(args) -> int:
    """The `bench` command: run the grid, print the tables, optionally write them; with
    --replan, the re-plan table instead (20 changes to one solved plan)."""
    if args.replan:
        size = args.sizes[0] if args.sizes else "5000x2000"
        print(replan_bench(size, args.seeds[0] if args.seeds else 0, cli=True), flush=True)
        return 0
    table = run(sizes=args.sizes, limits=args.limits, seeds=args.seeds,
                distributions=args.distributions, workers=args.workers, quick=args.quick,
                optimum=args.optimum, with_floor=not args.no_floor,
                raw=Path(args.json) if args.json else None, repeats=args.repeats)
    print(table, flush=True)
    if args.write:
        write_into(Path(args.write), table, "python -m scheduler bench " + " ".join(sys.argv[2:]))
    return 0


# -- re-plan: one change to a solved plan, then `replan` (issue 10 item 6) -------------------

REPLAN_CHANGES = (("new request", 7), ("decline", 7), ("unavailable", 6))
REPLAN_HEADER = ("| change | runs | replan call s p50 / p95 / max | load + replan s p50 / p95 "
                 "| CLI s p50 / p95 / max | previous kept % (min) | priority vs previous "
                 "| priority vs full solve | violations |")


def replan_changes(doc: dict, plan: dict, seed: int = 0):
    """Yield (kind, problem) after each of 20 single changes to a solved plan (REPLAN_CHANGES),
    one copy at a time: a new request shaped like an existing one, a declined pair (its
    expert put in the request's `excluded`), an expert made unavailable on the days of his
    assignments."""
    import copy
    import random

    rng = random.Random(seed)
    doc = dict(doc, previous=[{"request": a["request"], "expert": a["expert"]}
                              for a in plan["assignments"]])
    requests = {r["id"]: r for r in doc["requests"]}
    movable = [a for a in plan["assignments"] if not a["pinned"]]
    with_days = sorted({a["expert"] for a in movable if requests[a["request"]]["days"]})
    for kind, count in REPLAN_CHANGES:
        for k in range(count):
            new = copy.deepcopy(doc)
            if kind == "new request":
                r = dict(rng.choice(doc["requests"]), id=f"NEW{k}", case=f"new case {k}",
                         excluded=[])
                r.pop("dispute", None)
                r.pop("procedure", None)
                new["requests"].append(r)
            elif kind == "decline":
                a = rng.choice(movable)
                r = next(x for x in new["requests"] if x["id"] == a["request"])
                r["excluded"] = [*r.get("excluded", []), a["expert"]]
            else:
                gone = rng.choice(with_days)
                e = next(x for x in new["experts"] if x["id"] == gone)
                e["unavailable"] = [*(e.get("unavailable") or []), *(
                    d for a in movable if a["expert"] == gone
                    for d in requests[a["request"]]["days"])]
            yield kind, new


def replan_bench(size: str = "5000x2000", seed: int = 0, limit: float = 5.0,
                 replan_limit: float = 1.0, cli: bool = True,
                 reference: float | None = None) -> str:
    """Solve a generated problem once (`limit` s), then re-plan after each of 20 changes:
    in-process (the replan call alone, and with load_problem) and, with `cli`, through
    `python -m scheduler solve --replan` (interpreter start included). With `reference`,
    a full solve of each changed problem for that many seconds says what was avoidable."""
    from scheduler.replan import replan
    from scheduler.solve import solve

    n_req, n_exp = parse_size(size)
    doc = generate(n_req, n_exp, seed)
    plan = solve(load_problem(doc), time_limit_s=limit, seed=seed).to_dict()
    before = plan["metrics"]["filled_priority"]
    rows: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n, (kind, changed) in enumerate(replan_changes(doc, plan, seed)):
            t0 = time.monotonic()
            problem = load_problem(changed)
            t1 = time.monotonic()
            out = replan(problem, time_limit_s=replan_limit, seed=seed).to_dict()
            t2 = time.monotonic()
            s = out["solver"]
            run = {"call": t2 - t1, "load": t2 - t0, "delta": out["metrics"]["filled_priority"]
                   - before, "kept": 100 * s["previous_kept"] / max(1, s["previous_valid"]),
                   "violations": len(verify(problem, out))}
            if cli:
                run["cli"] = _replan_cli(Path(tmp) / f"change{n}.json", changed, replan_limit)
            if reference:
                full = solve(problem, time_limit_s=reference, seed=seed).metrics
                run["ref"] = out["metrics"]["filled_priority"] - full["filled_priority"]
            print(f"{kind}: {run}", file=sys.stderr, flush=True)
            rows.setdefault(kind, []).append(run)
    rows["all"] = [r for runs in list(rows.values()) for r in runs]
    return "\n".join(_table(REPLAN_HEADER, [_replan_row(k, v) for k, v in rows.items()]))


def _replan_cli(path: Path, doc: dict, limit: float) -> float:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "scheduler", "solve", "--replan", str(path), "-o",
                    str(path.with_suffix(".plan.json")), "--time-limit", str(limit)],
                   stderr=subprocess.DEVNULL, check=True, timeout=60)
    return time.monotonic() - started


def _pcts(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered) + 0.5) - 1)]
    return f"{statistics.median(ordered):.2f} / {p95:.2f} / {ordered[-1]:.2f}"


def _replan_row(kind: str, runs: list[dict]) -> str:
    cli = _pcts([r["cli"] for r in runs]) if "cli" in runs[0] else "-"
    ref = _spread([r["ref"] for r in runs], "+.0f") if "ref" in runs[0] else "-"
    load = _pcts([r["load"] for r in runs]).rsplit(" / ", 1)[0]
    return (f"| {kind} | {len(runs)} | {_pcts([r['call'] for r in runs])} | {load} | {cli} "
            f"| {statistics.median(r['kept'] for r in runs):.2f} "
            f"({min(r['kept'] for r in runs):.2f}) "
            f"| {_spread([r['delta'] for r in runs], '+.0f')} | {ref} "
            f"| {sum(r['violations'] for r in runs)} |")
