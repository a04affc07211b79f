"""A malformed problem is rejected with a message naming each offending item."""

import pytest
from sched_builders import a_problem, a_request, an_expert

from scheduler import ProblemError, invalid_plan, load_problem


def errors_of(doc):
    with pytest.raises(ProblemError) as info:
        load_problem(doc)
    return info.value.errors


@pytest.mark.parametrize(("doc", "expected"), [
    (a_problem([an_expert(), an_expert()], [a_request()]), "experts[1] (id 'E1'): duplicate id"),
    (a_problem([an_expert()], [a_request(), a_request()]), "requests[1] (id 'R1'): duplicate id"),
    (a_problem([an_expert()], [a_request(city="paris")]), "requests[0] (id 'R1'): unknown city"),
    (a_problem([an_expert(city="paris")], []), "experts[0] (id 'E1'): unknown city"),
    (a_problem([an_expert()], [a_request(seats=0)]), "requests[0] (id 'R1'): seats must be >= 1"),
    (a_problem([an_expert()], [a_request(priority=6)]), "priority must be between 1 and 5"),
    (a_problem([an_expert()], [a_request(days=[{"start": "2025-04-02", "end": "2025-04-01"}])]),
     "requests[0] (id 'R1') days[0]: end 2025-04-01 is before start 2025-04-02"),
    (a_problem([an_expert()], [a_request(days=[{"start": "2025-13-01", "end": "2025-04-01"}])]),
     "must be a date"),
    (a_problem([an_expert()], [a_request(fields=[])]), "requests[0] (id 'R1'): fields must be"),
    (a_problem([an_expert(fields={})], []), "experts[0] (id 'E1'): fields must be"),
    (a_problem([an_expert(roles=["judge"])], []), "experts[0] (id 'E1'): unknown role 'judge'"),
    (a_problem([an_expert()], [a_request(role="judge")]), "requests[0] (id 'R1'): unknown role"),
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
    doc = a_problem([an_expert(), an_expert()], [a_request(seats=0, priority=9)])
    assert len(errors_of(doc)) == 3


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
