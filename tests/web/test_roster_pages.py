"""The console's roster page: coordinators put arbitrators on institutions' rosters in the
browser (issue 9 item 6)."""

from registry.extensions import db
from registry.models import PanelMembership


def test_the_roster_page_adds_a_place_and_keeps_a_wrong_one_with_its_message(
        client, make, world, sign_in):
    sign_in("coordinator_gba")
    url = f"/console/experts/{world.gd_expert.id}/panels"
    page = client.get(url)
    assert page.status_code == 200 and 'id="panel-form"' in page.get_data(as_text=True)

    wrong = client.post(url, data={"institution_id": str(world.sh_court.id),
                                   "start": "2024-01-01"})
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and 'id="institution_id-error"' in html
    assert 'value="2024-01-01"' in html

    done = client.post(url, data={"institution_id": str(world.gd_court.id),
                                  "start": "2024-01-01"})
    assert done.status_code == 302
    assert [p.institution_id for p in db.session.query(PanelMembership)] == [world.gd_court.id]


def test_the_experts_list_links_an_arbitrators_rosters(client, world, sign_in):
    sign_in("coordinator_gba")
    html = client.get("/console/experts").get_data(as_text=True)
    assert f"/console/experts/{world.gd_expert.id}/panels" in html
