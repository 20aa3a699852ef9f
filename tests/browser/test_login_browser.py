"""Signing in and out in a real browser: the form, its messages, keyboard use and a phone's width."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from safehome.views.auth import LOGIN_FAILED
from tests.browser.conftest import live_login


def test_login_through_the_form_shows_the_dashboard(page, live_server, live_make_user):
    user = live_make_user("housing_worker")
    live_login(page, live_server, user)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text(user.name)).to_be_visible()


def test_anonymous_visit_is_sent_to_the_login_page(page, live_server):
    page.goto(live_server.at("/dashboard"))
    expect(page).to_have_url(re.compile(re.escape(live_server.at("/login"))))
    expect(page.get_by_role("heading", name="Sign in to SafeHome")).to_be_visible()


def test_wrong_password_shows_the_message(page, live_server, live_make_user):
    user = live_make_user()
    page.goto(live_server.at("/login"))
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("not the right password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("status")).to_contain_text(LOGIN_FAILED)
    expect(page).to_have_url(live_server.at("/login"))


def test_sign_out_ends_the_session(page, live_server, live_make_user):
    live_login(page, live_server, live_make_user("manager"))
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(live_server.at("/login"))
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    page.goto(live_server.at("/dashboard"))
    expect(page).to_have_url(re.compile(re.escape(live_server.at("/login"))))


def _focused_name(page) -> str:
    return page.evaluate("() => document.activeElement.id || document.activeElement.textContent.trim()")


def test_keyboard_alone_reaches_email_password_and_button_and_signs_in(page, live_server, live_make_user):
    user = live_make_user()
    page.goto(live_server.at("/login"))
    order = []
    for _ in range(6):
        page.keyboard.press("Tab")
        order.append(_focused_name(page))
    assert order[0] == "Skip to main content"
    assert order.index("email") < order.index("password") < order.index("Sign in"), order

    page.goto(live_server.at("/login"))
    while _focused_name(page) != "email":
        page.keyboard.press("Tab")
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    page.keyboard.type(user.password)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign in")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server.at("/dashboard"))


def test_login_page_fits_a_phone_without_sideways_scrolling(page, live_server, live_make_user):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.at("/login"))
    form = page.locator("main form")
    expect(form).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    for control in (form, page.get_by_label("Email"), page.get_by_label("Password"),
                    page.get_by_role("button", name="Sign in")):
        box = control.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    live_login(page, live_server, live_make_user())
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
