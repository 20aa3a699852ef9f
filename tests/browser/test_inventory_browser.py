"""The vacancy board and a provider's status change, in a real browser."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import live_login


def _add_units(live_server, provider_id: int | None = None) -> dict[str, int]:
    """A refuge room and a wheelchair-accessible dispersed flat, on one site of the provider (or a new one)."""
    from safehome.extensions import db
    from safehome.models import Provider
    from safehome.services import SYSTEM, inventory

    with live_server.app.app_context():
        provider = db.session.get(Provider, provider_id) if provider_id else inventory.create_provider(
            db.session, SYSTEM, {"name": "Board Trust"})
        site = inventory.create_site(db.session, SYSTEM, provider, inventory.SiteInput(
            name="Harbour House", postcode="LE2 1AB", line1="3 Hidden Lane"))
        room = inventory.create_unit(db.session, SYSTEM, site, {"name": "Room 1", "type": "refuge", "bedspaces": 3,
                                                                "lead_genders": ["female"]})
        flat = inventory.create_unit(db.session, SYSTEM, site, {"name": "Flat 2", "type": "dispersed",
                                                                "bedspaces": 4, "lead_genders": ["female", "male"],
                                                                "features": ["wheelchair"]})
        db.session.commit()
        return {"room": room.id, "flat": flat.id}


def _provider_of(live_server, user_id: int) -> int:
    from safehome.extensions import db
    from safehome.models import User

    with live_server.app.app_context():
        return db.session.get(User, user_id).provider_id


def test_vacancy_board_filters_by_access_and_counts_by_type(page, live_server, live_make_user):
    _add_units(live_server)
    live_login(page, live_server, live_make_user("housing_worker"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Vacancies").click()
    expect(page.get_by_role("heading", name="Vacancy board")).to_be_visible()
    table = page.get_by_role("table")
    expect(table.get_by_role("link", name="Harbour House: Room 1")).to_be_visible()
    expect(table.get_by_role("link", name="Harbour House: Flat 2")).to_be_visible()
    expect(page.locator('[data-type="refuge"]')).to_have_text("1")
    expect(page.get_by_text("3 Hidden Lane")).to_have_count(0)

    page.get_by_label("Wheelchair accessible").check()
    page.get_by_role("button", name="Show units").click()
    expect(page).to_have_url(re.compile(r"feature=wheelchair"))
    expect(table.get_by_role("link", name="Harbour House: Flat 2")).to_be_visible()
    expect(table.get_by_role("link", name="Harbour House: Room 1")).to_have_count(0)
    expect(page.locator('[data-type="dispersed"]')).to_have_text("1")
    expect(page.locator('[data-type="refuge"]')).to_have_text("0")
    expect(page.get_by_label("Wheelchair accessible")).to_be_checked()


def test_provider_marks_a_room_void_then_available(page, live_server, live_make_user):
    user = live_make_user("provider")
    ids = _add_units(live_server, _provider_of(live_server, user.id))
    live_login(page, live_server, user)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Units", exact=True).click()
    page.get_by_role("link", name="Harbour House: Room 1").click()
    expect(page.locator("#unit-status")).to_have_text("Available")
    expect(page.get_by_role("button", name="Show address")).to_have_count(0)

    page.get_by_label("New status").select_option("void")
    page.get_by_label("Frees on").fill("2099-05-01")
    page.get_by_label("Note").fill("deep clean")
    page.get_by_role("button", name="Save status").click()
    expect(page.get_by_role("status")).to_contain_text("Status is now void")
    expect(page.locator("#unit-status")).to_have_text("Void (being made ready)")
    expect(page.locator("#unit-frees-on")).to_have_text("01 May 2099")
    expect(page.locator("#status-history tr")).to_have_count(2)

    page.get_by_label("New status").select_option("available")
    page.get_by_role("button", name="Save status").click()
    expect(page.locator("#unit-status")).to_have_text("Available")
    expect(page.locator("#status-history tr")).to_have_count(3)
    expect(page).to_have_url(live_server.at(f"/units/{ids['room']}"))

    # The placement workflow's statuses are not offered by hand.
    options = page.get_by_label("New status").locator("option")
    expect(options).to_have_text(["Available (no change)", "Void (being made ready)", "Out of use"])
