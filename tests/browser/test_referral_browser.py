"""Entering a referral in a real browser: mistakes named at their fields, corrected, saved; rows added by script."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from safehome.extensions import db
from safehome.models import Household, User
from safehome.services import Actor, referrals
from tests.browser.conftest import live_login
from tests.referral_data import referral


def _earlier_case(live_server, user_id: int) -> int:
    with live_server.app.app_context():
        intake = referrals.take_referral(db.session, Actor(db.session.get(User, user_id)),
                                         referral(reference="FVS-9001", received_at=None),
                                         now=datetime.now(timezone.utc) - timedelta(days=30))
        db.session.get(Household, intake.household.id).status = intake.household.status.CLOSED
        db.session.commit()
        return intake.household.id


def test_a_referral_with_mistakes_is_corrected_and_saved(page, live_server, live_make_user):
    worker = live_make_user("housing_worker")
    earlier = _earlier_case(live_server, worker.id)
    live_login(page, live_server, worker)
    page.goto(live_server.at("/households/new"))

    # The reference brings up the person's history as it is typed.
    page.get_by_label("Reference from the referring service").fill("fvs-9001")
    history = page.locator("#reference-history")
    expect(history).to_contain_text("This reference has 1 earlier case")
    expect(history.get_by_role("link", name=f"Case {earlier}")).to_be_visible()

    # First attempt, with mistakes: a 12-year-old lead, no gender, no home postcode, a far-off distance.
    page.get_by_label("Referred by").select_option("fvs")
    page.locator("#members-0-birth_date").fill("2013-04-01")
    page.get_by_role("button", name="Add another person").click()
    expect(page.locator("#members-1-name")).to_be_focused()
    page.locator("#members-1-birth_date").fill("2019-09-09")
    page.locator("#members-1-gender").select_option("male")
    page.get_by_label("DASH score (0-24)").fill("17")
    page.locator("#avoid-0-label").fill("Perpetrator's home")
    page.locator("#avoid-0-postcode").fill("LE4 1AA")
    page.locator("#avoid-0-km").fill("500")
    page.get_by_label("Tenure at entry").select_option("council_rent")
    page.get_by_role("button", name="Save referral").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page.locator("#members-0-birth_date-error")).to_contain_text("16 or over")
    expect(page.locator("#members-0-gender-error")).to_contain_text("is required")
    expect(page.locator("#address-postcode-error")).to_contain_text("is required")
    expect(page.locator("#avoid-0-km-error")).to_contain_text("between 0.5 and 200")
    # what was typed is kept, including the added row
    expect(page.locator("#members-1-birth_date")).to_have_value("2019-09-09")

    # Correct each mistake, following the summary's link to the first.
    summary.get_by_role("link", name=re.compile("Person 1: Date of birth")).click()
    expect(page.locator("#members-0-birth_date")).to_be_focused()
    page.locator("#members-0-birth_date").fill("1991-04-01")
    page.locator("#members-0-gender").select_option("female")
    page.locator("#address-postcode").fill("LE2 0AB")
    page.locator("#avoid-0-km").fill("15")
    page.get_by_label("Religion or belief").select_option("prefer_not_to_say")
    page.get_by_role("button", name="Save referral").click()

    expect(page).to_have_url(re.compile(r"/households/\d+(#.*)?$"))
    expect(page.get_by_role("status")).to_contain_text("The referral opened a new case.")
    expect(page.get_by_role("status")).to_contain_text("repeat referral")
    expect(page.get_by_role("heading", level=1)).to_contain_text("FVS-9001")
    expect(page.locator("main")).to_contain_text("Repeat referral")


def test_a_row_can_be_removed(page, live_server, live_make_user):
    live_login(page, live_server, live_make_user("housing_worker"))
    page.goto(live_server.at("/households/new"))
    page.get_by_role("button", name="Add another place to avoid").click()
    rows = page.locator('[data-rows="avoid"] [data-row]')
    expect(rows).to_have_count(2)
    rows.nth(1).get_by_role("button", name="Remove").click()
    expect(rows).to_have_count(1)
