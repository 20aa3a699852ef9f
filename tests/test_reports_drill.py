"""The Housing Options answers open to the cases behind each figure, like every other table of the reports."""
from __future__ import annotations

import pytest

from safehome.errors import Forbidden
from safehome.services import Actor, reports
from safehome.services.reports_base import Quarter
from tests.reports_data import build_world

Q1 = Quarter(2026, 1)


@pytest.fixture
def world(db):
    return build_world(db.session)


def _refs(db, actor, **args) -> list[str]:
    return [ref for _id, ref in reports.cases_behind(db.session, actor, Q1, args).cases]


def test_every_housing_options_count_opens_to_its_cases(db, world, make_user):
    manager = Actor(make_user("manager"))
    table = reports.build(db.session, manager, "offers", Q1).table("housing_options")
    rows = {row.key: row for row in table.rows}
    # Answered in Q1 (tests/reports_data.py): H2 homelessness confirmed and a transfer confirmed; H3 homelessness
    # refused; E, F and B (reference FVS-REP) other solutions confirmed. H3's private rental (1 July) is Q2's.
    expected = {
        ("homelessness_application", "confirmed"): ["FVS-H2"],
        ("homelessness_application", "refused"): ["FVS-H3"],
        ("homelessness_application", None): ["FVS-H2", "FVS-H3"],
        ("housing_transfer", None): ["FVS-H2"],
        ("private_rental", None): [],
        ("other", "confirmed"): ["FVS-E", "FVS-F", "FVS-REP"],
        ("total", "confirmed"): ["FVS-E", "FVS-F", "FVS-H2", "FVS-REP"],
        ("total", "refused"): ["FVS-H3"],
        ("total", None): ["FVS-E", "FVS-F", "FVS-H2", "FVS-H3", "FVS-REP"],
    }
    column = {"confirmed": 2, "refused": 3, None: 4}
    for (key, state), refs in expected.items():
        cell = rows[key].cells[column[state]]
        assert cell.drill == {"figure": "housing_options", **({"kind": key} if key != "total" else {}),
                              **({"state": state} if state else {})}
        assert _refs(db, manager, **cell.drill) == refs, (key, state)
    # A case counts once behind a figure: H2 had two confirmed answers (homelessness and a transfer).
    assert rows["total"].cells[2].value == 5
    assert reports.cases_behind(db.session, manager, Q1, rows["total"].cells[2].drill).total == 4
    # The days are not counts: nothing behind them.
    assert all(row.cells[0].drill is None and row.cells[1].drill is None for row in table.rows)


def test_the_offers_page_links_each_answer_count_and_the_list_checks_its_arguments(client, world, make_user, login):
    login(make_user("manager"))
    html = client.get("/reports/offers/2026/1").get_data(as_text=True)
    assert "/reports/2026/1/cases?figure=housing_options&amp;kind=homelessness_application&amp;state=refused" in html
    listed = client.get("/reports/2026/1/cases?figure=housing_options&kind=homelessness_application&state=refused")
    assert listed.status_code == 200
    page = listed.get_data(as_text=True)
    assert "FVS-H3" in page and "FVS-H2" not in page
    bad = client.get("/reports/2026/1/cases?figure=housing_options&kind=nonsense&state=withdrawn")
    assert bad.status_code == 422
    assert "kind" in bad.get_data(as_text=True) and "state" in bad.get_data(as_text=True)


def test_the_api_lists_the_cases_behind_an_answer_count(client, world, make_user, token_for):
    headers = token_for(make_user("manager"))
    answer = client.get("/api/v1/reports/2026/1/cases?figure=housing_options&kind=other&state=confirmed",
                        headers=headers)
    assert answer.status_code == 200
    assert [c["reference"] for c in answer.get_json()["cases"]] == ["FVS-E", "FVS-F", "FVS-REP"]
    refused = client.get("/api/v1/reports/2026/1/cases?figure=housing_options&state=requested", headers=headers)
    assert refused.status_code == 422 and "state" in refused.get_json()["errors"]["query"]


def test_a_housing_options_officer_may_not_open_the_figure(db, world, make_user):
    with pytest.raises(Forbidden):
        reports.cases_behind(db.session, Actor(make_user("housing_options")), Q1, {"figure": "housing_options"})
