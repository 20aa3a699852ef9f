"""Perpetrator accommodation in a real browser: filed, seen on the victim's case, matched, moved in far away."""
from __future__ import annotations

import re
from datetime import date

from geopy.distance import geodesic
from playwright.sync_api import expect

from safehome import crypto
from safehome.codes import CaseStatus, Gender, SiteKind, UnitType
from safehome.extensions import db
from safehome.models import Household, Member, PerpetratorRequest, Provider, Site, Unit
from safehome.services import perpetrator
from tests.browser.conftest import live_login

HOME = (52.6369, -1.1398)
NEAR = (52.6550, -1.1398)   # 2 km from the victim's home
FAR = (52.9548, -1.1581)    # Nottingham, 35 km away
REFERENCE = "FVS-4242"


def _world(live_server) -> dict:
    """The victim's case and two free men's perpetrator units, one too close to the victim's home."""
    with live_server.app.app_context():
        household = Household(reference=REFERENCE, status=CaseStatus.OPEN, pets=[], needs=[], languages=[],
                              home_location={"lat": HOME[0], "lon": HOME[1]}, avoid=[], prefer=[])
        household.set_risk(16, True)
        household.members = [Member(position=0, name="Victim Person", birth_date=date(1990, 5, 1),
                                    gender=Gender.FEMALE)]
        provider = Provider(name="Harbour Light Men's Project")
        db.session.add_all([household, provider])
        db.session.flush()
        units = {}
        for key, (lat, lon), area in (("near", NEAR, "Leicester"), ("far", FAR, "Nottingham")):
            site = Site(provider_id=provider.id, name=f"Harbour {key}", area=area, kind=SiteKind.PERPETRATOR,
                        address={"line1": f"{key.title()} House", "town": area, "postcode": "NG1 1AA"},
                        location={"lat": lat, "lon": lon})
            db.session.add(site)
            db.session.flush()
            unit = Unit(site_id=site.id, name=f"Flat {key}", type=UnitType.PERPETRATOR, bedspaces=1,
                        lead_genders=["male"])
            db.session.add(unit)
            db.session.flush()
            units[key] = unit.id
        db.session.commit()
        return {"household": household.id, **units}


def _sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login"))


def test_filed_seen_matched_and_moved_in_far_from_the_victim(page, live_server, live_make_user):
    world = _world(live_server)
    perp, worker, manager = (live_make_user("perpetrator_service"), live_make_user("housing_worker"),
                             live_make_user("manager"))

    # The perpetrator service files a request.
    live_login(page, live_server, perp)
    page.get_by_role("link", name="My requests").click()
    page.get_by_role("link", name="File a new request").click()
    page.get_by_label("The victim's reference code").fill(REFERENCE.lower())
    page.get_by_label("Accommodation needed from").fill(date.today().isoformat())
    page.get_by_label("Date of birth").fill("1984-03-09")
    page.get_by_label("Gender").select_option("male")
    page.get_by_label("Discussed at MARAC").check()
    page.get_by_label("MAPPA management").select_option("2")
    page.get_by_role("button", name="File the request").click()
    expect(page.get_by_role("status")).to_contain_text("The request was filed")
    expect(page.locator("h1")).to_contain_text("Filed, waiting for a match")
    request_id = int(page.url.rsplit("/", 1)[1])
    _sign_out(page)

    # The victim's housing worker sees it on the victim's case.
    live_login(page, live_server, worker)
    page.goto(live_server.at(f"/households/{world['household']}"))
    linked = page.get_by_role("region", name="Perpetrator accommodation requests")
    expect(linked).to_contain_text(f"Request {request_id}")
    expect(linked).to_contain_text("Filed, waiting for a match")
    _sign_out(page)

    # A manager finds a unit (only the far one fits) and approves the match, then records the move.
    live_login(page, live_server, manager)
    page.get_by_role("link", name="Perpetrator requests", exact=True).click()
    page.get_by_role("link", name=f"Request {request_id}").click()
    page.get_by_role("link", name="Find a perpetrator unit").click()
    table = page.locator("table")
    expect(table).to_contain_text(f"unit {world['far']}")
    expect(table).not_to_contain_text(f"unit {world['near']}")
    expect(page.locator(".ruled-out")).to_contain_text("too close")
    page.get_by_label("Unit number").fill(str(world["near"]))
    page.get_by_role("button", name="Approve the match and offer the unit").click()
    expect(page.locator(".error-summary")).to_contain_text("Too close")
    page.get_by_label("Unit number").fill(str(world["far"]))
    page.get_by_role("button", name="Approve the match and offer the unit").click()
    expect(page.get_by_role("status")).to_contain_text("The match is approved")
    page.get_by_role("button", name="Record the client's acceptance").click()
    page.get_by_label("Date moved in").fill(date.today().isoformat())
    page.get_by_role("button", name="Record the move in").click()
    expect(page.locator("h1")).to_contain_text("Moved in")
    _sign_out(page)

    # The perpetrator service sees the unit, never the victim.
    live_login(page, live_server, perp)
    page.goto(live_server.at(f"/perpetrator/requests/{request_id}"))
    expect(page.locator("h1")).to_contain_text("Moved in")
    expect(page.locator("#offered-unit")).to_contain_text("Flat far")
    expect(page.locator("main")).not_to_contain_text("Victim Person")
    page.get_by_role("link", name="Show the unit's address").click()
    expect(page.locator("address")).to_contain_text("Far House")

    with live_server.app.app_context():
        request = db.session.get(PerpetratorRequest, request_id)
        assert request.state.value == "moved_in" and request.unit_id == world["far"]
        point = crypto.unseal(request.unit.site.location)
        assert geodesic(HOME, (point["lat"], point["lon"])).km >= perpetrator.DEFAULT_SAFE_KM
