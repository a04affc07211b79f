"""Recognition by role and by an institution's roster, through the registry (issue 9 item 6):
the export carries them, a coordinator's hand pick is judged by them, rosters are kept and
audited."""

from datetime import date

import pytest

from registry.extensions import db
from registry.models import (
    AuditEvent,
    DomainError,
    ExpertRole,
    OrganizationKind,
    PanelMembership,
    RecognitionAgreement,
)
from registry.services import dispatch, panels, problem_export, reach, seeding
from registry.services.dispatch import check_manual_assignment, export_problem

AS_OF = date(2025, 1, 10)
DAYS = ((date(2025, 2, 10), date(2025, 2, 11)),)


@pytest.fixture
def by_role(make):
    """The agreements as seeds/agreements.csv has them: YRD for investigators, GBA for
    arbitrators (the factories' agreements name no roles: every role)."""
    make.geography()
    db.session.get(RecognitionAgreement, "YRD").set_roles(["investigator"])
    db.session.get(RecognitionAgreement, "GBA").set_roles(["arbitrator"])
    db.session.flush()


def institution(make, city="shanghai"):
    return make.body(city, kind=OrganizationKind.ARBITRATION_INSTITUTION, case_number_code=None,
                     name=f"Arbitration institution in {city}")


def arbitration_request(make, body, seats=1):
    case = make.case(body=body, kind="arbitration", number=f"（2025）仲案{body.id}号")
    return make.request(case=case, role=ExpertRole.ARBITRATOR, seats=seats, days=DAYS,
                        remote_allowed=True)


def arbitrator(make, city="hong_kong"):
    return make.expert(roles=("arbitrator",), city=city, languages=("zh", "en"))


def on_roster(expert, body, start=None, end=None):
    place = PanelMembership(expert=expert, institution=body, start=start)
    place.end = end
    db.session.add(place)
    db.session.flush()
    return place


def refused_by(messages: list[str]) -> list[str]:
    return [m.split(":")[0] for m in messages]


# -- the two gaps of the issue, through the registry ---------------------------------------

def test_guangdong_investigator_is_not_dispatched_to_a_hong_kong_court_case(make, by_role):
    hk_court = make.body("hong_kong", name="High Court of Hong Kong", case_number_code=None)
    case = make.case(body=hk_court, number="HCA 1234/2024")
    request = make.request(case=case, days=DAYS, remote_allowed=True)
    investigator = make.expert(city="shenzhen")

    assert refused_by(check_manual_assignment(request, investigator, AS_OF)) == \
        ["rule 4 (jurisdiction)"]


def test_guangdong_arbitrator_is_still_recognised_in_hong_kong(make, by_role):
    hk_institution = institution(make, "hong_kong")
    request = arbitration_request(make, hk_institution)
    assert check_manual_assignment(request, arbitrator(make, "shenzhen"), AS_OF) == []


def test_hong_kong_arbitrator_on_a_shanghai_institutions_roster_may_be_picked(make, by_role):
    shanghai = institution(make)
    request = arbitration_request(make, shanghai)
    member = arbitrator(make)
    on_roster(member, shanghai, start=date(2024, 1, 1))

    assert check_manual_assignment(request, member, AS_OF) == []


def test_hong_kong_arbitrator_off_the_roster_is_refused(make, by_role):
    shanghai, shenzhen = institution(make), institution(make, "shenzhen")
    request = arbitration_request(make, shanghai)
    on_roster(arbitrator(make), shanghai)  # the institution keeps its roster here
    other = arbitrator(make)
    on_roster(other, shenzhen)

    assert refused_by(check_manual_assignment(request, other, AS_OF)) == ["rule 4 (jurisdiction)"]


def test_a_place_that_ends_before_the_hearing_does_not_count(make, by_role):
    shanghai = institution(make)
    request = arbitration_request(make, shanghai)
    member = arbitrator(make)
    on_roster(member, shanghai, end=date(2025, 2, 10))  # the hearing runs to 11 February

    assert refused_by(check_manual_assignment(request, member, AS_OF)) == ["rule 4 (jurisdiction)"]


def test_a_local_arbitrator_off_a_kept_roster_is_refused(make, by_role):
    shanghai = institution(make)
    request = arbitration_request(make, shanghai)
    on_roster(arbitrator(make), shanghai)
    local = arbitrator(make, "shanghai")

    assert refused_by(check_manual_assignment(request, local, AS_OF)) == ["rule 4 (jurisdiction)"]


def test_without_a_roster_in_the_registry_geography_decides(make, by_role):
    request = arbitration_request(make, institution(make))
    assert check_manual_assignment(request, arbitrator(make, "shanghai"), AS_OF) == []
    assert refused_by(check_manual_assignment(request, arbitrator(make), AS_OF)) == \
        ["rule 4 (jurisdiction)"]


def test_yrd_investigators_still_cross_provinces(make, by_role):
    request = make.request(days=DAYS, remote_allowed=True)
    assert check_manual_assignment(request, make.expert(city="hefei"), AS_OF) == []


# -- the export --------------------------------------------------------------------------------

def test_export_carries_roles_rosters_and_roster_members_from_outside_the_region(make, by_role):
    shanghai = institution(make)
    request = arbitration_request(make, shanghai)
    member = arbitrator(make)
    on_roster(member, shanghai, start=date(2024, 1, 1))
    stranger = arbitrator(make)  # Hong Kong, on no roster: not a candidate for Shanghai

    document, _run = export_problem("SH", date(2025, 1, 1), date(2025, 3, 31), as_of=AS_OF)

    assert {"members": ["AH", "JS", "SH", "ZJ"], "roles": ["investigator"]} in \
        document["recognition_groups"]
    (entry,) = [r for r in document["requests"] if r["id"] == str(request.id)]
    assert entry["institution"] == str(shanghai.id)
    experts = {e["id"]: e for e in document["experts"]}
    assert str(stranger.id) not in experts
    assert experts[str(member.id)]["panels"] == [
        {"institution": str(shanghai.id), "from": "2024-01-01", "until": None}]


def test_an_agreement_without_roles_is_exported_as_a_plain_list(make):
    make.geography()
    agreement = db.session.get(RecognitionAgreement, "YRD")
    assert agreement.roles is None and agreement.role_names == [
        "arbitrator", "consultant", "investigator"]
    assert problem_export.recognition_group(agreement) == ["AH", "JS", "SH", "ZJ"]


def test_a_court_request_names_no_institution(make, by_role):
    request = make.request(days=DAYS)
    assert reach.roster_institution(request) is None


def test_seeded_agreements_name_their_roles(app):
    seeding.load_reference_data()
    roles = {a.code: a.role_names for a in db.session.query(RecognitionAgreement)}
    assert roles == {"YRD": ["investigator"], "GBA": ["arbitrator"]}


# -- keeping rosters -----------------------------------------------------------------------------

def test_adding_a_place_is_audited_on_the_expert(make, by_role):
    admin, shanghai, member = make.user(), institution(make), arbitrator(make)
    place = panels.add_place(member, {"institution_id": shanghai.id, "start": date(2024, 1, 1),
                                      "end": None}, admin)
    db.session.commit()  # (events are written at the commit, as the pages' is)
    event = db.session.query(AuditEvent).filter_by(action="add_panel_membership").one()
    assert (event.entity, event.entity_id) == ("expert", str(member.id))
    assert event.after == {"institution": shanghai.id, "start": "2024-01-01", "end": None}
    panels.end_place(place, date(2025, 6, 30), admin)
    db.session.commit()
    assert db.session.query(AuditEvent).filter_by(action="update_panel_membership").count() == 1


@pytest.mark.parametrize("why", ["not an arbitrator", "not an institution", "overlapping",
                                 "ends before it starts"])
def test_a_place_that_makes_no_sense_is_refused(make, by_role, why):
    admin, shanghai = make.user(), institution(make)
    expert = make.expert(city="hong_kong") if why == "not an arbitrator" else arbitrator(make)
    data = {"institution_id": shanghai.id, "start": date(2024, 1, 1), "end": None}
    if why == "not an institution":
        data["institution_id"] = make.body("shanghai").id
    if why == "overlapping":
        panels.add_place(expert, dict(data, start=date(2023, 1, 1)), admin)
    if why == "ends before it starts":
        data["end"] = date(2023, 1, 1)
    with pytest.raises(DomainError):
        panels.add_place(expert, data, admin)


def test_seed_panels_demo_puts_hong_kong_arbitrators_on_shiac_and_is_idempotent(make):
    make.geography()
    db.session.get(RecognitionAgreement, "GBA").set_roles(["arbitrator"])
    shiac = institution(make)
    shiac.registry_id = "shiac"
    scia = institution(make, "shenzhen")
    hk, gd, sh = arbitrator(make), arbitrator(make, "shenzhen"), arbitrator(make, "shanghai")

    assert panels.seed_panels_demo() == 4
    assert panels.seed_panels_demo() == 0
    rosters = {e.id: sorted(p.institution_id for p in e.panel_memberships) for e in (hk, gd, sh)}
    assert rosters == {hk.id: sorted([shiac.id, scia.id]), gd.id: [scia.id], sh.id: [shiac.id]}


# -- the API and the page -----------------------------------------------------------------------

def test_coordinators_keep_rosters_through_the_api(client, make, world, as_):
    shanghai = institution(make)
    member = world.gd_expert
    url = f"/api/v1/experts/{member.id}/panels"
    body = {"institution_id": shanghai.id, "start": "2024-01-01"}

    assert client.post(url, json=body, headers=as_("coordinator_yrd")).status_code in (403, 404)
    assert client.post(url, json=body, headers=as_("expert_gd")).status_code == 403
    created = client.post(url, json=body, headers=as_("coordinator_gba"))
    assert created.status_code == 201, created.get_json()
    place = created.get_json()
    assert (place["institution_id"], place["start"], place["end"]) == \
        (shanghai.id, "2024-01-01", None)

    ended = client.patch(f"{url}/{place['id']}", json={"end": "2026-12-31"},
                         headers=as_("coordinator_gba"))
    assert ended.status_code == 200 and ended.get_json()["end"] == "2026-12-31"
    listed = client.get(url, headers=as_("coordinator_gba")).get_json()
    assert [p["id"] for p in listed] == [place["id"]]
    assert client.delete(f"{url}/{place['id']}",
                         headers=as_("coordinator_gba")).status_code == 204


def test_a_bad_place_is_a_422_naming_the_field(client, make, world, as_):
    url = f"/api/v1/experts/{world.gd_expert.id}/panels"
    response = client.post(url, json={"institution_id": world.sh_court.id},
                           headers=as_("admin"))
    assert response.status_code == 422
    assert "institution_id" in response.get_json()["errors"]["json"]
    response = client.post(url, json={"institution_id": world.gd_court.id,
                                      "start": "2025-02-01", "end": "2025-01-01"},
                           headers=as_("admin"))
    assert response.status_code == 422 and "end" in response.get_json()["errors"]["json"]
    assert db.session.query(PanelMembership).count() == 0


def test_rule_titles_and_explanations_come_by_key(app):
    from scheduler import rules

    # Every rule verify can name: the numbered ones, and those it checks across requests
    # under their own key (one_procedure).
    assert set(dispatch.RULE_EXPLANATIONS) == {r.key for r in rules.BY_NUMBER.values()} | {
        r.key for r in rules.RULE_LIST if r.across_requests}
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        from registry.web.labels import label_of, rule_label

        assert rule_label("near_relative") in (rules.rule("near_relative").title_zh,
                                               rules.rule("near_relative").title_en)
        assert label_of("declined") != rule_label("declined")  # the status keeps its word
