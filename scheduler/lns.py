"""CP-SAT over a neighbourhood (a set of requests x a set of experts), rest of the plan fixed.

The whole problem is the neighbourhood "all requests x all experts": the same
builder proves small problems optimal and improves large ones piece by piece.
"""

from __future__ import annotations

import functools
import sys
import threading
import time
from collections import defaultdict

import numpy as np

from scheduler.clock import NEVER, Stop
from scheduler.model import Model, State, lexicographic_big, one_procedure_groups

CP_SAT_IMPORT_S = 0.4  # loading CP-SAT (it imports pandas), paid once per process (2 cores)


def cp_sat_load_s() -> float:
    """What CP-SAT still costs before it can search in this process: its import, once."""
    return 0.0 if "ortools.sat.python.cp_model" in sys.modules else CP_SAT_IMPORT_S


def _day_cliques(model: Model, pairs: list[int]) -> list[list[int]]:
    """Maximal sets of one expert's pairs sharing a day: at most one of each may be chosen."""
    by_day: dict[int, list[int]] = defaultdict(list)
    starts: set[int] = set()
    for p in pairs:
        days = model.req_days[int(model.req[p])]
        if len(days) == 0:
            continue
        for d in days.tolist():
            by_day[d].append(p)
        # A day that starts a run of the request's days: overlaps are all seen at such days.
        run_start = days[np.r_[True, np.diff(days) > 1]]
        starts.update(run_start.tolist())
    cliques, seen = [], set()
    for d in sorted(starts):
        group = tuple(by_day[d])
        if len(group) > 1 and group not in seen:
            seen.add(group)
            cliques.append(list(group))
    return cliques


def constraint_groups(model: Model, state: State, allowed: np.ndarray) -> list:
    """(pairs, right-hand side) for every <= constraint of rules 8, 9, 10 and 12."""
    m = model
    by_req, by_exp = defaultdict(list), defaultdict(list)
    for p in allowed.tolist():
        by_req[int(m.req[p])].append(p)
        by_exp[int(m.exp[p])].append(p)
    groups = []
    for r, ps in by_req.items():
        groups.append((ps, int(m.seats[r] - state.filled[r])))
        by_org = defaultdict(list)
        for p in ps:
            for org in m.exp_orgs[int(m.exp[p])]:
                by_org[org].append(p)
        groups += [(g, 1) for g in by_org.values() if len(g) > 1]
    for e, ps in by_exp.items():
        groups.append((ps, int(m.cap[e] - state.load[e])))
        groups += [(c, 1) for c in _day_cliques(m, ps)]
    return groups


def _score(model: Model, pairs: np.ndarray, big_sub: int) -> np.ndarray:
    """Pair values rescaled to the neighbourhood: the same lexicographic order, smaller numbers."""
    sec = model.value[pairs] - model.prio[pairs] * model.big
    return model.prio[pairs] * big_sub + sec


def optimise(state: State, reqs: np.ndarray, exps: np.ndarray, time_limit_s: float,
             seed: int = 0, workers: int = 1, primary_only: bool = False,
             stop: Stop = NEVER, secondary_gap: float = 0.0,
             stall_s: float | None = None) -> tuple[bool, str]:
    """Re-optimise the pairs reqs x exps in place; return (improved, CP-SAT status name).

    With `primary_only` the objective is the filled priority alone (easy to prove). A stop
    request ends the search and raises Cancelled (the state is left half-changed then).
    `secondary_gap` > 0 (only for a caller that has proven the filled priority optimal)
    lets CP-SAT stop once its bound is within that share of the secondary terms' range
    (big_sub) of the best plan found; the status is then "WITHIN_TOLERANCE", not OPTIMAL.
    `stall_s` (same condition) ends the search once no better plan was found for that many
    seconds; the status is then "STALLED".
    """
    entered = time.monotonic()  # the limit covers loading CP-SAT and building the model
    from ortools.sat.python import cp_model  # ~0.3 s to load (pandas): only when searching

    old, allowed = _free(state, reqs, exps)
    if len(allowed) == 0:
        _put_back(state, old)
        return False, "EMPTY"
    sub = _SubProblem(cp_model.CpModel(), state, allowed, old, primary_only)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit_s - (time.monotonic() - entered))
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    if secondary_gap > 0 and not primary_only:
        solver.parameters.absolute_gap_limit = float(secondary_gap * sub.big_sub)
    watch = _stall_watch_class()(solver, stall_s)
    with stop.interrupting(solver.stop_search), watch:
        # The callback (a Python call per solution) only when a stall can end the search.
        status = solver.solve(sub.model, watch if stall_s is not None else None)
    name = solver.status_name(status)
    if status != cp_model.OPTIMAL and watch.stalled:
        name = "STALLED"
    if status == cp_model.OPTIMAL and secondary_gap > 0 \
            and solver.best_objective_bound > solver.objective_value:
        name = "WITHIN_TOLERANCE"  # stopped by the gap limit, not proven
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and sub.take_if_better(solver):
        return True, name
    _put_back(state, old)
    return False, name


def _free(state: State, reqs: np.ndarray, exps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Take the neighbourhood's pairs out of the plan (pinned ones stay): the pairs taken out
    (`old`), and the neighbourhood's pairs that the rest of the plan still allows."""
    m = state.m
    in_exp = np.zeros(m.n_exp, dtype=bool)
    in_exp[exps] = True
    pairs = np.concatenate([np.arange(m.req_ptr[r], m.req_ptr[r + 1]) for r in reqs]) \
        if len(reqs) else np.zeros(0, dtype=np.int64)
    pairs = pairs[in_exp[m.exp[pairs]]]
    pinned = np.zeros(len(m.req), dtype=bool)
    pinned[m.pinned] = True
    pairs = pairs[~pinned[pairs]]
    old = pairs[state.chosen[pairs]]
    for p in old:
        state.remove(int(p))
    allowed = np.array([int(p) for p in pairs if state.can_add(int(p))], dtype=np.int64)
    return old, allowed


def _put_back(state: State, old: np.ndarray) -> None:
    for p in old:
        state.add(int(p))


class _SubProblem:
    """The CP-SAT model of one neighbourhood with the rest of the plan fixed: a variable per
    allowed pair, the rules among them, the objective, and the plan it would replace as the
    hint."""

    def __init__(self, model, state: State, allowed: np.ndarray, old: np.ndarray,
                 primary_only: bool):
        m = state.m
        self.model, self.state, self.allowed, self.old = model, state, allowed, old
        self.primary_only = primary_only
        # Same lexicographic order as the model, with the range of this neighbourhood only.
        self.big_sub = 1 if primary_only else lexicographic_big(
            m.req[allowed], m.value[allowed] - m.prio[allowed] * m.big, 100 * m.w_fair,
            m.seats - state.filled)
        # assign[p] is true when the pair p = (request, expert) is in the plan.
        self.assign = {int(p): model.new_bool_var(f"assign[{m.req[p]},{m.exp[p]}]")
                       for p in allowed}
        self.by_exp = defaultdict(list)
        for p in allowed:
            self.by_exp[int(m.exp[p])].append(int(p))
        # Rules 8, 9, 10 and 12: the groups the whole-problem MIP states too (exact.py).
        for group, most in constraint_groups(m, state, allowed):
            model.add(sum(self.assign[p] for p in group) <= most)
        # Rule one_procedure: an expert serves one procedure of a dispute.
        self.served = add_one_procedure(m, self.assign, allowed, model.new_bool_var, model.add)
        self.step_vars: dict[int, list] = {}
        objective = self._fairness()
        self._objective(objective)
        self._hint()

    def _fairness(self) -> list:
        """The fairness steps: the k-th extra assignment of an expert costs fair_cost(e,
        load + k), rising in k; returns their objective terms."""
        m, model, assign, state = self.state.m, self.model, self.assign, self.state
        objective = []
        for e, ps in self.by_exp.items():
            spare = int(m.cap[e] - state.load[e])
            steps = [model.new_bool_var(f"load[{e}]>={k}")
                     for k in range(1, min(spare, len(ps)) + 1)]
            if steps and not self.primary_only:
                self.step_vars[e] = steps
                model.add(sum(steps) == sum(assign[p] for p in ps))
                base = int(state.load[e])
                objective += [-m.fair_cost(e, base + k) * s for k, s in enumerate(steps, 1)]
        return objective

    def _objective(self, objective: list) -> None:
        m, allowed, assign = self.state.m, self.allowed, self.assign
        # Only a plan with at least the filled priority it replaces can be accepted: saying
        # so tightens CP-SAT's bound to the secondary terms once the priority is at its optimum.
        old_prio = int(m.prio[self.old].sum())
        if old_prio:
            self.model.add(sum(int(m.prio[p]) * assign[int(p)] for p in allowed) >= old_prio)
        scores = m.prio[allowed] if self.primary_only else _score(m, allowed, self.big_sub)
        objective += [int(v) * assign[int(p)] for p, v in zip(allowed, scores, strict=True)]
        self.model.maximize(sum(objective))

    def _hint(self) -> None:
        """The plan being replaced, complete: its pairs, procedures and fairness steps."""
        old_set = set(self.old.tolist())
        for p in self.allowed:
            self.model.add_hint(self.assign[int(p)], int(p) in old_set)
        for var, ps in self.served:
            self.model.add_hint(var, any(p in old_set for p in ps))
        for e, steps in self.step_vars.items():
            n_old = sum(int(p) in old_set for p in self.by_exp[e])
            for k, var in enumerate(steps, 1):
                self.model.add_hint(var, k <= n_old)

    def take_if_better(self, solver) -> bool:
        """Put the solver's plan of the neighbourhood into the state if it beats the old one."""
        m, state = self.state.m, self.state
        new = [p for p in self.allowed if solver.boolean_value(self.assign[int(p)])]
        old_in = [p for p in self.old if p in self.assign]
        better = (m.prio[new].sum() > m.prio[old_in].sum() if self.primary_only
                  else _value(state, new, self.big_sub) > _value(state, old_in, self.big_sub))
        if better:
            for p in sorted(new, key=lambda p: -m.value[p]):
                state.add(int(p))
        return better


def add_one_procedure(m: Model, assign: dict, allowed: np.ndarray, new_var, add) -> list:
    """Rule one_procedure in a CP-SAT model or a MIP (their `new_var` and `add`): for each
    expert with pairs in two procedures of a dispute, a variable per procedure that each of
    its pairs implies, at most one of them true. Returns [(variable, its pairs)]."""
    out = []
    for k, by_proc in enumerate(one_procedure_groups(m, allowed)):
        serves = []
        for j, ps in enumerate(by_proc):
            var = new_var(f"serves[{k},{j}]")
            for p in ps:
                add(assign[p] <= var)
            serves.append(var)
            out.append((var, ps))
        add(sum(serves) <= 1)
    return out


@functools.cache
def _stall_watch_class():
    """The _StallWatch class, built on first use so that importing this module does not
    load CP-SAT."""
    from ortools.sat.python import cp_model

    class _StallWatch(cp_model.CpSolverSolutionCallback):
        """Stop a CP-SAT search that found no better solution for `stall_s` seconds (None: off).

        A watcher thread polls; the solution callback records when the last solution came."""

        def __init__(self, solver: cp_model.CpSolver, stall_s: float | None):
            super().__init__()
            self.solver, self.stall_s = solver, stall_s
            self.last = time.monotonic()
            self.stalled = False
            self._done = threading.Event()
            self._thread: threading.Thread | None = None

        def on_solution_callback(self) -> None:
            self.last = time.monotonic()

        def _watch(self) -> None:
            while not self._done.wait(0.05):
                if time.monotonic() - self.last > self.stall_s:
                    self.stalled = True
                    self.solver.stop_search()

        def __enter__(self) -> _StallWatch:
            self.last = time.monotonic()
            if self.stall_s is not None:
                self._thread = threading.Thread(target=self._watch, name="scheduler-stall-watch",
                                                daemon=True)
                self._thread.start()
            return self

        def __exit__(self, *exc) -> None:
            self._done.set()
            if self._thread is not None:
                self._thread.join()

    return _StallWatch


def _value(state: State, pairs, big_sub: int) -> int:
    m = state.m
    if not len(pairs):
        return 0
    pairs = np.array(pairs, dtype=np.int64)
    total = int(_score(m, pairs, big_sub).sum())
    for e, n in zip(*np.unique(m.exp[pairs], return_counts=True), strict=True):
        total -= sum(m.fair_cost(int(e), int(state.load[e]) + k) for k in range(1, int(n) + 1))
    return total


def neighbourhood(state: State, seed_request: int, rng: np.random.Generator,
                  width: int = 8, alternatives: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Experts a request could use, the requests they serve now, and those requests' options."""
    m = state.m
    ps = np.arange(m.req_ptr[seed_request], m.req_ptr[seed_request + 1])
    ps = ps[np.argsort(-m.value[ps], kind="stable")]
    experts = set(m.exp[ps[:width]].tolist())
    if len(ps) > width:
        experts.update(rng.choice(m.exp[ps], size=min(width // 2, len(ps)), replace=False).tolist())
    chosen = np.flatnonzero(state.chosen)
    held = chosen[np.isin(m.exp[chosen], list(experts))]
    requests = {seed_request, *m.req[held].tolist()}
    for r in list(requests):
        qs = np.arange(m.req_ptr[r], m.req_ptr[r + 1])
        qs = qs[np.argsort(-m.value[qs], kind="stable")][:alternatives]
        experts.update(m.exp[qs].tolist())
    return np.array(sorted(requests), dtype=np.int64), np.array(sorted(experts), dtype=np.int64)


def run_lns(state: State, deadline: float, rng: np.random.Generator, seeds: list[int],
            on_improve=None, workers: int = 1, stop: Stop = NEVER,
            give_up: tuple[int, object] | None = None) -> int:
    """Improve the plan around each seed request until the deadline; return improvements.

    With `give_up` = (n, converged): return -1 as soon as n neighbourhoods in a row brought
    no improvement while converged() is true (the caller's "nothing left to gain" test).
    """
    improved, idle = 0, 0
    for r in seeds:
        stop.check()
        left = deadline - time.monotonic()
        if left < 0.05:
            break
        reqs, exps = neighbourhood(state, int(r), rng)
        ok, _ = optimise(state, reqs, exps, min(0.5, left), seed=int(rng.integers(1 << 30)),
                         workers=workers, stop=stop)
        if ok:
            improved += 1
            idle = 0
            if on_improve:
                on_improve()
        else:
            idle += 1
            if give_up is not None and idle >= give_up[0] and give_up[1]():
                return -1
    return improved
