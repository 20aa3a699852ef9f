"""Housing Options officers (the council) learn what kind of place a household is in, and in which
council, and nothing that could find it: no unit, site or provider name, no distance, no place label.

A refuge whose provider, site and unit carry marker names, and a household whose places carry marker
labels, are placed through the real services (so the engine writes its "1.3 km from <place>" reasons);
then every page and API operation answering GET is walked as a Housing Options officer.
"""
from __future__ import annotations

from datetime import date

import pytest

from safehome.models import Site
from safehome.services import Actor, housing_options, placements
from tests.placement_fixtures import *  # noqa: F401,F403
from tests.placement_fixtures import LEICESTER
from tests.security.walk import api_rules, page_rules, url_for_rule

MARKERS = {
    "provider": "Qzxmarkprovider",
    "site": "Qzxmarksite",
    "unit": "Qzxmarkunit",
    "stay near": "Qzxmarkschool",
    "avoid": "Qzxmarkavoid",
    "note": "Qzxmarknote",
}
PLACE = "a refuge place in Leicester"


@pytest.fixture
def placed(db, make_user, make_provider, make_unit, make_household):
    """A household moved into a marked refuge and sent to Housing Options; the officer."""
    provider = make_provider(MARKERS["provider"])
    site = Site(provider_id=provider.id, name=MARKERS["site"], area="Leicester",
                address={"line1": "1 Test Street", "town": "Leicester", "postcode": "LE1 1AA"},
                location={"lat": LEICESTER[0], "lon": LEICESTER[1]})
    db.session.add(site)
    db.session.commit()
    unit = make_unit(site=site)
    unit.name = MARKERS["unit"]
    db.session.commit()
    household = make_household(
        prefer=[{"label": MARKERS["stay near"], "lat": LEICESTER[0] + 0.01, "lon": LEICESTER[1], "km": 5,
                 "weight": 3}],
        avoid=[{"label": MARKERS["avoid"], "lat": LEICESTER[0] + 0.3, "lon": LEICESTER[1], "km": 2}])
    worker = Actor(make_user("housing_worker"))
    placement = placements.make_offer(db.session, worker, household.id, unit.id)
    placements.accept(db.session, worker, placement.id, MARKERS["note"])
    placements.move_in(db.session, worker, placement.id, date.today(), MARKERS["note"])
    housing_options.send_request(db.session, worker, household.id, "homelessness_application")
    db.session.commit()
    assert any(MARKERS["stay near"] in why for why in placement.why)  # the engine's distance is there to leak
    return {"household": household.id, "placement": placement.id, "officer": make_user("housing_options")}


def _leaks(text: str) -> list[str]:
    return [name for name, marker in MARKERS.items() if marker in text] + (["km"] if " km " in text else [])


def test_the_placements_pages_name_the_kind_of_place_and_the_council_only(client, login, placed):
    login(placed["officer"])
    for url in (f"/households/{placed['household']}/placements", f"/placements/{placed['placement']}"):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert PLACE in html and _leaks(html) == [], url


def test_the_placements_api_names_the_kind_of_place_and_the_council_only(client, placed, token_for):
    headers = token_for(placed["officer"])
    listed = client.get(f"/api/v1/placements?household_id={placed['household']}", headers=headers)
    one = client.get(f"/api/v1/placements/{placed['placement']}", headers=headers)
    assert listed.status_code == one.status_code == 200
    assert [p["unit"] for p in listed.get_json()] == [PLACE] and one.get_json()["unit"] == PLACE
    assert one.get_json()["unit_type"] == "refuge" and one.get_json()["area"] == "Leicester"
    assert [e["to_state"] for e in one.get_json()["events"]][-3:] == ["offered", "accepted", "moved_in"]
    for body in (listed.get_data(as_text=True), one.get_data(as_text=True)):
        assert _leaks(body) == [] and "unit_id" not in body and '"fit"' not in body


def test_no_page_or_api_answer_shows_an_officer_the_refuge_or_a_distance(app, client, login, placed, token_for):
    login(placed["officer"])
    headers = token_for(placed["officer"])
    opened, leaked = 0, {}
    for rules, extra in ((page_rules(app, "GET"), {}), (api_rules(app, "GET"), {"headers": headers})):
        for rule in rules:
            url = url_for_rule(app, rule)
            response = client.get(url, **extra)
            assert response.status_code < 500, url
            opened += response.status_code == 200
            if _leaks(response.get_data(as_text=True)):
                leaked[url] = _leaks(response.get_data(as_text=True))
    assert leaked == {}
    assert opened > 15  # the walk opened the officer's pages, not a wall of refusals


def test_staff_still_see_the_unit_and_the_engine_s_reasons(client, login, placed, make_user):
    login(make_user("housing_worker"))
    html = client.get(f"/placements/{placed['placement']}").get_data(as_text=True)
    assert MARKERS["site"] in html and MARKERS["unit"] in html and MARKERS["stay near"] in html
