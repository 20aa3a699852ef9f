"""The reports pages, API, exports and command: who may see them, and small numbers hidden on the way out."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from safehome.codes import AuditAction
from safehome.models import AuditEvent
from tests.reports_data import build_world

PAGES = ["/reports/", "/reports/quarterly/2026/1", "/reports/equality/2026/1", "/reports/tenure/2026/1",
         "/reports/timeliness/2026/1", "/reports/occupancy/2026/1", "/reports/offers/2026/1",
         "/reports/quarterly/2026/1/export.csv", "/reports/offers/2026/1/export.xlsx",
         "/reports/quarterly/2026/1/charts/outputs.svg", "/reports/2026/1/cases?figure=referrals",
         "/api/v1/reports", "/api/v1/reports/quarterly/2026/1", "/api/v1/reports/2026/1/cases?figure=referrals"]
OTHER_ROLES = ["housing_worker", "housing_options", "provider", "perpetrator_service", "admin"]


@pytest.fixture
def world(db):
    return build_world(db.session)


@pytest.fixture
def manager(make_user, login):
    user = make_user("manager")
    login(user)
    return user


def _exports(db) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == AuditAction.EXPORT)))


@pytest.mark.parametrize("url", PAGES)
def test_a_manager_may_open_every_report(client, manager, url):
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("role", OTHER_ROLES)
@pytest.mark.parametrize("url", PAGES)
def test_no_other_role_may(client, make_user, login, role, url):
    login(make_user(role))
    assert client.get(url).status_code == 403


def test_signed_out_is_sent_to_sign_in(client):
    assert client.get("/reports/").status_code == 302
    assert client.get("/api/v1/reports").status_code == 401


def test_reports_are_in_the_menu_for_managers_only(client, make_user, login, manager):
    assert 'href="/reports/"' in client.get("/dashboard").get_data(as_text=True)
    client.post("/logout", data={})
    other = client.application.test_client()
    login(make_user("housing_worker"), the_client=other)
    assert 'href="/reports/"' not in other.get("/dashboard").get_data(as_text=True)


def test_bad_quarters_and_unknown_reports(client, manager):
    page = client.get("/reports/quarterly/2026/5")
    assert page.status_code == 422 and "quarter" in page.get_data(as_text=True)
    assert client.get("/reports/nonsense/2026/1").status_code == 404
    assert client.get("/reports/quarterly/2026/1/export.pdf").status_code == 422
    assert client.get("/reports/quarterly/2026/1/charts/nonsense.svg").status_code == 404
    assert client.get("/reports/2026/1/cases").status_code == 422
    assert client.get("/reports/2026/1/cases?figure=tenure&entry=castle").status_code == 422
    assert client.get("/api/v1/reports/2026/1/cases?figure=offers&reason=x").status_code == 422
    answer = client.get("/api/v1/reports/quarterly/2026/9")
    assert answer.status_code == 422 and "quarter" in answer.get_json()["errors"]["json"]


def test_the_picker_goes_to_the_quarter_asked_for(client, manager):
    answer = client.get("/reports/equality?year=2025&quarter=3")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/reports/equality/2025/3")


def test_small_numbers_show_on_screen_and_open_to_their_cases(client, world, manager):
    html = client.get("/reports/quarterly/2026/1").get_data(as_text=True)
    assert ">3</a>" in html  # referrals: 3, unsuppressed, a link to the cases
    assert "/reports/2026/1/cases?figure=referrals" in html
    assert "<svg" in html and "<desc" in html
    cases = client.get("/reports/2026/1/cases?figure=referrals").get_data(as_text=True)
    assert "FVS-H2" in cases and "FVS-H3" in cases and "FVS-H4" not in cases


def test_csv_export_is_suppressed_and_audited(client, db, world, manager):
    answer = client.get("/reports/quarterly/2026/1/export.csv")
    assert answer.headers["Content-Disposition"] == 'attachment; filename="safehome-quarterly-2026-q1.csv"'
    rows = list(csv.reader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
    figures = {row[0]: row[1] for row in rows if len(row) == 2}
    assert figures["Number of referrals"] == "<5"
    assert figures["Number of cases closed"] == "<5"
    assert figures["Number of private rentals secured"] == "0"
    # Other solutions by code: 2 + 1 = 3, every one of them small: the total too. Details never.
    assert figures["Living with family or friends"] == "<5" and figures["Other"] == "<5"
    assert figures["Total"] == "<5" and figures["Refuge out of the area"] == "0"
    assert "Supported lodgings" not in answer.get_data().decode("utf-8-sig")
    assert any(d == "report=quarterly quarter=2026-q1 format=csv" for d in _exports(db))


def test_housing_options_answers_show_on_the_offers_page_and_leave_suppressed(client, world, manager):
    html = client.get("/reports/offers/2026/1").get_data(as_text=True)
    assert 'id="table-housing_options"' in html and "45.5" in html  # exact on screen
    answer = client.get("/reports/offers/2026/1/export.csv")
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(answer.get_data().decode("utf-8-sig"))) if row}
    assert rows["Kind of help"] == ["Median days to answer", "Longest days to answer", "Confirmed", "Refused",
                                    "Answered"]
    # Homelessness: 1 confirmed, 1 refused (45 and 46 days); all kinds: 5 confirmed, 1 refused, 6 answered.
    assert rows["Homelessness application"] == ["*", "*", "<5", "<5", "<5"]
    assert rows["Help into a private rental"] == ["", "", "0", "0", "0"]
    assert rows["All kinds"] == ["*", "*", "*", "<5", "6"]  # 5 hidden too, or 6 - 5 would give the refusal


def test_xlsx_export_opens_with_its_charts(client, db, world, manager):
    answer = client.get("/reports/offers/2026/1/export.xlsx")
    book = load_workbook(io.BytesIO(answer.get_data()))
    assert book.sheetnames[0] == "About"
    values = [cell.value for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert "<5" in values and 7 in values  # seven offers in all; each outcome 1 or 2
    assert sum(len(sheet._charts) for sheet in book.worksheets) == 1
    assert any(d.endswith("format=xlsx") for d in _exports(db))


def test_svg_chart_download_hides_small_bars(client, world, manager):
    svg = client.get("/reports/quarterly/2026/1/charts/outputs.svg").get_data(as_text=True)
    assert svg.startswith("<?xml") and "<title" in svg and "&lt;5" in svg


def test_api_report_is_suppressed(client, world, make_user, token_for):
    headers = token_for(make_user("manager"))
    body = client.get("/api/v1/reports/quarterly/2026/1", headers=headers).get_json()
    outputs = next(t for t in body["tables"] if t["key"] == "outputs")
    referrals = next(r for r in outputs["rows"] if r["key"] == "referrals")
    assert referrals["cells"][0]["value"] == "<5"
    assert body["quarter"] == {"year": 2026, "quarter": 1, "label": "2026/27 Q1 (April to June 2026)",
                               "start": "2026-04-01", "end": "2026-06-30"}
    cases = client.get("/api/v1/reports/2026/1/cases?figure=cases_closed", headers=headers).get_json()
    assert cases["total"] == 2 and [c["reference"] for c in cases["cases"]] == ["FVS-C", "FVS-D"]


def test_the_command_writes_the_return(runner, db, world, tmp_path):
    target = tmp_path / "q1.xlsx"
    result = runner.invoke(args=["report", "quarterly", "--year", "2026", "--quarter", "1", "--format", "xlsx",
                                 "-o", str(target), "--charts", str(tmp_path / "charts")])
    assert result.exit_code == 0, result.output
    book = load_workbook(target)
    values = [cell.value for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert "Number of referrals" in values and "<5" in values
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == [
        "safehome-quarterly-outcomes-2026-q1.svg", "safehome-quarterly-outputs-2026-q1.svg"]
    csv_file = tmp_path / "q1.csv"
    assert runner.invoke(args=["report", "quarterly", "--year", "2026", "--quarter", "2", "-o", str(csv_file)]
                         ).exit_code == 0
    assert csv_file.read_text(encoding="utf-8-sig").startswith("Quarterly performance return,2026/27 Q2")
    bad = runner.invoke(args=["report", "quarterly", "--year", "1900", "--quarter", "1", "-o", str(csv_file)])
    assert bad.exit_code != 0 and "year" in bad.output


# Free text never leaves in a report ------------------------------------------------------------

FREE_TEXT = "Qzxmarkfreetext"


def _mark_free_text(db, world) -> None:
    """Every free-text field the reports' records hold gets the marker, and a stored equality answer that
    is on no list (data no form lets in, but a JSON column holds whatever it is given)."""
    from sqlalchemy import update

    from safehome.models import (
        CaseStatusChange,
        HousingOptionsDecision,
        HousingOptionsRequest,
        Household,
        Placement,
        PlacementEvent,
    )

    for model, columns in ((HousingOptionsRequest, ("other_detail", "note", "answer_reason")),
                           (HousingOptionsDecision, ("note",)), (CaseStatusChange, ("note",)),
                           (Placement, ("decline_note", "destination", "override_reason")),
                           (PlacementEvent, ("note",))):
        db.session.execute(update(model).values({column: FREE_TEXT for column in columns}))
    household = db.session.get(Household, world.cases["H2"].id)
    household.equality = {**household.equality, "religion": FREE_TEXT}
    db.session.commit()


def test_no_free_text_reaches_any_report_on_screen_or_on_the_way_out(client, db, world, manager, make_user,
                                                                       token_for):
    from safehome.services import reports

    _mark_free_text(db, world)
    headers, api_client = token_for(make_user("manager")), client.application.test_client()
    outputs = {"/reports/": client.get("/reports/").get_data(as_text=True)}
    for key in reports.REPORTS:
        base = f"/reports/{key}/2026/1"
        for url in (base, base + "/export.csv"):
            outputs[url] = client.get(url).get_data().decode("utf-8-sig")
        book = load_workbook(io.BytesIO(client.get(base + "/export.xlsx").get_data()))
        outputs[base + "/export.xlsx"] = " ".join(str(cell.value) for sheet in book.worksheets
                                                   for row in sheet.iter_rows() for cell in row)
        api = api_client.get(f"/api/v1/reports/{key}/2026/1", headers=headers)
        outputs[f"/api/v1/reports/{key}/2026/1"] = api.get_data(as_text=True)
        for chart in api.get_json()["charts"]:
            url = f"{base}/charts/{chart['key']}.svg"
            outputs[url] = client.get(url).get_data(as_text=True)
    assert [url for url, text in outputs.items() if FREE_TEXT in text] == []
    assert len(outputs) > 6 * 4 and "Living with family or friends" in outputs["/reports/quarterly/2026/1"]
