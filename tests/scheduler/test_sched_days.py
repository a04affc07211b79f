"""The day axis is compressed to segments: far-off dates cost nothing, overlaps still count."""

import time

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sched_builders import a_problem, a_request, an_expert, pairs

from scheduler import load_problem, solve, verify
from scheduler.model import State, build_model, day_segments


def rng(start, end):
    return {"start": start, "end": end}


def test_a_request_in_a_far_year_does_not_grow_the_plan_state():
    experts = [an_expert(f"E{k}", max_concurrent=5) for k in range(200)]
    requests = [a_request("R1"), a_request("R2", days=[rng("2205-01-01", "2205-01-02")]),
                a_request("R3", days=[rng("9999-12-30", "9999-12-31")])]
    model = build_model(load_problem(a_problem(experts, requests)))
    assert model.horizon <= 2 * 3
    assert State(model).occ.nbytes <= 200 * 6


def test_a_range_over_the_whole_calendar_is_one_cheap_segment():
    requests = [a_request("R1", days=[rng("0001-01-01", "9999-12-31")]),
                a_request("R2", days=[rng("2025-04-01", "2025-04-01")])]
    problem = load_problem(a_problem([an_expert(max_concurrent=5)], requests))
    started = time.monotonic()
    plan = solve(problem, time_limit_s=2, workers=1)
    assert time.monotonic() - started < 2
    assert len(plan.assignments) == 1 and verify(problem, plan) == []  # they overlap


def test_open_ended_unavailability_and_busy_ranges_are_cheap_and_respected():
    experts = [an_expert("E1", unavailable=[rng("2025-03-15", "9999-12-31")]),
               an_expert("E2", busy=[rng("2025-04-02", "9999-12-31")]),
               an_expert("E3")]
    problem = load_problem(a_problem(experts, [a_request("R1", seats=3)]))
    model = build_model(problem)
    assert model.horizon <= 2
    plan = solve(problem, time_limit_s=2, workers=1)
    assert pairs(plan) == {("R1", "E3")}


def test_requests_on_adjacent_days_do_not_clash_but_sharing_one_day_does():
    requests = [a_request("R1", days=[rng("2025-04-01", "2025-04-02")]),
                a_request("R2", days=[rng("2025-04-03", "2025-04-03")]),
                a_request("R3", days=[rng("2025-04-03", "2025-04-09")])]
    problem = load_problem(a_problem([an_expert(max_concurrent=5)], requests))
    plan = solve(problem, time_limit_s=2, workers=1)
    assert len(plan.assignments) == 2 and verify(problem, plan) == []


ranges = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 5)), min_size=0, max_size=3)


@settings(max_examples=100, deadline=None)
@given(st.lists(ranges, min_size=1, max_size=6))
def test_two_requests_share_a_segment_exactly_when_they_share_a_day(requests):
    ptr = np.cumsum([0] + [len(r) for r in requests])
    starts = np.array([a for r in requests for a, _ in r], dtype=np.int64)
    ends = np.array([a + n for r in requests for a, n in r], dtype=np.int64)
    segs, horizon = day_segments(ptr, starts, ends)
    assert horizon <= max(1, 2 * len(starts))
    days = [{d for a, n in r for d in range(a, a + n + 1)} for r in requests]
    for i in range(len(requests)):
        for j in range(len(requests)):
            share_day = bool(days[i] & days[j])
            share_segment = bool(set(segs[i].tolist()) & set(segs[j].tolist()))
            assert share_day == share_segment
