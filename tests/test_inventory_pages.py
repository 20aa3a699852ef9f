"""The inventory pages: who may open what, the forms, status changes, address views, the map, CSV."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from safehome.codes import AuditAction, Role, UnitStatus
from safehome.models import AuditEvent, Provider, Site, Unit
from safehome.permissions import Permission, can
from safehome.services import inventory
from tests.helpers import csrf_token_from, post_form
from tests.inventory_fixtures import *  # noqa: F401,F403


@pytest.fixture
def world(db, make_provider, add_site, add_unit):
    provider = make_provider("Haven Trust")
    site = add_site(provider, name="Haven House")
    unit = add_unit(site, name="Room 1")
    return {"pid": provider.id, "sid": site.id, "uid": unit.id}


PAGES = [
    ("/units/", Permission.UNIT_READ),
    ("/units/vacancies", Permission.UNIT_READ),
    ("/units/map", Permission.ADDRESS_VIEW),
    ("/units/{uid}", Permission.UNIT_READ),
    ("/units/new", Permission.UNIT_WRITE),
    ("/units/{uid}/edit", Permission.UNIT_WRITE),
    ("/units/providers", Permission.UNIT_READ),
    ("/units/providers/new", Permission.UNIT_WRITE),
    ("/units/providers/{pid}", Permission.UNIT_READ),
    ("/units/providers/{pid}/edit", Permission.UNIT_WRITE),
    ("/units/providers/{pid}/sites/new", Permission.UNIT_WRITE),
    ("/units/sites/{sid}", Permission.UNIT_READ),
    ("/units/sites/{sid}/edit", Permission.UNIT_WRITE),
    ("/units/import", Permission.UNIT_WRITE),
    ("/units/export.csv", Permission.UNIT_READ),
]
CASES = [(page, role) for page in PAGES for role in Role]


@pytest.mark.parametrize("page,role", CASES, ids=[f"{p[0]}-{r.value}" for p, r in CASES])
def test_every_page_for_every_role(client, db, world, make_user, login, page, role):
    path, permission = page
    provider = db.session.get(Provider, world["pid"]) if role == Role.PROVIDER else None
    login(make_user(role.value, provider=provider))
    response = client.get(path.format(**world))
    assert response.status_code == (200 if can(role, permission) else 403)


def test_pages_need_sign_in(client, world):
    response = client.get("/units/vacancies")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/units/{uid}", "/units/sites/{sid}", "/units/providers/{pid}"])
def test_another_providers_pages_are_404(client, world, make_user, login, path):
    login(make_user("provider"))
    assert client.get(path.format(**world)).status_code == 404


def test_provider_marks_a_room_void_then_available(client, db, world, make_user, login):
    login(make_user("provider", provider=db.session.get(Provider, world["pid"])))
    url = f"/units/{world['uid']}"
    page = client.get(url).get_data(as_text=True)
    assert "Change status" in page and "Edit</a>" not in page and "Show address" not in page
    response = post_form(client, f"{url}/status", {"status": "void", "frees_on": "2099-03-01", "note": "clean"},
                         page=url, follow=True)
    assert response.status_code == 200 and "Status is now void" in response.get_data(as_text=True)
    assert db.session.get(Unit, world["uid"]).status == UnitStatus.VOID
    post_form(client, f"{url}/status", {"status": "available"}, page=url)
    db.session.expire_all()
    unit = db.session.get(Unit, world["uid"])
    assert unit.status == UnitStatus.AVAILABLE and unit.frees_on is None
    history = client.get(url).get_data(as_text=True)
    assert history.count("<td>Void (being made ready)</td>") == 2  # to void, then from void


def test_a_refused_status_move_is_409_and_changes_nothing(client, db, world, make_user, login):
    login(make_user("provider", provider=db.session.get(Provider, world["pid"])))
    url = f"/units/{world['uid']}"
    response = post_form(client, f"{url}/status", {"status": "occupied"}, page=url)
    assert response.status_code == 409
    assert "cannot go from available to occupied" in response.get_data(as_text=True)
    bad_date = post_form(client, f"{url}/status", {"status": "void", "frees_on": "2001-01-01"}, page=url)
    assert bad_date.status_code == 422 and "frees_on" not in bad_date.get_data(as_text=True).split("<main")[0]
    assert db.session.get(Unit, world["uid"]).status == UnitStatus.AVAILABLE


def test_provider_cannot_post_edits(client, db, world, make_user, login):
    login(make_user("provider", provider=db.session.get(Provider, world["pid"])))
    token = csrf_token_from(client.get(f"/units/{world['uid']}").get_data(as_text=True))
    for path in ("/units/{uid}/edit", "/units/{uid}/retire", "/units/sites/{sid}/retire", "/units/{uid}/address"):
        assert client.post(path.format(**world), data={"csrf_token": token, "bedspaces": 9}).status_code == 403


def test_worker_creates_provider_site_and_unit_through_forms(client, db, make_user, login):
    login(make_user("housing_worker"))
    response = post_form(client, "/units/providers/new", {"name": "New Dawn", "phone": "+44 116 000 0000"})
    assert response.status_code == 302
    provider = db.session.scalar(select(Provider).where(Provider.name == "New Dawn"))
    response = post_form(client, f"/units/providers/{provider.id}/sites/new",
                         {"name": "Dawn House", "postcode": "LE2 1AB", "line1": "2 Some Road"})
    assert response.status_code == 302
    site = db.session.scalar(select(Site).where(Site.name == "Dawn House"))
    assert site.area == "Leicester" and site.district == "LE2"
    response = post_form(client, "/units/new", {
        "site_id": site.id, "name": "Room A", "type": "refuge", "bedspaces": 3, "bedrooms": 1,
        "lead_genders": ["female"], "max_male_age": 12, "pets": ["cat"], "features": ["step_free"],
        "weekly_cost": "95.00", "status": "available"})
    assert response.status_code == 302, response.get_data(as_text=True)
    unit = db.session.scalar(select(Unit).where(Unit.name == "Room A"))
    assert unit.pets == ["cat"] and unit.max_male_age == 12
    edit = post_form(client, f"/units/{unit.id}/edit", {"name": "Room A", "type": "refuge", "bedspaces": 4,
                                                      "lead_genders": ["female", "male"], "weekly_cost": "100"})
    assert edit.status_code == 302
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).lead_genders == ["female", "male"]


def test_site_form_that_cannot_locate_asks_for_the_point_and_saves_nothing(client, db, make_user, make_provider,
                                                                          login):
    provider = make_provider()
    login(make_user("housing_worker"))
    response = post_form(client, f"/units/providers/{provider.id}/sites/new", {"name": "Isles", "postcode": "ZE1 0AA"})
    assert response.status_code == 422
    assert inventory.NOT_LOCATED in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Site)) == 0
    response = post_form(client, f"/units/providers/{provider.id}/sites/new",
                         {"name": "Isles", "postcode": "ZE1 0AA", "lat": "99", "lon": "-1"})
    assert response.status_code == 422 and "must be between 49.8 and 60.9" in response.get_data(as_text=True)


def test_unit_form_reports_bad_fields(client, db, world, make_user, login):
    login(make_user("housing_worker"))
    response = post_form(client, "/units/new", {"site_id": world["sid"], "name": "Room 1", "type": "refuge",
                                                "bedspaces": 2, "status": "available"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "choose at least one" in text and "already has a unit with this name" in text
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 1


def test_show_address_is_explicit_and_audited(client, db, world, make_user, login):
    worker = make_user("housing_worker")
    login(worker)
    url = f"/units/{world['uid']}"
    page = client.get(url).get_data(as_text=True)
    assert "1 Test Street" not in page and "LE1 1AA" not in page and "Show address" in page
    assert "LE1" in page  # the district is shown
    shown = post_form(client, f"{url}/address", {}, page=url).get_data(as_text=True)
    assert "1 Test Street" in shown and "LE1 1AA" in shown
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == AuditAction.VIEW_ADDRESS))
    assert (event.record_type, event.record_id, event.user_id) == ("site", world["sid"], worker.id)
    site_shown = post_form(client, f"/units/sites/{world['sid']}/address", {},
                           page=f"/units/sites/{world['sid']}").get_data(as_text=True)
    assert "1 Test Street" in site_shown
    board = client.get("/units/vacancies").get_data(as_text=True)
    assert "Haven House" in board and "1 Test Street" not in board and "LE1 1AA" not in board


def test_editing_a_site_opens_its_address_through_the_audit(client, db, world, make_user, login):
    login(make_user("housing_worker"))
    page = client.get(f"/units/sites/{world['sid']}/edit").get_data(as_text=True)
    assert 'value="1 Test Street"' in page
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == AuditAction.VIEW_ADDRESS, AuditEvent.record_id == world["sid"])) == 1


def test_map_is_drawn_and_audited_once_per_view(client, db, world, make_user, login):
    login(make_user("housing_worker"))
    page = client.get("/units/map").get_data(as_text=True)
    assert "<svg" in page and "Haven House (Leicester): 1 available" in page
    client.get("/units/map?type=refuge")
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.record_type == "map")) == 2
    assert "/units/map" in client.get("/units/vacancies").get_data(as_text=True)


def test_vacancy_board_filters_and_counts(client, db, world, make_user, login, add_unit):
    add_unit(db.session.get(Site, world["sid"]), name="Flat 9", type="dispersed", features=["wheelchair"])
    login(make_user("manager"))
    page = client.get("/units/vacancies?feature=wheelchair").get_data(as_text=True)
    assert "Flat 9" in page and "Room 1</a>" not in page
    assert 'data-type="dispersed">1<' in page and 'data-type="refuge">0<' in page
    assert "/units/map" not in page  # no map link without ADDRESS_VIEW
    bad = client.get("/units/vacancies?within_days=999")
    assert bad.status_code == 422


def test_retire_a_unit_from_its_page(client, db, world, make_user, login):
    login(make_user("housing_worker"))
    response = post_form(client, f"/units/{world['uid']}/retire", {}, page=f"/units/{world['uid']}")
    assert response.status_code == 302
    assert db.session.get(Unit, world["uid"]).retired_at is not None


def test_csv_import_page_lists_row_and_column_and_saves_nothing(client, db, make_user, login):
    login(make_user("housing_worker"))
    header = ",".join(inventory.CSV_COLUMNS)
    bad = header + "\nP,S,LE1 1AA,,,,R1,refuge,0,1,female,,,,,0,available,\n"
    token = csrf_token_from(client.get("/units/import").get_data(as_text=True))
    response = client.post("/units/import", data={"csrf_token": token, "file": (io.BytesIO(bad.encode()), "u.csv")},
                           content_type="multipart/form-data")
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "<td>2</td><td>bedspaces</td>" in text
    assert db.session.scalar(select(func.count()).select_from(Provider)) == 0
    good = bad.replace(",0,1,", ",2,1,")
    response = client.post("/units/import", data={"csrf_token": token, "file": (io.BytesIO(good.encode()), "u.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 1


def test_export_for_a_provider_has_no_location_columns(client, db, world, make_user, login):
    login(make_user("provider", provider=db.session.get(Provider, world["pid"])))
    response = client.get("/units/export.csv")
    header = response.get_data(as_text=True).splitlines()[0]
    assert response.mimetype == "text/csv" and "site_lat" not in header and "unit_name" in header
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == AuditAction.EXPORT)) == 1


def test_navigation_offers_units_and_vacancies(client, make_user, login):
    login(make_user("manager"))
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/units/vacancies"' in page and 'href="/units/"' in page
