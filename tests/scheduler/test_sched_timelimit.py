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
    assert "baseline guard" in skipped
    # Without the bound flow the start is hand-dispatch order and there is no second one.
    assert "bound flow" in skipped or {"hint flow", "second start"} <= set(skipped)
    assert verify(medium, plan) == []
    assert plan.metrics["filled_priority"] <= plan.metrics["bound"]


def test_a_generous_limit_skips_nothing(medium):
    plan = solve(medium, time_limit_s=2, workers=1)
    assert plan.solver["skipped"] == []
    assert plan.metrics["filled_priority"] <= plan.metrics["bound"]
