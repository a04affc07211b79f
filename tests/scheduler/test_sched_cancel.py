"""A caller's stop ends solve early with Cancelled; progress reports say how far it got."""

import time

import pytest
from sched_builders import a_problem, a_request, an_expert, pairs

from scheduler import Cancelled, load_problem, solve
from scheduler.generate import generate

LIMIT_S = 20


@pytest.fixture(scope="module")
def long_search():
    """A problem whose LNS search uses the whole of a 20 s limit."""
    return load_problem(generate(2000, 800, seed=0))


@pytest.fixture(scope="module")
def whole_cp_sat():
    """A problem small enough for the MIP and a whole-problem CP-SAT that runs to the limit."""
    return load_problem(generate(300, 150, seed=0))


def stop_after(seconds):
    stop_at = time.monotonic() + seconds
    return lambda: time.monotonic() > stop_at


def stop_after_phase(events, phase, seconds):
    def requested():
        ends = [time.monotonic() for e in events if e["phase"] == phase][:1]
        if ends and not hasattr(requested, "at"):
            requested.at = ends[0] + seconds
        return hasattr(requested, "at") and time.monotonic() > requested.at
    return requested


def test_a_stop_after_the_first_progress_report_cancels_well_before_the_limit(long_search):
    events = []
    started = time.monotonic()
    with pytest.raises(Cancelled):
        solve(long_search, time_limit_s=LIMIT_S, workers=1, progress=events.append,
              stop=lambda: bool(events))
    assert time.monotonic() - started < LIMIT_S / 2


@pytest.mark.parametrize("problem", ["long_search", "whole_cp_sat"])
def test_a_stop_during_the_search_interrupts_it(problem, request):
    events = []
    started = time.monotonic()
    with pytest.raises(Cancelled):
        # Asked 0.3 s after the first plan, whatever the machine's load did to the phases
        # before: the stop lands in the search.
        solve(request.getfixturevalue(problem), time_limit_s=LIMIT_S, workers=1,
              progress=events.append, stop=stop_after_phase(events, "repair", 0.3))
    assert time.monotonic() - started < LIMIT_S / 2
    phases = [e["phase"] for e in events]
    assert "repair" in phases and "done" not in phases  # stopped in the MIP, CP-SAT or LNS


def test_a_stop_that_never_fires_changes_nothing():
    experts = [an_expert(f"E{k}", fields={"G06F": 1 + k % 3}) for k in range(4)]
    requests = [a_request("R1", seats=2), a_request("R2"), a_request("R3", days=[])]
    problem = load_problem(a_problem(experts, requests))
    plain = solve(problem, time_limit_s=2, workers=1)
    polled = solve(problem, time_limit_s=2, workers=1, stop=lambda: False)
    assert pairs(polled) == pairs(plain)
    assert polled.metrics == plain.metrics and polled.status == plain.status


def test_progress_reports_carry_seats_filled_and_the_gap_to_the_bound():
    events = []
    problem = load_problem(a_problem([an_expert()], [a_request(seats=2)]))
    solve(problem, time_limit_s=1, progress=events.append)
    first, last = events[0], events[-1]
    assert (first["phase"], first["seats_filled"], first["gap"]) == ("eligibility", None, None)
    assert last["phase"] == "done" and last["seats_filled"] == 1
    assert last["bound"] == 3 and last["gap"] == 0.0


def test_progress_during_a_search_comes_at_most_every_half_second(long_search):
    # 10 s: on a loaded machine the flows and improvements alone can take 5 s (a CI run beside
    # other work once reached no LNS in 6 s), and the ticks need a search.
    events = []
    solve(long_search, time_limit_s=10, workers=1, progress=events.append)
    phases = [e["phase"] for e in events]
    assert phases[:4] == ["eligibility", "hand dispatch", "bound", "repair"]
    assert phases[-1] == "done"
    assert "lns" in phases
    for before, tick in zip(events, events[1:], strict=False):
        if tick["phase"] == "lns":
            assert tick["elapsed_s"] - before["elapsed_s"] >= 0.49
    assert all(0 <= e["gap"] <= 1 for e in events if e["gap"] is not None)
