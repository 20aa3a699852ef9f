"""The managers' dashboard in a real browser: headline figures, charts drawn on the server, a figure opened to its cases."""
from __future__ import annotations

from playwright.sync_api import expect

from safehome.extensions import db
from tests.reports_data import build_world


def test_the_dashboard_renders_its_charts_and_opens_a_figure(page, live_server, signed_in):
    with live_server.app.app_context():
        build_world(db.session)
    signed_in("manager")
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Reports dashboard")).to_be_visible()

    page.get_by_label("Financial year starting April").fill("2026")
    page.get_by_label("Quarter", exact=True).select_option("1")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".lede")).to_contain_text("2026/27 Q1")

    # Both charts are SVG made on the server, each labelled, with the same figures in a table.
    trend = page.get_by_role("img", name="2026/27 Q1 against the four quarters before")
    expect(trend).to_be_visible()
    expect(page.locator("#chart-trend svg polyline").first).to_be_attached()
    expect(page.get_by_role("img", name="Outcomes against targets, 2026/27 Q1")).to_be_visible()
    box = trend.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
    expect(page.locator("#table-trend")).to_contain_text("2025/26 Q4")

    # A headline opens to the list of cases behind it.
    page.locator("#headlines").get_by_role("link", name="3 Referrals", exact=True).click()
    expect(page.get_by_role("heading", name="Cases behind the figure")).to_be_visible()
    expect(page.locator("#drill-cases")).to_contain_text("FVS-H2")
    expect(page.locator("#drill-cases")).not_to_contain_text("FVS-H4")
