"""Command line: python -m scheduler {solve,verify,generate,bench,rules} ..."""

import os
import time


def _since_process_start() -> float:
    """Seconds since this process started (Linux /proc), so the limit covers start-up."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


START = time.monotonic() - _since_process_start()  # the time limit covers start-up too

import argparse  # noqa: E402
import gc  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import orjson  # noqa: E402

from scheduler.plan import invalid_plan  # noqa: E402
from scheduler.problem import MAX_TIME_LIMIT_S, ProblemError  # noqa: E402
from scheduler.reading import load_problem  # noqa: E402


class CliError(Exception):
    """A user error: message on stderr, exit status 2."""


# orjson, not json: it writes the same bytes (UTF-8, no spaces) ten times faster (0.02 s
# against 0.24 s for a 20,000 x 5,000 plan) and reads a third faster; it refuses what a
# problem should not hold anyway (NaN, lone surrogates, numbers out of a double's range).
def _read_json(path: str, what: str):
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        return orjson.loads(data)
    except FileNotFoundError as exc:
        raise CliError(f"{what} file not found: {path}") from exc
    except OSError as exc:
        raise CliError(f"cannot read {what} file {path}: {exc}") from exc
    except orjson.JSONDecodeError as exc:
        raise CliError(f"{what} file {path} is not valid JSON: {exc}") from exc


def _write_json(doc: dict, path: str | None) -> None:
    data = orjson.dumps(doc) + b"\n"
    if path:
        Path(path).write_bytes(data)
    elif hasattr(sys.stdout, "buffer"):
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
    else:  # a text stream put in its place (a caller capturing the output)
        sys.stdout.write(data.decode("utf-8"))


def _progress_printer(start: float):
    def show(event: dict) -> None:
        best = event.get("filled_priority")
        print(f"[{time.monotonic() - start:7.2f}s] {event['phase']:<15} "
              f"best {'-' if best is None else best}  bound {event.get('bound') or '-'}",
              file=sys.stderr, flush=True)
    return show


def cmd_solve(args, start: float) -> int:
    if args.time_limit is not None and not (
            math.isfinite(args.time_limit) and 0 < args.time_limit <= MAX_TIME_LIMIT_S):
        raise CliError(f"--time-limit must be a number of seconds in (0, "
                       f"{MAX_TIME_LIMIT_S:.0f}], got {args.time_limit}")
    if args.workers is not None and args.workers < 1:
        raise CliError(f"--workers must be at least 1, got {args.workers}")
    doc = _read_json(args.problem, "problem")
    try:
        problem = load_problem(doc)
    except ProblemError as exc:
        for message in exc.errors:
            print(f"invalid problem: {message}", file=sys.stderr)
        _print_warnings(exc.warnings)
        _write_json(invalid_plan(exc.errors, exc.warnings).to_dict(), args.output)
        return 2
    _print_warnings(problem.warnings)
    if args.replan and problem.previous:  # re-plan from the previous pairs (default 1 s)
        from scheduler.replan import DEFAULT_LIMIT_S
        from scheduler.replan import replan as solve

        limit = DEFAULT_LIMIT_S if args.time_limit is None else args.time_limit
    else:
        from scheduler.solve import solve

        limit = args.time_limit
    # The limit bounds the whole command, from process start: solve counts it from there and
    # keeps back the time to write the plan.
    plan = solve(problem, time_limit_s=limit, seed=args.seed, started=start,
                 progress=_progress_printer(start), workers=args.workers)
    _write_json(plan.to_dict(), args.output)
    m = plan.metrics
    print(f"[{time.monotonic() - start:7.2f}s] {plan.status}: filled priority "
          f"{m['filled_priority']} of bound {m['bound']}, seats {m['seats_filled']}/"
          f"{m['seats_total']}", file=sys.stderr)
    return 0


def _print_warnings(warnings) -> None:
    """Items left out of the problem (Problem.warnings), one line each on stderr."""
    for message in warnings:
        print(f"warning: {message}", file=sys.stderr)


def cmd_verify(args, start: float) -> int:
    from scheduler.verify import verify

    doc = _read_json(args.problem, "problem")
    plan = _read_json(args.plan, "plan")
    try:
        problem = load_problem(doc)
    except ProblemError as exc:
        for message in exc.errors:
            print(f"invalid problem: {message}", file=sys.stderr)
        return 2
    # The same items are left out as when solving: a plan that assigns one breaks rule 0.
    _print_warnings(problem.warnings)
    if not isinstance(plan, dict) or not isinstance(plan.get("assignments", []), list):
        raise CliError("plan file is not a dispatch-plan/1 object with an assignments list")
    violations = verify(problem, plan)
    for v in violations:
        print(v)
    if violations:
        return 1
    print(f"valid: {len(plan.get('assignments', []))} assignments break none of the 13 rules")
    return 0


def cmd_generate(args, start: float) -> int:
    from scheduler.generate import generate

    if args.requests < 1 or args.experts < 1:
        raise CliError("--requests and --experts must be at least 1")
    _write_json(generate(args.requests, args.experts, args.seed, history=args.history),
                args.output)
    return 0


def cmd_bench(args, start: float) -> int:
    from scheduler.bench import main as bench_main

    return bench_main(args)


def cmd_rules(args, start: float) -> int:
    from scheduler import rules_doc

    if args.write:
        changed = rules_doc.write_into(Path(args.write))
        print(f"{args.write}: {'updated' if changed else 'already up to date'}",
              file=sys.stderr)
    else:
        sys.stdout.write(rules_doc.markdown())
    return 0


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m scheduler", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("solve", help="solve a dispatch-problem/1 file")
    p.add_argument("problem", help="problem JSON file ('-' for stdin)")
    p.add_argument("-o", "--output", help="write the plan here (default stdout)")
    p.add_argument("--time-limit", type=float, help="wall seconds for the whole command")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=None,
                   help="CP-SAT workers (default: this machine's cores, at most 8)")
    p.add_argument("--replan", action="store_true",
                   help="keep the problem's previous pairs and repair only what changed "
                        "(default limit 1 s; a full solve when there are none)")
    p.set_defaults(run=cmd_solve)
    p = sub.add_parser("verify", help="check a plan against the 13 rules")
    p.add_argument("problem")
    p.add_argument("plan")
    p.set_defaults(run=cmd_verify)
    p = sub.add_parser("generate", help="generate a realistic problem")
    p.add_argument("--requests", type=int, required=True)
    p.add_argument("--experts", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--history", action="store_true", help="add pinned and previous pairs")
    p.add_argument("-o", "--output")
    p.set_defaults(run=cmd_generate)
    p = sub.add_parser("bench", help="print the benchmark tables (docs/scheduler.md)")
    p.add_argument("--sizes", nargs="+", help="sizes like 500x300 or 500x300@2 (own limit)")
    p.add_argument("--limits", nargs="+", type=float, help="time limits in s (default 2 5 10 20)")
    p.add_argument("--seeds", nargs="+", type=int, help="generator seeds (default 0 1 2)")
    p.add_argument("--distributions", nargs="+", choices=["current", "skewed", "subgroup"])
    p.add_argument("--workers", nargs="*", type=int,
                   help="workers axis at 5000x2000 and 20000x5000 (default 2 4 8; none: off)")
    p.add_argument("--quick", action="store_true", help="a small grid for a smoke test")
    p.add_argument("--optimum", choices=["cached", "compute"], default="cached",
                   help="compute: solve the exact MIP once per problem up to 5000x2000")
    p.add_argument("--no-floor", action="store_true", help="skip the floor search")
    p.add_argument("--repeats", type=int, default=1, metavar="N",
                   help="solve each problem N times at each limit and print their spread")
    p.add_argument("--replan", action="store_true",
                   help="the re-plan table: 20 changes to one solved plan (first size, seed)")
    p.add_argument("--json", metavar="FILE", help="write every run's figures here")
    p.add_argument("--write", metavar="DOC", help="also write the tables between the "
                   "<!-- bench:start --> and <!-- bench:end --> markers of DOC")
    p.set_defaults(run=cmd_bench)
    p = sub.add_parser("rules", help="print the rule table as markdown (docs/rules.md)")
    p.add_argument("--write", metavar="DOC",
                   help="replace the generated table in this markdown file instead")
    p.set_defaults(run=cmd_rules)
    return ap


def main(argv: list[str] | None = None) -> int:
    start = START if argv is None else time.monotonic()
    args = parser().parse_args(argv)
    try:
        return args.run(args, start)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    if sys.argv[1:2] != ["bench"]:
        # One problem in, one document out, then os._exit: the objects it makes are freed
        # by reference counting (numpy arrays, tuples, no cycles), so the cyclic collector
        # would only walk the problem again and again: most of the 0.7 s of 5.8 s this
        # and orjson save at 20,000 x 5,000, for the same peak (docs/scheduler.md).
        gc.disable()
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip tearing down millions of objects at exit (~0.5 s at 20,000 x 5,000): the plan
    # is written and flushed, nothing else is pending.
    os._exit(code)
