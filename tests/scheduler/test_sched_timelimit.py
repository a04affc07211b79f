"""A short time limit skips the optional phases instead of overrunning."""

import numpy as np
import pytest

from scheduler import load_problem, solve, verify
from scheduler.generate import generate


@pytest.fixture(scope="module")
def medium():
    return load_problem(generate(1500, 600, 3))


def test_a_tiny_limit_skips_optional_phases_and_still_returns_a_valid_plan(medium):
    plan = solve(medium, time_limit_s=0.01, workers=1)
    skipped = plan.solver["skipped"]
    # Without the bound flow the start is hand dispatch itself (no guard needed).
    assert "bound flow" in skipped or {"hint flow", "second start",
                                       "baseline guard"} <= set(skipped)


def test_without_time_for_the_bound_flow_the_plan_is_never_below_hand_dispatch(medium):
    from scheduler.baseline import baseline_state
    from scheduler.model import build_model

    plan = solve(medium, time_limit_s=0.01, workers=1)
    base = baseline_state(build_model(medium))
    if "bound flow" in plan.solver["skipped"]:
        assert plan.metrics["filled_priority"] >= base.filled_priority()
    assert verify(medium, plan) == []
    assert plan.metrics["filled_priority"] <= plan.metrics["bound"]


def test_a_generous_limit_skips_nothing(medium):
    # Generous: the flows take 0.15-0.6 s (by machine) and get FLOW_SHARE (0.7) of the limit. At 2 s
    # a stall of a second on a busy CI machine killed them (seen once); at 5 s it takes four.
    plan = solve(medium, time_limit_s=5, workers=1)
    assert plan.solver["skipped"] == []
    assert plan.metrics["filled_priority"] <= plan.metrics["bound"]


def _size(k: int) -> float:
    return float("inf") if k == 0 else k  # k = 0: the flow over all pairs, the largest


def test_the_hint_flow_grows_with_the_time_it_is_given(medium):
    from scheduler.flow import hint_arcs
    from scheduler.hints import HINT_SIZES, hint_sizes
    from scheduler.model import build_model

    model = build_model(medium)

    def cost(k):  # seconds, as if each arc took a millisecond
        return 1e-3 * hint_arcs(model, k)

    shares = [0.0] + [cost(k) + 1.0 for k in (16, 48)] + [1e9]
    chosen = [hint_sizes(model, share, 1.0, cost) for share in shares]
    assert {small for small, _ in chosen} == {HINT_SIZES[0]}
    assert chosen[0][1] == HINT_SIZES[0]  # nothing fits: the smallest is still tried
    assert chosen[-1][1] == 0  # everything fits: all pairs
    bigs = [_size(big) for _, big in chosen]
    assert bigs == sorted(bigs) and len(set(bigs)) > 2


def test_hints_are_taken_largest_first():
    import numpy as np

    from scheduler.flow import hint_name, hints_found

    results = {hint_name(k): np.array([k]) for k in (8, 0, 48)}
    results["bound"] = np.array([1])
    assert [k for k, _ in hints_found(results)] == [0, 48, 8]


def _starts(problem):
    """The model, hand dispatch, the largest hint and the starts _first_plan ranks, with
    all the time in the world."""
    import time

    from scheduler.baseline import baseline_state
    from scheduler.flow import hint_flows
    from scheduler.model import build_model
    from scheduler.repair import fill
    from scheduler.solve import Budget, _first_plan, _mask

    model = build_model(problem)
    hand = baseline_state(model)
    fill(hand)
    hints = [_mask(model, pairs) for _, pairs in hint_flows(model, (8, 0), hand.chosen)]
    budget = Budget(time.monotonic() + 3600)
    budget.greedy = 0.01
    best, runners_up = _first_plan(model, hand, hints, budget)
    return model, hand, hints[0], budget, best, runners_up


def test_the_runners_up_are_the_other_starts_best_first(medium):
    from scheduler.solve import MAX_RUNNERS_UP, _rank

    _, _, _, _, best, runners_up = _starts(medium)
    ranks = [_rank(s) for s in [best, *runners_up]]
    assert 1 <= len(runners_up) <= MAX_RUNNERS_UP
    assert ranks == sorted(ranks, reverse=True)
    assert not any((s.chosen == best.chosen).all() for s in runners_up)


def _improved_alone(starts, hand, hint):
    """Each start's rank once the fast local search has improved a copy of it."""
    import time

    from scheduler.improve import improve
    from scheduler.repair import fill
    from scheduler.solve import _rank

    ranks = []
    for start in starts:
        copy = start.copy()
        improve(copy, time.monotonic() + 3600, floor=hand, hint=hint)
        fill(copy)
        ranks.append(_rank(copy))
    return ranks


def _clock_with_bound(model):
    from scheduler.clock import Clock
    from scheduler.flow import priority_bound

    clock = Clock(3600, None)
    clock.bound = priority_bound(model)
    return clock


# (300, 150) seed 24 and (800, 400) seed 7: both starts reach the bound once improved and
# the runner-up ends ahead on the secondary terms; (300, 150) seed 2: the first stays ahead.
@pytest.mark.parametrize("size, seed", [((300, 150), 24), ((800, 400), 7), ((300, 150), 2)])
def test_at_the_bound_the_search_goes_on_from_the_start_the_local_search_improves_most(
        size, seed):
    """Both starts improved alone, then by _improve_start: once the first fills the bound's
    priority, it keeps the better of the two, whichever ranked first before the local
    search (the first-ranked one is not always the one the search improves most)."""
    from scheduler.solve import _improve_start, _rank

    model, hand, hint, budget, best, runners_up = _starts(load_problem(generate(*size, seed)))
    clock = _clock_with_bound(model)
    alone = _improved_alone([best, runners_up[0]], hand, hint)
    assert alone[0][0] == clock.bound  # the case this test is about
    kept = _improve_start(best, runners_up, budget, clock, hand=hand, hint=hint)
    assert _rank(kept) == max(alone)
    assert _rank(runners_up[0]) == min(alone)  # the other waits for a stalled search


def test_below_the_bound_the_runner_up_is_left_to_the_search():
    """(400, 200) seed 3: the improved first start is one unit short of the runner-up's
    priority; the search, not a second local search, is to raise it."""
    from scheduler.solve import _improve_start, _rank

    model, hand, hint, budget, best, runners_up = _starts(load_problem(generate(400, 200, 3)))
    clock = _clock_with_bound(model)
    before = _rank(runners_up[0])
    alone = _improved_alone([best], hand, hint)
    assert alone[0][0] < clock.bound
    kept = _improve_start(best, runners_up, budget, clock, hand=hand, hint=hint)
    assert kept is best and _rank(kept) == alone[0] and _rank(runners_up[0]) == before


def _flows_with_a_bound_that_does_not_fit(model, monkeypatch, *, slow: str):
    """run_flows with two workers where the bound's estimate is far beyond the share (84 s:
    70% of 120), with the hint or the bound made slow in its child."""
    import time

    from scheduler import hints
    from scheduler.baseline import baseline_state
    from scheduler.clock import Clock
    from scheduler.hints import run_flows
    from scheduler.solve import Budget

    def slowed(produce):
        def producer(*args):
            time.sleep(30 if slow == "bound" else 2)
            yield from produce(*args)
        return producer

    name = "bound_flow" if slow == "bound" else "hint_flows"
    monkeypatch.setattr(hints, name, slowed(getattr(hints, name)))
    budget = Budget(time.monotonic() + 120)
    budget.greedy, budget.slowdown = 0.01, 1e5
    assert budget.slowdown * hints.BOUND_S_PER_PAIR * len(model.req) > 120
    return run_flows(model, baseline_state(model), budget, 2, Clock(120, None), exact=False)


def test_a_bound_not_expected_in_time_is_still_taken_when_it_comes_first(medium, monkeypatch):
    from scheduler.flow import priority_bound
    from scheduler.model import build_model

    model = build_model(medium)
    flows = _flows_with_a_bound_that_does_not_fit(model, monkeypatch, slow="hint")
    assert "hint 8" in flows
    assert int(flows["bound"][0]) == priority_bound(model)


def test_a_bound_not_expected_in_time_is_not_waited_for(medium, monkeypatch):
    from scheduler.model import build_model

    flows = _flows_with_a_bound_that_does_not_fit(build_model(medium), monkeypatch,
                                                  slow="bound")
    # The share is 84 s and the bound's child sleeps 30 s first: had the flows waited for
    # it, it would be here.
    assert "hint 8" in flows and "bound" not in flows


def test_the_smallest_hint_starts_beside_hand_dispatch_only_when_time_is_short(
        medium, monkeypatch):
    from scheduler import hints
    from scheduler.clock import Forked
    from scheduler.model import build_model

    monkeypatch.setattr(hints, "INLINE_FLOW_PAIRS", 0)  # (its flows run forked, as large ones)
    model = build_model(medium)
    with Forked() as children:
        assert hints.start_insurance(model, 1, False, children, 0.5, 0.01) is None  # 1 core
        assert hints.start_insurance(model, 2, True, children, 0.5, 0.01) is None  # exact
        assert hints.start_insurance(model, 2, False, children, 100.0, 0.01) is None
        assert not children.children
        k = hints.start_insurance(model, 2, False, children, 0.5, 0.01)
        assert k == hints.restricted_sizes(model)[0] and len(children.children) == 1


def test_a_hint_started_beside_hand_dispatch_counts_when_no_time_is_left_for_flows(
        medium, monkeypatch):
    """Hand dispatch left the flows no share (a short limit on a slow machine): without the
    insurance there is no hint at all; with it, the one that ran beside hand dispatch."""
    import select
    import time

    from scheduler import hints
    from scheduler.baseline import baseline_state
    from scheduler.clock import Clock, Forked
    from scheduler.flow import hint_flows, hint_name
    from scheduler.model import build_model
    from scheduler.solve import Budget

    monkeypatch.setattr(hints, "INLINE_FLOW_PAIRS", 0)
    model = build_model(medium)
    hand = baseline_state(model)

    def no_time_left() -> Budget:
        budget = Budget(time.monotonic() + 0.01)
        budget.greedy, budget.slowdown = 0.01, 1.0
        return budget

    assert hints.run_flows(model, hand, no_time_left(), 2, Clock(1, None), False) == {}
    with Forked() as children:
        k = hints.start_insurance(model, 2, False, children, 0.5, 0.01)
        select.select(list(children.children), [], [], 60)  # (its result is coming in)
        flows = hints.run_flows(model, hand, no_time_left(), 2, Clock(1, None), False,
                                children, k)
    unrouted = dict(hint_flows(model, (k,), routed=False))  # (as start_insurance runs it)
    assert np.array_equal(flows[hint_name(k)], unrouted[hint_name(k)])
