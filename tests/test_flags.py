"""Changes after assignment are never silent (issue 9, item 2; docs/flags.md).

The issue's case first: an expert holding an accepted inspection declares a conflict with the
case's plaintiff and an absence on the inspection day; both used to be a silent 201. Each
change that breaks a held seat flags it at once with the rule, the coordinator and the clerk
see it (API and pages), and nothing is cancelled; a change that breaks nothing flags nothing.
"""

from datetime import date, timedelta

import pytest

from registry.extensions import db
from registry.models import (
    AssignmentFlag,
    AssignmentStatus,
    AuditEvent,
    RequestStatus,
)
from registry.services import flags
from tests.statements import recording_statements
from tests.test_notifications import inbox  # noqa: F401 (a real SMTP server)

PASSWORD = "correct horse battery"
INSPECTION = date.today() + timedelta(days=20)


@pytest.fixture
def seat(make, world):
    """（2026）沪73知民初675号: plaintiff and defendant, an accepted on-site inspection."""
    plaintiff = make.organization(name="甲科技有限公司")
    defendant = make.organization(name="乙电子股份有限公司")
    case = make.case(body=world.sh_court, parties=(plaintiff, defendant),
                     number="（2026）沪73知民初675号")
    request = make.request(case=case, service="on_site_inspection",
                           days=[(INSPECTION, INSPECTION)])
    from registry.models import Assignment

    assignment = Assignment(request=request, expert=world.sh_expert, reasons=["test"],
                            status=AssignmentStatus.ACCEPTED)
    db.session.add(assignment)
    request.status = RequestStatus.ACCEPTED
    db.session.commit()
    return {"assignment": assignment, "request": request, "case": case,
            "plaintiff": plaintiff, "defendant": defendant, "expert": world.sh_expert}


def api_flags(client, headers, assignment_id):
    response = client.get(f"/api/v1/assignments/{assignment_id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["flags"]


def declare_conflict(client, headers, expert_id, organization_id):
    response = client.post(f"/api/v1/experts/{expert_id}/conflicts", headers=headers,
                           json={"organization_id": organization_id, "reason": "原告前雇主"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def declare_absence(client, headers, expert_id, start, end):
    response = client.post(f"/api/v1/experts/{expert_id}/unavailability", headers=headers,
                           json={"start": start.isoformat(), "end": end.isoformat()})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# -- the case ----------------------------------------------------------------------------

def test_conflict_and_absence_on_an_accepted_seat_flag_it_at_once(client, seat, as_):
    expert_id, seat_id = seat["expert"].id, seat["assignment"].id
    declare_conflict(client, as_("expert_sh"), expert_id, seat["plaintiff"].id)
    declare_absence(client, as_("expert_sh"), expert_id, INSPECTION, INSPECTION)

    for reader in ("coordinator_yrd", "clerk_sh", "admin"):
        found = api_flags(client, as_(reader), seat_id)
        # The rule named is the legal situation (scheduler/rules.py), not verify's rule 6.
        assert sorted(f["rule"] for f in found) == ["availability", "declared_conflict"]
    conflict = next(f for f in found if f["rule"] == "declared_conflict")
    assert conflict["title"] == "本人申报的利益冲突"
    assert conflict["title_en"] == "a conflict the expert declared"
    assert conflict["facts"]["declared"] == [{"name": "甲科技有限公司", "role": "plaintiff"}]
    assert conflict["raised_at"]
    absence = next(f for f in found if f["rule"] == "availability")
    assert absence["facts"]["days"] == [[INSPECTION.isoformat(), INSPECTION.isoformat()]]
    # Nothing is cancelled behind anyone's back.
    db.session.expire_all()
    assert seat["assignment"].status is AssignmentStatus.ACCEPTED


def test_flags_are_audited_when_raised_and_cleared(client, seat, as_):
    entry = declare_absence(client, as_("expert_sh"), seat["expert"].id, INSPECTION,
                            INSPECTION)
    client.delete(f"/api/v1/experts/{seat['expert'].id}/unavailability/{entry['id']}",
                  headers=as_("expert_sh"))
    events = db.session.query(AuditEvent).filter_by(
        entity="assignment", entity_id=str(seat["assignment"].id)).order_by(AuditEvent.id).all()
    assert [(e.action, (e.after or {}).get("rule") or (e.before or {}).get("rule"))
            for e in events] == [("flag", "availability"), ("clear_flag", "availability")]


def test_deleting_the_absence_clears_its_flag_and_keeps_the_other(client, seat, as_):
    expert_id, seat_id = seat["expert"].id, seat["assignment"].id
    declare_conflict(client, as_("expert_sh"), expert_id, seat["plaintiff"].id)
    entry = declare_absence(client, as_("expert_sh"), expert_id, INSPECTION, INSPECTION)
    response = client.delete(f"/api/v1/experts/{expert_id}/unavailability/{entry['id']}",
                             headers=as_("expert_sh"))
    assert response.status_code == 204
    assert [f["rule"] for f in api_flags(client, as_("coordinator_yrd"), seat_id)] == \
        ["declared_conflict"]
    cleared = db.session.query(AssignmentFlag).filter(
        AssignmentFlag.cleared_at.is_not(None)).one()
    assert (cleared.rule, cleared.cleared_because) == ("availability", "resolved")


def test_a_breach_already_flagged_is_not_flagged_twice(client, seat, as_):
    expert_id = seat["expert"].id
    declare_absence(client, as_("expert_sh"), expert_id, INSPECTION, INSPECTION)
    declare_conflict(client, as_("expert_sh"), expert_id, seat["defendant"].id)
    assert db.session.query(AssignmentFlag).filter_by(rule="availability").count() == 1


# -- suspensions ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["serious", "suspension"])
def test_a_disqualifying_credit_record_flags_the_seat(client, seat, as_, kind):
    response = client.post(f"/api/v1/experts/{seat['expert'].id}/credit-records",
                           headers=as_("coordinator_yrd"),
                           json={"kind": kind, "start": date.today().isoformat()})
    assert response.status_code == 201, response.get_json()
    [flag] = api_flags(client, as_("clerk_sh"), seat["assignment"].id)
    assert flag["rule"] == "appointment" and flag["facts"]["credit"] == [kind]


def test_a_warning_on_the_record_flags_nothing(client, seat, as_):
    response = client.post(f"/api/v1/experts/{seat['expert'].id}/credit-records",
                           headers=as_("coordinator_yrd"),
                           json={"kind": "warning", "start": date.today().isoformat()})
    assert response.status_code == 201
    assert api_flags(client, as_("coordinator_yrd"), seat["assignment"].id) == []


def test_suspending_the_expert_flags_the_seat_and_reactivating_clears_it(client, seat, as_):
    url = f"/api/v1/experts/{seat['expert'].id}"
    response = client.patch(url, headers=as_("coordinator_yrd"), json={"status": "suspended"})
    assert response.status_code == 200, response.get_json()
    [flag] = api_flags(client, as_("clerk_sh"), seat["assignment"].id)
    assert (flag["rule"], flag["facts"]["status"]) == ("appointment", "suspended")
    client.patch(url, headers=as_("coordinator_yrd"), json={"status": "active"})
    assert api_flags(client, as_("clerk_sh"), seat["assignment"].id) == []


def test_a_suspension_does_not_clear_the_seats_other_flags(client, seat, as_):
    """A suspended expert is in no problem, so its seat is judged on that bar alone: the
    conflict flagged before is not thereby gone, and stays open."""
    declare_conflict(client, as_("expert_sh"), seat["expert"].id, seat["plaintiff"].id)
    before = {f["rule"] for f in api_flags(client, as_("clerk_sh"), seat["assignment"].id)}
    assert before == {"declared_conflict"}
    url = f"/api/v1/experts/{seat['expert'].id}"
    assert client.patch(url, headers=as_("coordinator_yrd"),
                        json={"status": "suspended"}).status_code == 200
    during = {f["rule"] for f in api_flags(client, as_("clerk_sh"), seat["assignment"].id)}
    assert during == {"declared_conflict", "appointment"}
    client.patch(url, headers=as_("coordinator_yrd"), json={"status": "active"})
    after = {f["rule"] for f in api_flags(client, as_("clerk_sh"), seat["assignment"].id)}
    assert after == {"declared_conflict"}  # judged again on every rule: the conflict stands


def test_a_travel_limit_lowered_below_the_trip_flags_the_seat(client, seat, as_):
    seat["request"].city_code = "hangzhou"  # ~165 km from the expert's Shanghai
    db.session.commit()
    url = f"/api/v1/experts/{seat['expert'].id}"
    for km, flagged in ((500, []), (100, ["travel"]), (300, [])):
        response = client.patch(url, headers=as_("expert_sh"), json={"max_travel_km": km})
        assert response.status_code == 200, response.get_json()
        assert [f["rule"] for f in api_flags(client, as_("coordinator_yrd"),
                                             seat["assignment"].id)] == flagged, km


def test_seats_on_several_requests_are_judged_each_and_read_the_expert_once(
        client, seat, make, world, as_):
    # Four held seats of one expert: a later day in Hangzhou (~165 km), one in Shanghai, a
    # written opinion without days, and the fixture's. Each request is its own one-request
    # problem, but what they share (the expert's fields, absences and bookings, the cities)
    # is read once, not once per request; so are the seats' open flags. (All days are
    # ahead: a request without days read from today, the others from their first day.)
    from registry.models import Assignment

    world.proposal.status = AssignmentStatus.WITHDRAWN  # on days past
    seats = {"fixture": seat["assignment"]}
    for name, city, offset in (("hangzhou", "hangzhou", 40), ("shanghai", "shanghai", 60),
                               ("opinion", "shanghai", None)):
        day = offset and date.today() + timedelta(days=offset)
        request = make.request(case=seat["case"], city_code=city,
                               days=[(day, day)] if day else [])
        seats[name] = Assignment(request=request, expert=seat["expert"], reasons=["test"],
                                 status=AssignmentStatus.CONFIRMED)
        db.session.add(seats[name])
    db.session.commit()
    url = f"/api/v1/experts/{seat['expert'].id}"
    with recording_statements() as seen:
        response = client.patch(url, headers=as_("expert_sh"), json={"max_travel_km": 100})
    assert response.status_code == 200, response.get_json()
    flagged = {name: [f["rule"] for f in api_flags(client, as_("coordinator_yrd"), a.id)]
               for name, a in seats.items()}
    assert flagged == {"fixture": [], "hangzhou": ["travel"], "shanghai": [], "opinion": []}
    # (The expert's facts are read as plain rows: these texts are the export's alone. Its
    # roles, fields and languages are not loaded with the seats' expert besides.)
    for export_read in ("credit_record.start >", "JOIN attendance_days", "FROM city ORDER BY",
                        "dispatch_request.case_id, exclusion.request_id",  # exclusions
                        "expert.max_travel_km FROM expert",  # the expert's row
                        "FROM expert_role_grant", "FROM expert_field", "FROM expert_language",
                        "FROM assignment_flag WHERE assignment_flag.assignment_id IN"):
        assert len([s for s in seen if export_read in " ".join(s.split())]) == 1, export_read
    assert not any("JOIN assignment_flag" in s for s in seen)  # no seat loads its flags


def test_conflicts_on_several_cases_read_each_cases_bars_once(client, seat, make, world, as_):
    # The expert declared a conflict with a plaintiff of two cases where it holds a seat: both
    # seats are flagged. A later change judges both again; what each seat's rule and facts
    # ask of its case (recorded exclusions, pending challenges, other stages, the expert's
    # relations) is what the problems read first, and is not asked again per seat.
    from registry.models import Assignment

    world.proposal.status = AssignmentStatus.WITHDRAWN  # on days past
    other_case = make.case(body=world.sh_court, parties=(seat["plaintiff"],),
                           number="（2026）沪73知民初676号")
    day = INSPECTION + timedelta(days=10)
    other = Assignment(request=make.request(case=other_case, days=[(day, day)]),
                       expert=seat["expert"], reasons=["test"],
                       status=AssignmentStatus.CONFIRMED)
    db.session.add(other)
    db.session.commit()
    declare_conflict(client, as_("expert_sh"), seat["expert"].id, seat["plaintiff"].id)
    url = f"/api/v1/experts/{seat['expert'].id}"
    with recording_statements() as seen:
        response = client.patch(url, headers=as_("expert_sh"),
                                json={"max_travel_km": 999})
    assert response.status_code == 200, response.get_json()
    for assignment in (seat["assignment"], other):
        [flag] = api_flags(client, as_("coordinator_yrd"), assignment.id)
        assert flag["rule"] == "declared_conflict"
        assert flag["facts"]["declared"] == [{"name": "甲科技有限公司", "role": "plaintiff"}]
    sent = [" ".join(statement.replace('"', "").split()) for statement in seen]
    for read in ("FROM exclusion JOIN dispatch_request", "FROM challenge",
                 "expert_relation.note"):
        assert len([s for s in sent if read in s]) == 1, read
    # The stages linked to both cases: once, for the exclusions and the problems' fields.
    assert len([s for s in sent if "WHERE case.earlier_stage_id IN" in s]) == 1


def test_contacts_name_or_workload_cap_alone_leave_the_seats_unjudged(client, seat, as_):
    # No rule reads them when a held seat is judged (workload limits new seats only); a
    # change of them, or a value written again, costs no re-check of the expert's seats.
    url = f"/api/v1/experts/{seat['expert'].id}"
    again = {"max_travel_km": seat["expert"].max_travel_km}
    headers = as_("coordinator_yrd")
    for change in ({"phone": "+86 139 0000 0000"}, {"email": "new.mail@example.cn"},
                   {"name": "王芳芳"}, {"max_concurrent": 5}, again):
        with recording_statements() as seen:
            response = client.patch(url, headers=headers, json=change)
        assert response.status_code == 200, response.get_json()
        assert not any("FROM assignment" in statement for statement in seen), change
    with recording_statements() as seen:
        client.patch(url, headers=headers, json={"languages": ["zh", "en"]})
    assert any("FROM assignment" in statement for statement in seen)


def test_a_suspension_starting_on_the_inspection_day_flags_availability(client, seat, as_):
    response = client.post(f"/api/v1/experts/{seat['expert'].id}/credit-records",
                           headers=as_("coordinator_yrd"),
                           json={"kind": "suspension", "start": INSPECTION.isoformat()})
    assert response.status_code == 201
    assert [f["rule"] for f in api_flags(client, as_("clerk_sh"), seat["assignment"].id)] == \
        ["availability"]


# -- affiliations, and held seats of every kind ----------------------------------------------------

def test_joining_a_party_flags_the_seat_and_names_the_party(client, seat, as_):
    response = client.post(f"/api/v1/experts/{seat['expert'].id}/affiliations",
                           headers=as_("expert_sh"),
                           json={"organization_id": seat["defendant"].id})
    assert response.status_code == 201, response.get_json()
    [flag] = api_flags(client, as_("coordinator_yrd"), seat["assignment"].id)
    assert flag["rule"] == "party_or_representative"  # works for the party now
    assert flag["facts"]["affiliated"] == [{"name": "乙电子股份有限公司", "role": "defendant"}]


def test_becoming_a_shareholder_of_a_party_flags_an_interest_in_the_case(client, seat, as_):
    response = client.post(f"/api/v1/experts/{seat['expert'].id}/affiliations",
                           headers=as_("expert_sh"),
                           json={"organization_id": seat["defendant"].id, "role": "股东"})
    assert response.status_code == 201, response.get_json()
    [flag] = api_flags(client, as_("coordinator_yrd"), seat["assignment"].id)
    assert flag["rule"] == "interest_in_case"


@pytest.mark.parametrize("status", ["proposed", "confirmed"])
def test_proposed_and_confirmed_seats_are_flagged_too(client, seat, as_, status):
    seat["assignment"].status = AssignmentStatus(status)
    seat["request"].status = RequestStatus(status)
    db.session.commit()
    declare_conflict(client, as_("expert_sh"), seat["expert"].id, seat["plaintiff"].id)
    assert [f["rule"] for f in api_flags(client, as_("coordinator_yrd"),
                                         seat["assignment"].id)] == ["declared_conflict"]


def test_an_ended_seat_is_not_flagged(client, seat, as_):
    seat["assignment"].status = AssignmentStatus.COMPLETED
    seat["request"].status = RequestStatus.COMPLETED
    db.session.commit()
    declare_conflict(client, as_("expert_sh"), seat["expert"].id, seat["plaintiff"].id)
    assert db.session.query(AssignmentFlag).count() == 0


# -- what must not flag ----------------------------------------------------------------------------

def test_a_change_that_breaks_nothing_flags_nothing(client, make, seat, as_):
    unrelated = make.organization(name="丙无关公司")
    db.session.commit()
    expert_id = seat["expert"].id
    declare_conflict(client, as_("expert_sh"), expert_id, unrelated.id)
    declare_absence(client, as_("expert_sh"), expert_id, INSPECTION + timedelta(days=1),
                    INSPECTION + timedelta(days=5))
    declare_absence(client, as_("expert_sh"), expert_id, INSPECTION - timedelta(days=3),
                    INSPECTION - timedelta(days=1))
    response = client.post(f"/api/v1/experts/{expert_id}/affiliations",
                           headers=as_("expert_sh"), json={"organization_id": unrelated.id})
    assert response.status_code == 201
    assert api_flags(client, as_("coordinator_yrd"), seat["assignment"].id) == []
    assert db.session.query(AssignmentFlag).count() == 0


def test_a_seat_at_full_load_is_not_flagged_for_counting_itself(client, make, seat, as_):
    """The held seat is the plan, not a new pair: an expert at its cap is not over it."""
    seat["expert"].max_concurrent = 1
    unrelated = make.organization(name="丁公司")
    db.session.commit()
    declare_conflict(client, as_("expert_sh"), seat["expert"].id, unrelated.id)
    assert api_flags(client, as_("coordinator_yrd"), seat["assignment"].id) == []


def test_other_experts_seats_are_not_flagged(client, make, seat, world, as_):
    other_request = make.request(case=seat["case"], days=[(INSPECTION, INSPECTION)])
    from registry.models import Assignment

    other = Assignment(request=other_request, expert=world.js_expert, reasons=["test"],
                       status=AssignmentStatus.CONFIRMED)
    db.session.add(other)
    db.session.commit()
    declare_conflict(client, as_("expert_sh"), seat["expert"].id, seat["plaintiff"].id)
    assert api_flags(client, as_("coordinator_yrd"), other.id) == []


# -- who sees it -----------------------------------------------------------------------------------

def test_another_region_and_another_body_do_not_see_the_seat(client, seat, as_):
    declare_conflict(client, as_("expert_sh"), seat["expert"].id, seat["plaintiff"].id)
    for outsider in ("coordinator_gba", "clerk_gd", "expert_gd"):
        response = client.get(f"/api/v1/assignments/{seat['assignment'].id}",
                              headers=as_(outsider))
        assert response.status_code == 404, outsider


def test_the_flagged_list_is_scoped(client, seat, world, as_):
    declare_conflict(client, as_("expert_sh"), seat["expert"].id, seat["plaintiff"].id)
    assert [a.id for a in flags.flagged_seats(world.users["coordinator_yrd"])] == \
        [seat["assignment"].id]
    assert flags.flagged_seats(world.users["coordinator_gba"]) == []
    assert flags.flagged_seats(world.users["clerk_gd"]) == []


# -- the pages -------------------------------------------------------------------------------------

@pytest.fixture
def sign_in_as(client, world):
    def as_user(name: str):
        client.get("/sign-out")
        response = client.post("/sign-in", data={"email": world.users[name].email,
                                                 "password": PASSWORD})
        assert response.status_code == 302
        return client

    return as_user


def test_the_clerk_case_page_shows_the_warning_in_words(client, seat, as_, sign_in_as):
    declare_conflict(client, as_("expert_sh"), seat["expert"].id, seat["plaintiff"].id)
    declare_absence(client, as_("expert_sh"), seat["expert"].id, INSPECTION, INSPECTION)
    page = sign_in_as("clerk_sh").get(f"/clerk/cases/{seat['case'].id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    warning = text[text.index('id="flags-heading"'):text.index("</section>",
                                                                 text.index("flags-heading"))]
    # The rule titles come from scheduler/rules.py; the party with its role in the case.
    assert "利益冲突" in warning and "可出勤" in warning
    assert "甲科技有限公司" in warning and "原告" in warning
    assert INSPECTION.isoformat() in warning
    english = client.get(f"/clerk/cases/{seat['case'].id}?lang=en").get_data(as_text=True)
    assert ("The technical investigator declared a conflict of interest with 甲科技有限公司 "
            "(plaintiff) after taking the seat.") in english
    assert f"The technical investigator is unavailable on {INSPECTION.isoformat()}" in english


def test_a_pending_challenge_is_explained_as_itself(client, seat, as_, sign_in_as):
    from registry.services.recusals import local_today

    case = seat["case"]
    challenge = client.post(f"/api/v1/cases/{case.id}/challenges", headers=as_("clerk_sh"),
                            json={"expert_id": seat["expert"].id,
                                  "party_id": case.parties[0].id,
                                  "applied_on": local_today().isoformat(),
                                  "grounds": "与原告存在合作关系"})
    assert challenge.status_code == 201, challenge.get_json()
    text = sign_in_as("clerk_sh").get(f"/clerk/cases/{case.id}").get_data(as_text=True)
    warning = text[text.index('id="flags-heading"'):]
    assert "回避申请待决，暂停参与</strong>：一方当事人申请该专家回避" in warning
    assert "申报" not in warning.split("</ul>")[0]  # not the declared-conflict sentence


def test_the_clerk_of_another_body_gets_404_for_the_case(client, seat, as_, sign_in_as):
    declare_conflict(client, as_("expert_sh"), seat["expert"].id, seat["plaintiff"].id)
    assert sign_in_as("clerk_gd").get(f"/clerk/cases/{seat['case'].id}").status_code == 404


def test_a_case_without_flags_shows_no_warning(client, seat, sign_in_as):
    text = sign_in_as("clerk_sh").get(f"/clerk/cases/{seat['case'].id}").get_data(as_text=True)
    assert "flags-heading" not in text


def test_the_console_lists_flagged_seats_with_a_way_to_replan(client, seat, as_, sign_in_as):
    declare_conflict(client, as_("expert_sh"), seat["expert"].id, seat["plaintiff"].id)
    page = sign_in_as("coordinator_yrd").get("/console/flags")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "（2026）沪73知民初675号" in text and "利益冲突" in text
    assert f"/console/requests/{seat['request'].id}/candidates" in text
    assert "/console/runs" in text
    other = sign_in_as("coordinator_gba").get("/console/flags").get_data(as_text=True)
    assert "（2026）沪73知民初675号" not in other


def test_the_candidates_page_shows_the_flag_on_the_seat(client, seat, as_, sign_in_as):
    declare_absence(client, as_("expert_sh"), seat["expert"].id, INSPECTION, INSPECTION)
    page = sign_in_as("coordinator_yrd").get(
        f"/console/requests/{seat['request'].id}/candidates")
    assert page.status_code == 200
    assert "可出勤" in page.get_data(as_text=True)


def test_the_flag_pages_render_without_queries(app, client, seat, as_, sign_in_as):
    from tests.web.test_templates_never_query import statements_while_rendering

    declare_conflict(client, as_("expert_sh"), seat["expert"].id, seat["plaintiff"].id)
    for user, url in (("clerk_sh", f"/clerk/cases/{seat['case'].id}"),
                      ("coordinator_yrd", "/console/flags"),
                      ("coordinator_yrd", f"/console/requests/{seat['request'].id}/candidates")):
        sign_in_as(user)
        with statements_while_rendering(app) as seen:
            assert client.get(url).status_code == 200
        assert seen == [], url


# -- exclusions, and the mail ----------------------------------------------------------------------

def test_a_recorded_recusal_ends_the_seat_and_its_flag(client, seat, as_):
    declare_conflict(client, as_("expert_sh"), seat["expert"].id, seat["plaintiff"].id)
    response = client.post(f"/api/v1/requests/{seat['request'].id}/exclusions",
                           headers=as_("clerk_sh"),
                           json={"expert_id": seat["expert"].id, "reason": "recusal"})
    assert response.status_code == 201, response.get_json()
    db.session.expire_all()
    flag = db.session.query(AssignmentFlag).one()
    assert flag.cleared_because == "seat_ended"
    assert seat["assignment"].status is AssignmentStatus.CANCELLED


def test_the_clerk_and_the_coordinators_get_a_mail(client, seat, world, as_, inbox):  # noqa: F811
    declare_conflict(client, as_("expert_sh"), seat["expert"].id, seat["plaintiff"].id)
    assert world.users["clerk_sh"].email in inbox.recipients()
    assert world.users["coordinator_yrd"].email in inbox.recipients()
    assert world.users["coordinator_sh"].email in inbox.recipients()
    assert world.users["coordinator_gba"].email not in inbox.recipients()
    assert world.users["clerk_gd"].email not in inbox.recipients()
    mail = inbox.to(world.users["clerk_sh"].email)
    assert "（2026）沪73知民初675号" in mail.message["Subject"]
    assert "甲科技有限公司" in mail.body and "利益冲突" in mail.body
    assert f"/clerk/cases/{seat['case'].id}" in mail.body
    assert "/console/flags" in inbox.to(world.users["coordinator_yrd"].email).body


def test_a_change_that_breaks_nothing_sends_no_mail(client, make, seat, as_, inbox):  # noqa: F811
    unrelated = make.organization(name="丙无关公司")
    db.session.commit()
    declare_conflict(client, as_("expert_sh"), seat["expert"].id, unrelated.id)
    assert inbox.received == []


# -- races: a declaration and a hand pick at the same moment ------------------------------------

def test_a_conflict_declared_while_a_seat_is_taken_is_never_silent(app, make, world, as_):
    """Either the hand pick sees the conflict (refused), or the re-check sees the seat
    (flagged): never a held seat that breaks the bar unnoticed."""
    from tests.test_races import ROUNDS, all_at_once, post

    expert = world.sh_expert
    expert.max_concurrent = 100
    rounds = []
    for n in range(ROUNDS):
        party = make.organization(name=f"竞态原告{n}")
        case = make.case(body=world.sh_court, parties=(party,))
        rounds.append((make.request(case=case), party))
    db.session.commit()
    coordinator, declarer = as_("coordinator_yrd"), as_("expert_sh")
    with _serve(app) as base:
        for request, party in rounds:
            statuses = all_at_once([
                post(f"{base}/api/v1/assignments", coordinator,
                     {"request_id": request.id, "expert_id": expert.id, "note": "race"}),
                post(f"{base}/api/v1/experts/{expert.id}/conflicts", declarer,
                     {"organization_id": party.id})])
            assert statuses[1] == 201 and statuses[0] in (201, 422), statuses
    db.session.expire_all()
    from registry.models import Assignment

    for request, _party in rounds:
        seat = db.session.query(Assignment).filter_by(request_id=request.id).one_or_none()
        if seat is not None and seat.is_active:
            assert [f.rule for f in seat.open_flags] == ["declared_conflict"], request.id


class _serve:
    """The app on a threaded server (as tests/test_races.py serves it)."""

    def __init__(self, app):
        import threading

        from werkzeug.serving import make_server

        self.httpd = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return f"http://127.0.0.1:{self.httpd.server_port}"

    def __exit__(self, *_exc):
        self.httpd.shutdown()
        self.thread.join(timeout=5)


def test_a_near_relative_flag_reads_the_experts_relations_once(app, make, seat, world):
    """The rule's name (legal_rule) and the flag's facts both need the near relatives among
    the parties: they are looked up once for the seat, not once for each."""
    from sqlalchemy import event

    from registry.models import IdentityDocument, PartyRole, RelationKind
    from registry.services import persons
    from tests.test_persons import WANG_ID

    admin = world.users["admin"]
    wang = {"name": "王芳", "document_type": IdentityDocument.RESIDENT_ID,
            "identity_number": WANG_ID}
    persons.add_person_party(seat["case"], wang | {"role": PartyRole.PLAINTIFF}, admin)
    db.session.commit()
    lookups = []

    def executed(_conn, _cursor, statement, *_args):
        if "ORDER BY expert_relation.declared_at" in statement:  # persons.relations_of
            lookups.append(statement)

    event.listen(db.engine, "before_cursor_execute", executed)
    try:
        persons.declare_relation(seat["expert"], wang | {"kind": RelationKind.SPOUSE}, admin)
    finally:
        event.remove(db.engine, "before_cursor_execute", executed)
    db.session.commit()
    [flag] = db.session.query(AssignmentFlag).all()
    assert flag.rule == "near_relative"
    assert [r["name"] for r in flag.facts["relatives"]] == ["王芳"]
    assert len(lookups) == 1
