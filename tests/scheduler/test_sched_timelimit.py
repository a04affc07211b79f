"""A short time limit skips the optional phases instead of overrunning."""

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
    plan = solve(medium, time_limit_s=2, workers=1)
    assert plan.solver["skipped"] == []
    assert plan.metrics["filled_priority"] <= plan.metrics["bound"]
