"""IPC codes at any depth: the indexed field match agrees with fields_match, and its cost
does not grow with the depth of the codes."""

import random
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sched_builders import a_problem, a_request, an_expert

from scheduler import load_problem
from scheduler.domain import CodeIndex, fields_match
from scheduler.eligibility import eligible_pairs
from scheduler.explain import best_field_match
from scheduler.index import build_index, fit_by_field_set

# IPC-like codes of mixed depth over a small alphabet, so that prefixes are common.
_PIECES = st.sampled_from(["G", "G06", "G06F", "G06F1", "G06F16", "G06F16/", "G06F16/2",
                           "G06F16/245", "G06F16/2455", "G06F17/30", "G06Q", "H04L9/32",
                           "H04", "A61K31/00", "A61K", "B"])
IPC_CODES = st.one_of(_PIECES, st.builds(lambda a, b: a + b, _PIECES, st.text("0123/", max_size=3)))
# Any text at all, with the characters at the edges of the ordering (the bisection's cases).
ODD_CODES = st.lists(st.sampled_from(["a", "ab", "b", "\x00", chr(sys.maxunicode), "é"]),
                     max_size=4).map("".join)


def brute_force_matching(codes: list[str], code: str) -> list[int]:
    return [k for k, c in enumerate(codes) if fields_match(c, code)]


def reference_fit(problem, idx) -> np.ndarray:
    """The fit per (field set, expert) as first written: fields_match for every pair."""
    out = np.zeros((len(idx.field_sets), len(problem.experts)), dtype=np.int8)
    for u, wanted in enumerate(idx.field_sets):
        for e, expert in enumerate(problem.experts):
            out[u, e] = max((p for c, p in expert.fields
                             if any(fields_match(c, w) for w in wanted)), default=0)
    return out


@pytest.mark.parametrize(("code", "expected"), [
    ("G06F16/245", ["G", "G06", "G06F", "G06F16/245", "G06F16/2455"]),
    ("G06F", ["G", "G06", "G06F", "G06F16/245", "G06F16/2455", "G06F17/30"]),
    ("G06F16", ["G", "G06", "G06F", "G06F16/245", "G06F16/2455"]),
    ("G06F1/00", ["G", "G06", "G06F"]),
    ("H04W", []),
])
def test_code_matches_its_prefixes_and_the_codes_it_prefixes(code, expected):
    index = CodeIndex(["G", "G06", "G06F", "G06F16/245", "G06F16/2455", "G06F17/30", "H04L"])
    assert [index.codes[k] for k in index.matching(code)] == expected


@pytest.mark.parametrize(("a", "b", "match"), [
    ("G06F1", "G06F16/245", False),  # main groups 1 and 16: a string prefix, not a group
    ("G06F1", "G06F1/16", True),
    ("G06F16/00", "G06F16/245", True),  # the main group written in full
    ("G06F16", "G06F16/00", True),
    ("G06F16/24", "G06F16/245", True),  # subgroups nest by their digits
    ("G06F16/245", "G06F16/246", False),
    ("G06", "G06F16/245", True),
    ("H04", "G06F", False),
    # Malformed (two slashes): not a main group in full; hypothesis found the index and
    # fields_match disagreeing here.
    ("G06F16//1", "G06F16//00", False),
    ("G06F16//00", "G06F16//001", True),
])
def test_codes_match_by_whole_ipc_levels(a, b, match):
    assert fields_match(a, b) is match and fields_match(b, a) is match
    index = CodeIndex([a])
    assert index.matching(b) == ([0] if match else [])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(IPC_CODES, ODD_CODES), max_size=25), st.one_of(IPC_CODES, ODD_CODES))
def test_code_index_agrees_with_fields_match(codes, code):
    index = CodeIndex(codes)
    assert index.matching(code) == brute_force_matching(index.codes, code)


def _doc(expert_fields, request_fields):
    experts = [an_expert(f"E{k}", fields=f) for k, f in enumerate(expert_fields)]
    requests = [a_request(f"R{k}", fields=f) for k, f in enumerate(request_fields)]
    return a_problem(experts, requests)


# Experts' fields with proficiencies, and requests' field lists, at mixed depths.
EXPERT_FIELDS = st.lists(st.dictionaries(IPC_CODES, st.integers(1, 3), min_size=1, max_size=4),
                         min_size=1, max_size=8)
REQUEST_FIELDS = st.lists(st.lists(IPC_CODES, min_size=1, max_size=3), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPERT_FIELDS, REQUEST_FIELDS)
def test_fit_per_field_set_is_the_best_matching_proficiency(expert_fields, request_fields):
    problem = load_problem(_doc(expert_fields, request_fields))
    idx = build_index(problem)
    assert np.array_equal(fit_by_field_set(problem, idx), reference_fit(problem, idx))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPERT_FIELDS, REQUEST_FIELDS)
def test_eligible_pairs_are_those_whose_fields_match(expert_fields, request_fields):
    problem = load_problem(_doc(expert_fields, request_fields))
    el = eligible_pairs(problem)
    got = {(int(r), int(e)): int(f) for r, e, f in zip(el.req, el.exp, el.fit, strict=True)}
    want = {}
    for r, request in enumerate(problem.requests):
        for e, expert in enumerate(problem.experts):
            best = best_field_match(request, expert)
            if best is not None:
                want[(r, e)] = best[2]
    assert got == want


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPERT_FIELDS, REQUEST_FIELDS)
def test_the_reasons_field_pair_is_the_same_found_from_the_fit(expert_fields, request_fields):
    """explain.pair_facts passes the pair's fit to stop at the first match of that
    proficiency: the same field pair as comparing every code."""
    problem = load_problem(_doc(expert_fields, request_fields))
    el = eligible_pairs(problem)
    for r, e, fit in zip(el.req, el.exp, el.fit, strict=True):
        request, expert = problem.requests[int(r)], problem.experts[int(e)]
        assert best_field_match(request, expert, int(fit)) == best_field_match(request, expert)


def _deep_codes(rng: random.Random, subclass: str) -> str:
    return f"{subclass}{rng.choice(range(1, 60))}/{rng.choice(range(0, 400, 2)):02d}"


def _many_codes_problem(deep: bool, n_req: int = 3000, n_exp: int = 1500):
    """Requests and experts over 45 subclasses, at subgroup depth when `deep`."""
    rng = random.Random(7)
    subclasses = [f"{s}{k:02d}{x}" for s in "ABG" for k in range(1, 4) for x in "FHKLQ"]

    def code() -> str:
        s = rng.choice(subclasses)
        return _deep_codes(rng, s) if deep else s

    experts = [{code(): rng.randint(1, 3) for _ in range(3)} for _ in range(n_exp)]
    requests = [[code() for _ in range(rng.choice([1, 1, 2]))] for _ in range(n_req)]
    return load_problem(_doc(experts, requests))


def test_deep_codes_are_looked_up_once_each_not_pair_by_pair(monkeypatch):
    # ~2,500 field sets x ~4,400 expert codes: pair by pair that was 10^7 fields_match calls
    # (~5 s, measured in docs/scheduler.md); indexed, each requested code is one lookup.
    problem = _many_codes_problem(deep=True)
    idx = build_index(problem)
    assert len(idx.field_sets) > 2000
    assert len({c for e in problem.experts for c, _ in e.fields}) > 3000
    lookups = []
    matching = CodeIndex.matching
    monkeypatch.setattr(CodeIndex, "matching",
                        lambda self, code: lookups.append(code) or matching(self, code))
    fit = fit_by_field_set(problem, idx)
    requested = {code for codes in idx.field_sets for code in codes}
    assert sorted(lookups) == sorted(requested)
    assert 0 < np.count_nonzero(fit) < fit.size
