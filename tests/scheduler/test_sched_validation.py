"""A structurally malformed problem is rejected with a message naming each offending item;
an expert or request wrong on its own is left out with a warning naming it."""

import pytest
from sched_builders import a_problem, a_request, an_expert, pairs

from scheduler import ProblemError, invalid_plan, load_problem, solve, verify


def errors_of(doc):
    with pytest.raises(ProblemError) as info:
        load_problem(doc)
    return info.value.errors


@pytest.mark.parametrize(("doc", "expected"), [
    (a_problem([an_expert(), an_expert()], [a_request()]), "experts[1] (id 'E1'): duplicate id"),
    (a_problem([an_expert()], [a_request(), a_request()]), "requests[1] (id 'R1'): duplicate id"),
    (a_problem([an_expert()], [a_request(city="paris")]), "requests[0] (id 'R1'): unknown city"),
    (a_problem([an_expert(city="paris")], []), "experts[0] (id 'E1'): unknown city"),
    (a_problem([an_expert()], [a_request(seats="2")]),
     "requests[0] (id 'R1'): seats must be an integer"),
    (a_problem([an_expert()], [a_request(days=[{"start": "2025-13-01", "end": "2025-04-01"}])]),
     "must be a date"),
    (a_problem([an_expert()], [a_request(fields="G06F")]), "requests[0] (id 'R1'): fields must be"),
    (a_problem([an_expert(fields=["G06F"])], []), "experts[0] (id 'E1'): fields must be"),
    (a_problem([an_expert(roles="investigator")], []), "experts[0] (id 'E1'): roles must be"),
    (a_problem([an_expert()], [a_request(role=7)]), "requests[0] (id 'R1'): role must be"),
    (a_problem([an_expert(id="")], []), "experts[0] (id ''): id must be a non-empty string"),
    (a_problem([an_expert()], [a_request()], pinned=[{"request": "R9", "expert": "E1"}]),
     "pinned[0] ('R9', 'E1'): unknown request 'R9'"),
    (a_problem([an_expert()], [a_request()], previous=[{"request": "R1", "expert": "E7"}]),
     "previous[0] ('R1', 'E7'): unknown expert 'E7'"),
    (a_problem([an_expert(roles=["arbitrator"])], [a_request()],
               pinned=[{"request": "R1", "expert": "E1"}]),
     "pinned pair ('R1', 'E1') breaks rule 1"),
    (a_problem([], [], as_of="03/03/2025"), "as_of must be a date"),
    (a_problem([], [], as_of="2025-03-03", format="dispatch-problem/9"), "format"),
])
def test_malformed_problem_names_the_offending_item(doc, expected):
    assert any(expected in e for e in errors_of(doc)), errors_of(doc)


def test_all_errors_are_collected_not_just_the_first():
    doc = a_problem([an_expert(), an_expert()], [a_request(seats="0", priority=True)])
    assert len(errors_of(doc)) == 3


# An expert or request wrong on its own (well typed, but a reversed range, a value out of
# range, an unknown role, no valid field) is left out with a warning naming it.
LEFT_OUT = [
    (a_problem([an_expert(), an_expert("E9", appointed_from="2025-01-01",
                                       appointed_until="2024-01-01")], [a_request()]),
     "experts[1] (id 'E9'): appointed_until 2024-01-01 is before appointed_from 2025-01-01; "
     "left out"),
    (a_problem([an_expert(), an_expert("E9", busy=[{"start": "2025-04-02",
                                                     "end": "2025-04-01"}])], [a_request()]),
     "experts[1] (id 'E9'): busy[0]: end 2025-04-01 is before start 2025-04-02; left out"),
    (a_problem([an_expert(), an_expert("E9", unavailable=[{"start": "2025-04-02",
                                                            "end": "2025-04-01"}])],
               [a_request()]),
     "experts[1] (id 'E9'): unavailable[0]: end 2025-04-01 is before start"),
    (a_problem([an_expert(), an_expert("E9", panels=[{"institution": "SHIAC",
                                                       "from": "2025-01-01",
                                                       "until": "2024-01-01"}])],
               [a_request()]),
     "experts[1] (id 'E9'): panels[0]: until 2024-01-01 is before from 2025-01-01; left out"),
    (a_problem([an_expert(), an_expert("E9", fields={})], [a_request()]),
     "experts[1] (id 'E9'): fields must be a non-empty object"),
    (a_problem([an_expert(), an_expert("E9", fields={"G06F": 4})], [a_request()]),
     "experts[1] (id 'E9'): field 'G06F' must have an integer proficiency 1..3, got 4"),
    (a_problem([an_expert(), an_expert("E9", roles=["judge"])], [a_request()]),
     "experts[1] (id 'E9'): unknown role 'judge'"),
    (a_problem([an_expert(), an_expert("E9", roles=[])], [a_request()]),
     "experts[1] (id 'E9'): roles must name at least one role"),
    (a_problem([an_expert(), an_expert("E9", max_concurrent=10**7)], [a_request()]),
     "experts[1] (id 'E9'): max_concurrent must be between 0 and 10000"),
    (a_problem([an_expert(), an_expert("E9", max_travel_km=-5)], [a_request()]),
     "experts[1] (id 'E9'): max_travel_km must be a number between 0"),
    (a_problem([an_expert()], [a_request(), a_request("R9", seats=0)]),
     "requests[1] (id 'R9'): seats must be between 1 and 50, got 0; left out"),
    (a_problem([an_expert()], [a_request(), a_request("R9", priority=6)]),
     "requests[1] (id 'R9'): priority must be between 1 and 5"),
    (a_problem([an_expert()], [a_request(), a_request("R9", days=[{"start": "2025-04-02",
                                                                   "end": "2025-04-01"}])]),
     "requests[1] (id 'R9'): days[0]: end 2025-04-01 is before start 2025-04-02; left out"),
    (a_problem([an_expert()], [a_request(), a_request("R9", fields=[])]),
     "requests[1] (id 'R9'): fields must be a non-empty list"),
    (a_problem([an_expert()], [a_request(), a_request("R9", role="judge")]),
     "requests[1] (id 'R9'): unknown role 'judge'"),
]


@pytest.mark.parametrize(("doc", "expected"), LEFT_OUT)
def test_an_item_wrong_on_its_own_is_left_out_with_a_warning(doc, expected):
    problem = load_problem(doc)
    assert [w for w in problem.warnings if expected in w], problem.warnings
    assert len(problem.warnings) == 1
    assert {e.id for e in problem.experts} | {r.id for r in problem.requests} == {"E1", "R1"}
    plan = solve(problem, time_limit_s=2, workers=1)
    assert plan.to_dict()["warnings"] == list(problem.warnings)
    assert pairs(plan) == {("R1", "E1")} and verify(problem, plan) == []


def test_several_faults_of_one_item_make_one_warning():
    doc = a_problem([an_expert(), an_expert("E9", appointed_from="2025-01-01",
                                            appointed_until="2024-01-01", max_concurrent=-1)])
    assert load_problem(doc).warnings == (
        "experts[1] (id 'E9'): appointed_until 2024-01-01 is before appointed_from "
        "2025-01-01; max_concurrent must be between 0 and 10000, got -1; left out",)


def test_pinned_and_previous_pairs_on_a_left_out_item_are_dropped_with_a_warning():
    doc = a_problem([an_expert(), an_expert("E9", appointed_from="2025-01-01",
                                            appointed_until="2024-01-01")],
                    [a_request(), a_request("R2", days=[{"start": "2025-05-02",
                                                          "end": "2025-05-01"}])],
                    pinned=[{"request": "R1", "expert": "E9"}],
                    previous=[{"request": "R2", "expert": "E1"}])
    problem = load_problem(doc)
    assert problem.pinned == () and problem.previous == ()
    assert "pinned[0] ('R1', 'E9'): expert 'E9' left out; pair dropped" in problem.warnings
    assert "previous[0] ('R2', 'E1'): request 'R2' left out; pair dropped" in problem.warnings
    plan = solve(problem, time_limit_s=2, workers=1)
    assert plan.status != "invalid" and verify(problem, plan) == []


def test_a_plan_assigning_a_left_out_expert_breaks_rule_0():
    doc = a_problem([an_expert(), an_expert("E9", appointed_from="2025-01-01",
                                            appointed_until="2024-01-01")], [a_request()])
    violations = verify(load_problem(doc), {"assignments": [{"request": "R1", "expert": "E9"}]})
    assert [v.rule for v in violations] == [0]
    assert "expert 'E9' left out of the problem" in violations[0].message


def test_a_left_out_item_still_counts_for_duplicates_and_a_structural_fault_still_rejects():
    doc = a_problem([an_expert(), an_expert(appointed_from="2025-01-01",
                                            appointed_until="2024-01-01")], [a_request()])
    assert any("duplicate id" in e for e in errors_of(doc))
    doc = a_problem([an_expert(city="paris", appointed_from="2025-01-01",
                               appointed_until="2024-01-01")], [])
    with pytest.raises(ProblemError) as info:
        load_problem(doc)
    assert any("unknown city" in e for e in info.value.errors)
    assert any("left out" in w for w in info.value.warnings)


def test_two_of_fifty_experts_with_a_reversed_term_are_left_out_and_the_rest_solved():
    from scheduler.generate import generate

    doc = generate(80, 50, 4)
    for k in (7, 31):
        doc["experts"][k]["appointed_from"] = "2025-01-01"
        doc["experts"][k]["appointed_until"] = "2024-01-01"
    bad = {doc["experts"][k]["id"] for k in (7, 31)}
    problem = load_problem(doc)
    assert len(problem.warnings) == 2
    assert all(any(repr(i) in w for w in problem.warnings) for i in bad)
    assert len(problem.experts) == 48 and not bad & {e.id for e in problem.experts}
    plan = solve(problem, time_limit_s=3, workers=1)
    assert plan.metrics["seats_filled"] > 0 and verify(problem, plan) == []
    assert len(plan.to_dict()["warnings"]) == 2


def test_pinned_pairs_that_double_book_make_the_problem_invalid():
    doc = a_problem([an_expert()], [a_request("R1"), a_request("R2")],
                    pinned=[{"request": "R1", "expert": "E1"}, {"request": "R2", "expert": "E1"}])
    assert any("breaks rule 8" in e for e in errors_of(doc))


def test_unknown_keys_are_ignored_and_defaults_apply():
    doc = a_problem([an_expert(nickname="x")], [{"id": "R1", "role": "investigator",
                                                 "city": "shanghai", "jurisdiction": "SH",
                                                 "fields": ["G06F"], "colour": "red"}])
    problem = load_problem(doc)
    request, expert = problem.requests[0], problem.experts[0]
    assert (request.seats, request.priority, request.remote, request.days) == (1, 3, False, ())
    assert expert.languages == frozenset({"zh"}) and expert.current_load == 0
    assert problem.settings.cooling_off_days == 1095


def test_problem_error_becomes_an_invalid_plan():
    plan = invalid_plan(["requests[0] (id 'R1'): seats must be >= 1"]).to_dict()
    assert plan["status"] == "invalid" and plan["errors"] == [
        "requests[0] (id 'R1'): seats must be >= 1"]
    assert plan["format"] == "dispatch-plan/1" and plan["assignments"] == []


@pytest.mark.parametrize("doc", [None, [], "text", {"experts": "no"}])
def test_non_object_input_is_rejected_without_a_traceback(doc):
    with pytest.raises(ProblemError):
        load_problem(doc)


def _with(doc, path, value):
    """doc with doc[path[0]][path[1]]... set to value (a copy)."""
    import copy

    doc = copy.deepcopy(doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


BASE = a_problem([an_expert("E1"), an_expert("E2")], [a_request("R1", seats=2)])


@pytest.mark.parametrize(("path", "value", "expected"), [
    (("experts", 0, "organizations"), 5, "organizations must be a list"),
    (("experts", 0, "organizations"), "ACME", "organizations must be a list"),
    (("pinned",), [{"request": ["R1"], "expert": "E1"}], "pinned[0]: request and expert must be"),
    (("previous",), [{"request": {"a": 1}, "expert": "E1"}], "previous[0]: request and expert"),
    (("experts", 0, "max_concurrent"), "3", "max_concurrent must be an integer"),
    (("experts", 0, "current_load"), 1.5, "current_load must be an integer"),
    (("requests", 0, "seats"), True, "seats must be an integer"),
    (("settings", "cooling_off_days"), 10**30, "cooling_off_days must be between 0 and"),
    (("settings", "weights"), {"fit": float("nan")}, "weights.fit must be a number"),
    (("settings", "weights"), {"travel_per_km": float("inf")}, "weights.travel_per_km"),
    (("settings", "weights"), {"previous": 1e30}, "weights.previous must be a number"),
    (("settings", "weights"), {"fairness": -100000}, "weights.fairness must be a number"),
    (("settings", "weights"), {"fit": "50"}, "weights.fit must be a number"),
    (("settings", "weights"), [1], "weights must be an object"),
    (("settings", "time_limit_s"), 1e300, "time_limit_s must be a number of seconds"),
    (("settings", "time_limit_s"), float("nan"), "time_limit_s must be a number of seconds"),
    (("settings", "time_limit_s"), float("inf"), "time_limit_s must be a number of seconds"),
    (("settings", "time_limit_s"), 0, "time_limit_s must be a number of seconds"),
    (("experts", 0, "max_travel_km"), float("nan"), "max_travel_km must be a number"),
    (("experts", 0, "max_travel_km"), float("inf"), "max_travel_km must be a number"),
    (("experts", 0, "max_travel_km"), 10**400, "max_travel_km must be a number"),
    (("cities", 0, "lat"), 10**400, "lat/lon must be numbers in range"),
    (("cities", 0, "lat"), float("nan"), "lat/lon must be numbers in range"),
    (("requests", 0, "days"), [{"start": "2025-W14-1", "end": "2025-04-01"}], "must be a date"),
    (("requests", 0, "days"), [{"start": "20250401", "end": "2025-04-01"}], "must be a date"),
    (("experts", 0, "fields"), {"G06F": 2.0}, "integer proficiency 1..3, got 2.0"),
    (("requests", 0, "case"), {"a": 1}, "case must be a string"),
    (("requests", 0, "case"), ["x"], "case must be a string"),
    (("requests", 0, "fields"), [" "], "fields must be a non-empty list"),
])
def test_out_of_range_or_mistyped_values_are_rejected_with_a_message(path, value, expected):
    errors = errors_of(_with(BASE, path, value))
    assert any(expected in e for e in errors), errors


@pytest.mark.parametrize(("path", "value", "expected"), [
    (("experts", 0, "max_concurrent"), 10**30, "max_concurrent must be between 0 and 10000"),
    (("experts", 0, "max_concurrent"), 10**7, "max_concurrent must be between 0 and 10000"),
    (("experts", 0, "current_load"), 10**30, "current_load must be between 0 and 10000"),
    (("requests", 0, "seats"), 10**15, "seats must be between 1 and 50"),
    (("requests", 0, "seats"), 10**6, "seats must be between 1 and 50"),
])
def test_out_of_range_integers_leave_the_item_out(path, value, expected):
    problem = load_problem(_with(BASE, path, value))
    assert len(problem.warnings) == 1 and expected in problem.warnings[0]
    assert problem.warnings[0].endswith("; left out")


def test_null_languages_and_remote_take_their_defaults():
    doc = _with(_with(BASE, ("experts", 0, "languages"), None), ("requests", 0, "remote"), None)
    problem = load_problem(doc)
    assert problem.experts[0].languages == frozenset({"zh"})
    assert problem.requests[0].remote is False


def test_numeric_case_number_is_kept_as_text():
    assert load_problem(_with(BASE, ("requests", 0, "case"), 42)).requests[0].case == "42"


@pytest.mark.parametrize(("path", "value"), [
    (("experts", 0, "organizations"), 5),
    (("settings", "time_limit_s"), 1e300),
    (("experts", 0, "max_concurrent"), "3"),
    (("settings", "weights"), {"fit": 1e300}),
    (("experts",), [an_expert("E1"), an_expert("E1")]),
])
def test_cli_rejects_malformed_values_with_exit_2_and_no_traceback(path, value, tmp_path):
    import json
    import subprocess
    import sys

    problem_file = tmp_path / "p.json"
    problem_file.write_text(json.dumps(_with(BASE, path, value)), "utf-8")
    run = subprocess.run([sys.executable, "-m", "scheduler", "solve", str(problem_file),
                          "-o", str(tmp_path / "plan.json")], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "invalid problem:" in run.stderr


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_cli_refuses_numbers_json_does_not_have(literal, tmp_path):
    """Python's json module writes NaN and Infinity; they are not JSON, and the command says
    so rather than reading them as numbers."""
    import json
    import subprocess
    import sys

    problem_file = tmp_path / "p.json"
    text = json.dumps(_with(BASE, ("settings", "weights"), {"fit": 12345.5}))
    problem_file.write_text(text.replace("12345.5", literal), "utf-8")
    run = subprocess.run([sys.executable, "-m", "scheduler", "solve", str(problem_file),
                          "-o", str(tmp_path / "plan.json")], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "is not valid JSON" in run.stderr


@pytest.mark.parametrize("limit", ["nan", "inf", "0", "1e300"])
def test_cli_time_limit_must_be_finite_and_sane(limit, tmp_path, capsys):
    from scheduler.__main__ import main

    problem_file = tmp_path / "p.json"
    import json

    problem_file.write_text(json.dumps(BASE), "utf-8")
    assert main(["solve", str(problem_file), "--time-limit", limit]) == 2
    assert "--time-limit must be" in capsys.readouterr().err


def test_flow_uses_no_more_capacity_arcs_than_an_expert_has_pairs():
    import numpy as np

    from scheduler.flow import capacity_units

    cap = np.array([10_000, 2, 0, 5])
    pair_exp = np.array([0, 0, 1, 1, 1, 3])
    assert capacity_units(cap, pair_exp, 4).tolist() == [2, 2, 0, 1]


def test_the_largest_max_concurrent_still_solves():
    from scheduler import solve

    doc = _with(BASE, ("experts", 0, "max_concurrent"), 10_000)
    doc["experts"][1]["max_concurrent"] = 10_000
    plan = solve(load_problem(doc), time_limit_s=2, workers=1)
    assert plan.metrics["seats_filled"] == 2
