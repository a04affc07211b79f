"""verify.py is an independent reading of the rules, and it reads plans defensively."""

import ast
import math
from pathlib import Path

import pytest
from sched_builders import a_problem, a_request, an_expert

import scheduler.problem as problem_module
from scheduler import load_problem, solve, verify
from scheduler.eligibility import eligible_pairs
from scheduler.problem import City, haversine_km


def latitude_at(km: float) -> float:
    """Latitude north of (30, 120) whose distance from it is the first double above km."""
    lo, hi = 0.0, 5.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if haversine_km(City("a", 30.0, 120.0), City("b", 30.0 + mid, 120.0)) > km:
            hi = mid
        else:
            lo = mid
    return 30.0 + hi


def travel_problem(limit_km, distance_above_km):
    lat = latitude_at(distance_above_km)
    cities = [{"code": "X", "lat": 30.0, "lon": 120.0}, {"code": "Y", "lat": lat, "lon": 120.0}]
    return load_problem(a_problem(
        [an_expert(city="X", max_travel_km=limit_km)],
        [a_request(city="Y", days=[])], cities=cities))


def test_travel_just_over_the_limit_is_refused_by_solve_and_verify_alike():
    problem = travel_problem(300, 300.00001)
    assert len(eligible_pairs(problem)) == 0
    assert solve(problem, time_limit_s=1).assignments == ()
    violations = verify(problem, {"assignments": [{"request": "R1", "expert": "E1"}]})
    assert [v.rule for v in violations] == [5]


def test_travel_exactly_at_the_limit_is_allowed_by_both():
    problem = travel_problem(300, 299.9999)
    km = haversine_km(problem.city("X"), problem.city("Y"))
    problem = travel_problem(km, 299.9999)
    assert len(eligible_pairs(problem)) == 1
    assert verify(problem, {"assignments": [{"request": "R1", "expert": "E1"}]}) == []


def test_travel_violation_message_shows_the_distance_is_over_the_limit():
    problem = travel_problem(300, 300.00001)
    (v,) = verify(problem, {"assignments": [{"request": "R1", "expert": "E1"}]})
    shown = float(v.message.split(" km")[0])
    assert shown > 300 and "limit of 300 km" in v.message


def test_verify_imports_nothing_from_eligibility_and_eligibility_nothing_from_verify():
    root = Path(__import__("scheduler").__file__).parent
    for name, other in (("verify.py", "eligibility"), ("eligibility.py", "verify")):
        tree = ast.parse((root / name).read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert f"scheduler.{other}" not in imported


def test_verify_does_not_rely_on_the_problem_helpers_that_eligibility_uses(monkeypatch):
    # Break every shared helper: verify must still judge rules 2, 4, 5 and 12 correctly.
    monkeypatch.setattr(problem_module.Problem, "days_of", lambda self, r: 1 / 0)
    monkeypatch.setattr(problem_module.Problem, "recognised", lambda self, a, b: 1 / 0)
    monkeypatch.setattr(problem_module.Expert, "current_orgs", property(lambda self: 1 / 0))
    monkeypatch.setattr(problem_module, "haversine_km", lambda a, b: math.nan)
    doc = a_problem(
        [an_expert("E1", appointed_until="2025-03-31", jurisdiction="GD", max_travel_km=10,
                   city="hefei", organizations=[{"org": "Tongji", "until": None}]),
         an_expert("E2", organizations=[{"org": "Tongji", "until": None}])],
        [a_request(seats=2)])
    problem = load_problem(doc)
    plan = {"assignments": [{"request": "R1", "expert": "E1"}, {"request": "R1", "expert": "E2"}]}
    assert {v.rule for v in verify(problem, plan)} == {2, 4, 5, 12}


@pytest.mark.parametrize("entry", [
    ["R1", "E1"], "R1", 7, None,
    {"request": ["R1"], "expert": "E1"}, {"request": "R1", "expert": {"id": "E1"}},
    {"request": "R1"}, {"request": 1, "expert": 2},
])
def test_malformed_plan_entries_are_reference_violations_not_crashes(entry):
    problem = load_problem(a_problem([an_expert()], [a_request()]))
    violations = verify(problem, {"assignments": [entry]})
    assert [v.rule for v in violations] == [0]
    assert "assignments[0]" in violations[0].message


@pytest.mark.parametrize("plan", [
    {"assignments": [["R1", "E1"]]},
    {"assignments": [{"request": ["R1"], "expert": "E1"}]},
])
def test_verify_cli_rejects_malformed_entries_with_exit_1(plan, tmp_path, capsys):
    import json

    from scheduler.__main__ import main

    problem_file, plan_file = tmp_path / "p.json", tmp_path / "plan.json"
    problem_file.write_text(json.dumps(a_problem([an_expert()], [a_request()])), "utf-8")
    plan_file.write_text(json.dumps(plan), "utf-8")
    assert main(["verify", str(problem_file), str(plan_file)]) == 1
    out = capsys.readouterr().out
    assert "rule 0 (reference): assignments[0]" in out and "valid" not in out
