"""The rest of the housing journey in a real browser: a sanctuary install from request to installed and
checked, a case sent to Housing Options and the answer seen by the worker, a move-on plan to moved on.
Each path also tries an illegal step and sees it refused."""
from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import live_login


def _today() -> str:
    from safehome.services.timeliness import today_uk

    return today_uk().isoformat()


@pytest.fixture
def live_household(live_server):
    """``live_household(stay=True)``: an open case (DASH 15) in the live server's database, optionally in a refuge."""
    from safehome.codes import Gender, PlacementState, UnitStatus, UnitType
    from safehome.extensions import db
    from safehome.models import Household, Member, Placement, Provider, Site, Unit

    def make(reference: str, *, stay: bool = False) -> int:
        with live_server.app.app_context():
            household = Household(reference=reference, address={"line1": "1 Secret Street", "postcode": "LE2 0AB"})
            household.set_risk(15, False)
            household.members = [Member(position=0, name="Sam Example", birth_date=date(1988, 4, 2),
                                        gender=Gender.FEMALE)]
            db.session.add(household)
            if stay:
                site = Site(provider=Provider(name=f"Provider {reference}"), name="Refuge", area="Leicester",
                            address={"line1": "99 Hidden Refuge Road"}, location={"lat": 52.6, "lon": -1.1})
                unit = Unit(site=site, name="Room 1", type=UnitType.REFUGE, bedspaces=2, status=UnitStatus.OCCUPIED)
                db.session.add(Placement(household=household, unit=unit, state=PlacementState.MOVED_IN,
                                         moved_in_on=date(2026, 1, 5)))
            db.session.commit()
            return household.id

    return make


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()


def test_sanctuary_install_from_request_to_installed_and_checked(page, live_server, live_make_user, live_household):
    household_id = live_household("FVS-BR-SANC")
    live_login(page, live_server, live_make_user("housing_worker"))
    page.goto(live_server.at(f"/cases/{household_id}/journey"))
    page.get_by_role("button", name="Request a sanctuary install").click()
    expect(page.get_by_text("Sanctuary install requested.")).to_be_visible()
    page.get_by_role("link", name=date.today().strftime("%d %b %Y")).first.click()
    expect(page.locator("#install-state")).to_have_text("Requested")
    today = _today()

    def step(name: str, state_label: str, fill=None):
        form = page.locator(f"#step-{name}")
        form.locator(f"#on-{name}").fill(today)
        if fill:
            fill(form)
        form.get_by_role("button").click()
        expect(page.locator("#install-state")).to_have_text(state_label)

    step("risk_checked", "Risk checked (DASH on file)")
    step("consent", "Owner or landlord consent given", lambda f: f.get_by_label("Consent given by").select_option("council"))
    step("surveyed", "Surveyed", lambda f: f.get_by_label("Surveyed by").select_option("police"))
    # ordering with no works is refused, clearly
    page.locator("#on-works_ordered").fill(today)
    page.locator("#step-works_ordered").get_by_role("button").click()
    expect(page.get_by_text("works: add at least one item of work before ordering")).to_be_visible()
    expect(page.locator("#install-state")).to_have_text("Surveyed")
    work = page.locator("#work-form")
    work.get_by_label("Work").select_option("locks")
    work.get_by_label("Contractor").fill("SecureCo")
    work.get_by_label("Ordered on").fill(today)
    work.get_by_label("Cost (£)").fill("180.00")
    work.get_by_role("button", name="Add the item of work").click()
    expect(page.get_by_role("cell", name="SecureCo")).to_be_visible()
    step("works_ordered", "Works ordered")
    step("installed", "Installed")
    step("fire_safety_checked", "Fire-safety checked",
         lambda f: f.get_by_label("Fire service station or officer").fill("Leicester Central"))
    expect(page.get_by_text("3-month review")).to_be_visible()


def test_housing_options_request_answered_and_seen_by_the_worker(page, live_server, live_make_user, live_household):
    household_id = live_household("FVS-BR-HO")
    worker, officer = live_make_user("housing_worker"), live_make_user("housing_options")
    live_login(page, live_server, worker)
    page.goto(live_server.at(f"/cases/{household_id}/journey"))
    page.get_by_role("button", name="Send to Housing Options").click()
    expect(page.get_by_text("kind: choose what the case is sent for")).to_be_visible()
    page.get_by_label("Send for").select_option("homelessness_application")
    page.get_by_role("button", name="Send to Housing Options").click()
    expect(page.get_by_text("The case is sent to Housing Options.")).to_be_visible()
    _sign_out(page)

    live_login(page, live_server, officer)
    page.get_by_role("link", name="Housing Options queue").first.click()
    page.get_by_role("link", name="FVS-BR-HO").click()
    expect(page.locator("#ho-state")).to_have_text("Waiting for Housing Options")
    expect(page.get_by_text("Secret Street")).to_have_count(0)
    page.get_by_label("Answer", exact=True).select_option("refused")
    page.get_by_label("Date of the answer").fill(_today())
    page.get_by_role("button", name="Record the answer").click()
    expect(page.get_by_text("reason: say why the request is refused")).to_be_visible()
    page.get_by_label("Answer", exact=True).select_option("confirmed")
    page.get_by_label("Date of the answer").fill(_today())
    page.get_by_label("Reason").fill("Application taken")
    page.get_by_role("button", name="Record the answer").click()
    expect(page.locator("#ho-state")).to_have_text("Confirmed")
    page.get_by_label("Decision").select_option("relief_duty")
    page.get_by_label("Date decided").fill(_today())
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("listitem").filter(has_text="Relief duty owed")).to_be_visible()
    _sign_out(page)

    live_login(page, live_server, worker)
    page.goto(live_server.at(f"/cases/{household_id}/journey"))
    expect(page.locator(".ho-answer")).to_contain_text("Confirmed on")
    expect(page.locator(".ho-answer")).to_contain_text("Application taken")
    expect(page.get_by_role("cell", name="Relief duty owed")).to_be_visible()


def test_move_on_plan_to_moved_on(page, live_server, live_make_user, live_household):
    household_id = live_household("FVS-BR-MOVE", stay=True)
    live_login(page, live_server, live_make_user("housing_worker"))
    page.goto(live_server.at(f"/cases/{household_id}/journey"))
    page.get_by_label("Target date to move on").fill("2025-12-01")
    page.get_by_role("button", name="Make a move-on plan").click()
    expect(page.get_by_text("target on: cannot be before moving in (05 Jan 2026)")).to_be_visible()
    page.get_by_label("Target date to move on").fill("2026-07-05")
    page.get_by_role("button", name="Make a move-on plan").click()
    expect(page.get_by_text("Move-on plan made.")).to_be_visible()
    page.get_by_role("link", name="Plan for the stay from 05 Jan 2026").click()
    page.get_by_label("What blocks the move").select_option("no_social_offer")
    page.get_by_label("Since", exact=True).fill("2026-02-01")
    page.get_by_role("button", name="Add the blocking reason").click()
    expect(page.get_by_text("No social housing offer yet, since 01 Feb 2026")).to_be_visible()
    page.get_by_label("Date moved on").fill("2026-06-30")
    page.get_by_label("Where to").fill("Council flat, Leicester")
    page.get_by_label("Tenure at exit").select_option("council_rent")
    page.get_by_label("Was the move planned?").select_option("yes")
    page.get_by_role("button", name="Record the move on").click()
    expect(page.locator("#moved-on")).to_contain_text("30 Jun 2026: Council flat, Leicester (Council tenant), planned")
    expect(page.get_by_text("cleared 30 Jun 2026")).to_be_visible()
