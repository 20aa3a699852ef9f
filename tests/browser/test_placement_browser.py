"""Placements in a real browser, on the demo data: a housing worker from suggestion to moved in;
a manager runs the batch match (its status polled by static/js/placements.js) and approves it."""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveUser, live_login
from tests.conftest import PASSWORD


@pytest.fixture
def demo_server(live_server):
    """The live server with the demo world loaded (scale 1)."""
    from safehome.extensions import db
    from safehome.services import SYSTEM, demo

    with live_server.app.app_context():
        demo.load_demo(db.session, SYSTEM, password=PASSWORD)
        db.session.commit()
    return live_server


def _demo_user(server, local: str) -> LiveUser:
    from sqlalchemy import select

    from safehome.extensions import db
    from safehome.models import User

    with server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == f"{local}@{demo_domain()}"))
        return LiveUser(id=user.id, email=user.email, role=user.role.value, name=user.name)


def demo_domain() -> str:
    from safehome.services.demo import DEMO_DOMAIN

    return DEMO_DOMAIN


def _waiting_household_with_a_fit(server) -> int:
    """A demo case with no live placement that the engine finds at least one free unit for."""
    from safehome.extensions import db
    from safehome.services import matching, placements

    with server.app.app_context():
        for household in db.session.scalars(placements.waiting_households().order_by("id")):
            if matching.suggest(db.session, household, top=1).items:
                return household.id
    raise AssertionError("the demo world has no waiting case with a fitting free unit")


def test_worker_takes_a_household_from_suggestion_to_moved_in(page, demo_server):
    household_id = _waiting_household_with_a_fit(demo_server)
    live_login(page, demo_server, _demo_user(demo_server, "worker"))
    page.goto(demo_server.at(f"/households/{household_id}"))
    page.get_by_role("link", name="Placements, offers and suggested units").click()
    page.get_by_role("link", name="Suggest units").click()
    expect(page.get_by_role("heading", name=re.compile("Suggested units"))).to_be_visible()
    expect(page.locator("#suggestion-count")).to_contain_text("free units fit this household")
    page.locator("#suggestions").get_by_role("button", name=re.compile("^Offer ")).first.click()
    expect(page.get_by_role("heading", name=re.compile(r"Placement \d+ Offered"))).to_be_visible()
    expect(page.locator("#held-until")).to_be_visible()
    page.get_by_role("button", name="Accept the offer").click()
    expect(page.get_by_role("heading", name=re.compile(r"Placement \d+ Accepted"))).to_be_visible()
    page.get_by_label("Date moved in").fill(date.today().isoformat())
    page.get_by_role("button", name="Record the move in").click()
    expect(page.get_by_role("heading", name=re.compile(r"Placement \d+ Moved in"))).to_be_visible()
    expect(page.locator("#life-story")).to_contain_text("accepted → moved in")
    # The unit followed: it is occupied now, and its occupancy history lists the placement.
    page.get_by_role("link", name=re.compile("Room|Flat|Bedsit|:")).first.click()
    expect(page.locator("#unit-status")).to_have_text("Occupied")
    page.get_by_role("link", name="Occupancy history").click()
    expect(page.locator("#occupancy")).to_contain_text("Moved in")


def test_manager_runs_the_batch_and_approves_it(page, demo_server):
    live_login(page, demo_server, _demo_user(demo_server, "manager"))
    page.get_by_role("link", name="Batch match").click()
    page.get_by_role("button", name="Run the batch match").click()
    # placements.js polls the status and reloads the page when the engine is done.
    expect(page.locator("#run-status")).to_contain_text("Done", timeout=60_000)
    expect(page.locator("#proposals tbody tr").first).to_contain_text("Case")
    expect(page.locator("#unplaced")).to_be_visible()
    page.get_by_role("button", name="Approve all and send the offers").click()
    expect(page.locator("#approval")).to_contain_text(re.compile(r"\d+ offers? sent"))
    page.get_by_role("link", name="All runs").click()
    expect(page.get_by_role("cell", name=re.compile("Done, approved"))).to_be_visible()
