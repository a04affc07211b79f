"""Rule 4 by role and by roster, and rule 6's recorded waivers (issue 9, item 6).

Each case is judged by eligibility and by verify alike: two readings of one rule."""

import pytest
from sched_builders import a_problem, a_request, an_expert

import scheduler.problem as problem_module
from scheduler import ProblemError, load_problem, solve, verify
from scheduler.eligibility import COLUMN, eligible_pairs

PLAN = {"assignments": [{"request": "R1", "expert": "E1"}]}
GROUPS = [{"members": ["SH", "JS", "ZJ", "AH"], "roles": ["investigator"]},
          {"members": ["GD", "HK", "MO"], "roles": ["arbitrator"]}]
SCIA, SHIAC = "org-scia", "org-shiac"


def judged(expert, request, groups=GROUPS):
    """(eligible by eligibility, rules verify finds broken) for the one pair."""
    problem = load_problem(a_problem([expert], [request], recognition_groups=groups))
    return len(eligible_pairs(problem)) == 1, sorted(v.rule for v in verify(problem, PLAN))


def hk_court_request(role="investigator"):
    return a_request(role=role, city="hongkong", jurisdiction="HK", remote=True)


def an_arbitrator(**overrides):
    return an_expert(roles=["arbitrator"], **overrides)


# -- recognition covers the roles its agreement names ------------------------------------

def test_guangdong_investigator_is_refused_for_a_hong_kong_court_case():
    # The gap of issue 9: the GBA arrangement covers arbitrators, not investigators.
    investigator = an_expert(city="shenzhen", jurisdiction="GD")
    assert judged(investigator, hk_court_request()) == (False, [4])


def test_guangdong_arbitrator_is_recognised_in_hong_kong_by_the_same_group():
    arbitrator = an_arbitrator(city="shenzhen", jurisdiction="GD")
    assert judged(arbitrator, hk_court_request("arbitrator")) == (True, [])


def test_yrd_investigator_still_crosses_provinces():
    investigator = an_expert(city="hefei", jurisdiction="AH", max_travel_km=None)
    assert judged(investigator, a_request()) == (True, [])


def test_plain_list_group_still_covers_every_role():
    investigator = an_expert(city="shenzhen", jurisdiction="GD")
    assert judged(investigator, hk_court_request(), groups=[["GD", "HK"]]) == (True, [])


def test_refusal_by_role_is_counted_under_jurisdiction_and_worded_with_the_role():
    problem = load_problem(a_problem([an_expert(city="shenzhen", jurisdiction="GD")],
                                     [hk_court_request()], recognition_groups=GROUPS))
    assert eligible_pairs(problem).counts[0, COLUMN["jurisdiction"]] == 1
    (violation,) = verify(problem, PLAN)
    assert violation.message == "jurisdiction GD does not recognise HK for the investigator role"


# -- arbitrators serve by an institution's roster ----------------------------------------

def institution_request(institution=SHIAC, **overrides):
    values = {"role": "arbitrator", "city": "shanghai", "jurisdiction": "SH",
              "institution": institution, "remote": True}
    values.update(overrides)
    return a_request(**values)


def hk_arbitrator(*panels):
    return an_arbitrator(city="hongkong", jurisdiction="HK", languages=["zh", "en"],
                         panels=list(panels))


def test_hong_kong_arbitrator_on_a_shanghai_institutions_roster_is_eligible():
    # The other gap: HK and SH share no group, but the roster admits the arbitrator.
    arbitrator = hk_arbitrator({"institution": SHIAC, "from": "2024-01-01", "until": None})
    assert judged(arbitrator, institution_request()) == (True, [])


def test_hong_kong_arbitrator_not_on_the_roster_is_refused():
    arbitrator = hk_arbitrator({"institution": SCIA, "from": None, "until": None})
    assert judged(arbitrator, institution_request()) == (False, [4])


def test_a_local_arbitrator_off_the_roster_is_refused_for_the_institutions_case():
    local = an_arbitrator()  # Shanghai, same jurisdiction as the institution
    assert judged(local, institution_request()) == (False, [4])


@pytest.mark.parametrize(("start", "until", "ok"), [
    ("2025-04-01", "2025-04-02", True),    # exactly the request's days
    ("2025-04-02", None, False),           # joined after the first day
    (None, "2025-04-01", False),           # left before the last day
    (None, None, True),
])
def test_the_roster_place_must_cover_every_day_of_the_request(start, until, ok):
    arbitrator = hk_arbitrator({"institution": SHIAC, "from": start, "until": until})
    assert judged(arbitrator, institution_request()) == (ok, [] if ok else [4])


def test_an_institution_on_an_investigator_request_changes_nothing():
    investigator = an_expert(city="hefei", jurisdiction="AH")
    request = a_request(institution=SHIAC)
    assert judged(investigator, request) == (True, [])


def test_roster_pair_is_solved_and_its_reason_names_the_roster():
    arbitrator = hk_arbitrator({"institution": SHIAC, "from": None, "until": None})
    problem = load_problem(a_problem([arbitrator], [institution_request()]))
    (assignment,) = solve(problem, time_limit_s=2).assignments
    assert assignment.facts["roster"] == SHIAC
    assert f"on the roster of institution {SHIAC}" in assignment.reasons


def test_eligibility_of_rosters_matches_verify_on_many_pairs():
    experts = [hk_arbitrator({"institution": inst, "from": start, "until": None})
               | {"id": f"E{k}"}
               for k, (inst, start) in enumerate(
                   [(SHIAC, None), (SCIA, None), (SHIAC, "2025-04-02"), (SHIAC, "2025-01-01")])]
    experts.append(an_arbitrator(id="E9"))
    requests = [institution_request(id="R1"), institution_request(SCIA, id="R2"),
                a_request(id="R3", role="arbitrator", city="shenzhen", jurisdiction="GD",
                          remote=True)]
    problem = load_problem(a_problem(experts, requests, recognition_groups=GROUPS))
    el = eligible_pairs(problem)
    found = {(problem.requests[r].id, problem.experts[e].id)
             for r, e in zip(el.req.tolist(), el.exp.tolist(), strict=True)}
    expected = {(r.id, e.id) for r in problem.requests for e in problem.experts
                if not verify(problem, {"assignments": [{"request": r.id, "expert": e.id}]})}
    assert found == expected == {("R1", "E0"), ("R1", "E3"), ("R2", "E1"), ("R3", "E0"),
                                 ("R3", "E1"), ("R3", "E2"), ("R3", "E3")}


def test_verify_reads_rosters_and_groups_without_the_problem_helpers(monkeypatch):
    monkeypatch.setattr(problem_module.Problem, "recognised", lambda self, *a: 1 / 0)
    monkeypatch.setattr(problem_module.PanelMembership, "covers", lambda self, *a: 1 / 0)
    monkeypatch.setattr(problem_module.Request, "waived_for", lambda self, *a: 1 / 0)
    monkeypatch.setattr(problem_module.Request, "by_panel", property(lambda self: 1 / 0))
    off_roster = hk_arbitrator({"institution": SCIA, "from": None, "until": None})
    on_roster = hk_arbitrator({"institution": SHIAC, "from": None, "until": None})
    waived = an_expert(conflicts=["ACME"])
    gd = an_expert(city="shenzhen", jurisdiction="GD")
    for expert, request, broken in (
            (off_roster, institution_request(), [4]), (on_roster, institution_request(), []),
            (gd, hk_court_request(), [4]),
            (waived, a_request(parties=["ACME"], waivers=[{"expert": "E1", "orgs": ["ACME"]}]),
             [])):
        problem = load_problem(a_problem([expert], [request], recognition_groups=GROUPS))
        assert [v.rule for v in verify(problem, PLAN)] == broken


# -- rule 6: a recorded express waiver ---------------------------------------------------

def conflicted(waivers=None, **expert):
    request = a_request(parties=["ACME", "Beta"])
    if waivers is not None:
        request["waivers"] = waivers
    return judged(an_expert(**expert), request)


def test_a_waiver_lifts_the_conflict_it_names():
    assert conflicted([{"expert": "E1", "orgs": ["ACME"]}], conflicts=["ACME"]) == (True, [])


def test_without_a_waiver_the_conflict_bars():
    assert conflicted(conflicts=["ACME"]) == (False, [6])


def test_a_waiver_of_one_party_leaves_the_conflict_with_another():
    assert conflicted([{"expert": "E1", "orgs": ["ACME"]}],
                      conflicts=["ACME", "Beta"]) == (False, [6])


def test_a_waiver_for_another_expert_does_not_help():
    doc = a_problem([an_expert(conflicts=["ACME"]), an_expert("E2")],
                    [a_request(parties=["ACME"],
                               waivers=[{"expert": "E2", "orgs": ["ACME"]}])])
    problem = load_problem(doc)
    assert {problem.experts[e].id for e in eligible_pairs(problem).exp.tolist()} == {"E2"}
    assert [v.rule for v in verify(problem, PLAN)] == [6]


def test_a_waiver_does_not_lift_an_exclusion():
    request = a_request(parties=["ACME"], excluded=["E1"],
                        waivers=[{"expert": "E1", "orgs": ["ACME"]}])
    assert judged(an_expert(conflicts=["ACME"]), request) == (False, [6])


# -- validation --------------------------------------------------------------------------

@pytest.mark.parametrize(("where", "value", "message"), [
    ("group", {"members": ["SH"], "roles": ["judge"]}, "roles must be a non-empty list"),
    ("group", {"members": ["SH"], "roles": []}, "roles must be a non-empty list"),
    ("group", {"members": "SH", "roles": ["arbitrator"]}, "must be a list of jurisdiction"),
    ("waivers", [{"expert": "E404", "orgs": ["ACME"]}], "unknown expert 'E404'"),
    ("waivers", [{"expert": "E1", "orgs": "ACME"}], "orgs must be a list"),
    ("waivers", "E1", "waivers must be a list"),
    ("institution", "", "institution must be a non-empty string"),
    ("panels", [{"from": None}], "institution must be a non-empty string"),
    ("panels", {"institution": SHIAC}, "panels must be a list"),
])
def test_bad_roles_rosters_and_waivers_are_refused_by_name(where, value, message):
    expert, request, groups = an_expert(), a_request(), list(GROUPS)
    if where == "group":
        groups.append(value)
    elif where == "panels":
        expert["panels"] = value
    else:
        request[where] = value
    with pytest.raises(ProblemError) as caught:
        load_problem(a_problem([expert], [request], recognition_groups=groups))
    assert any(message in error for error in caught.value.errors), caught.value.errors


def test_a_reversed_roster_place_leaves_the_expert_out_with_a_warning():
    expert = an_expert(panels=[{"institution": SHIAC, "from": "2025-02-01",
                                "until": "2025-01-01"}])
    problem = load_problem(a_problem([expert], [a_request()], recognition_groups=list(GROUPS)))
    assert problem.experts == () and problem.warnings == (
        "experts[0] (id 'E1'): panels[0]: until 2025-01-01 is before from 2025-02-01; "
        "left out",)
