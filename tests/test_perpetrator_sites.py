"""Perpetrator accommodation is never on or near victim accommodation (issue 15, item 1).

The scenario of the issue, through the API: a housing worker tries to put a perpetrator unit on a
refuge's site (a new unit, a refuge room retyped, a CSV row) and a perpetrator site within the
segregation distance of a refuge (created, moved, retyped, imported), and the other way round; each
is a 422 naming the field and the rule, and nothing is written. A breach already in the database
(written below the service, as legacy data would be) is never suggested, offered or batch-matched to
a perpetrator request, is listed on the managers' and administrators' dashboards until it is put
right, and so the perpetrator service never opens a refuge's address. The database itself refuses a
perpetrator unit on a site housing victims, and the migration sorts out sites that hold both.
"""
from __future__ import annotations

import io
import random
from datetime import datetime, timezone

import pytest
from flask_migrate import upgrade
from geopy.distance import geodesic
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from safehome import create_app, crypto
from safehome.codes import PerpetratorState, SiteKind, UnitStatus, UnitType
from safehome.config import ConfigError
from safehome.models import PerpetratorRequest, Site, Unit
from safehome.services import SYSTEM, Actor, demo, inventory, matching, perpetrator, segregation
from tests.conftest import base_config
from tests.helpers import post_form
from tests.placement_fixtures import *  # noqa: F401,F403
from tests.placement_fixtures import LEICESTER, TODAY, years_ago
from tests.test_placements_batch import wait_for_run

API = "/api/v1"
REFUGE = LEICESTER                      # the refuge (demo site 1 is in Leicester too)
NEAR = (LEICESTER[0] + 0.027, LEICESTER[1])   # 3.0 km north of it
FAR = (52.4775, -0.9206)                # Market Harborough: 23 km away
REFUGE_ADDRESS = {"line1": "1 Refuge Row", "town": "Leicester", "postcode": "LE1 1AA"}
RULE_PERPETRATOR = "within 5 km of a site housing victims"
RULE_VICTIM = "within 5 km of a site housing perpetrators"
CSV_HEADER = "provider,site,site_postcode,site_lat,site_lon,unit_name,type,bedspaces,lead_genders\n"


@pytest.fixture
def refuge(db, make_site, make_unit):
    """A refuge's site with a free women's room, and its address (sealed, as the service keeps it)."""
    site = make_site(lat=REFUGE[0], lon=REFUGE[1])
    site.address = REFUGE_ADDRESS
    db.session.commit()
    return {"site": site, "unit": make_unit(site=site)}


@pytest.fixture
def worker_headers(make_user, token_for):
    return token_for(make_user("housing_worker"))


def _counts(db) -> tuple[int, int]:
    db.session.expire_all()
    return (db.session.scalar(select(func.count()).select_from(Site)),
            db.session.scalar(select(func.count()).select_from(Unit)))


def _refused(response, field: str, rule: str) -> None:
    assert response.status_code == 422, response.get_data(as_text=True)
    messages = response.get_json()["errors"]["json"][field]
    assert any(rule in message for message in messages), messages


def _import(client, headers, rows: str):
    return client.post(f"{API}/units/import", data={"file": (io.BytesIO((CSV_HEADER + rows).encode()), "u.csv")},
                       headers=headers, content_type="multipart/form-data")


PERPETRATOR_UNIT = {"name": "Flat P", "type": "perpetrator", "bedspaces": 1, "lead_genders": ["male"]}


# A perpetrator unit on a refuge's site -------------------------------------------------------------------

def test_a_perpetrator_unit_is_refused_on_a_refuge_site_by_post_patch_and_csv(client, db, refuge, worker_headers):
    before = _counts(db)
    created = client.post(f"{API}/units", headers=worker_headers,
                          json={**PERPETRATOR_UNIT, "site_id": refuge["site"].id})
    _refused(created, "type", "a perpetrator unit cannot go on a site housing victims")

    retyped = client.patch(f"{API}/units/{refuge['unit'].id}", headers=worker_headers, json={"type": "perpetrator"})
    _refused(retyped, "type", "a perpetrator unit cannot go on a site housing victims")
    db.session.expire_all()
    assert db.session.get(Unit, refuge["unit"].id).type == UnitType.REFUGE

    provider = refuge["site"].provider.name
    imported = _import(client, worker_headers, f"{provider},{refuge['site'].name},,,,Flat P,perpetrator,1,male\n")
    _refused(imported, "row 2/type", "a perpetrator unit cannot go on a site housing victims")
    mixed = _import(client, worker_headers, "New Provider,Mixed House,LE16 7AA,,,Room 1,refuge,2,female\n"
                                            "New Provider,Mixed House,LE16 7AA,,,Flat 2,perpetrator,1,male\n")
    _refused(mixed, "row 3/type", "mix victim and perpetrator accommodation")
    assert _counts(db) == before

    # Nor the other way round: a refuge room on a site housing perpetrators.
    perpetrator_site = client.post(f"{API}/sites", headers=worker_headers, json={
        "provider_id": refuge["site"].provider_id, "name": "Far Place", "postcode": "LE16 7AA", "kind": "perpetrator",
        "lat": FAR[0], "lon": FAR[1]})
    assert perpetrator_site.status_code == 201 and perpetrator_site.get_json()["kind"] == "perpetrator"
    room = client.post(f"{API}/units", headers=worker_headers, json={
        "name": "Room 9", "type": "refuge", "bedspaces": 2, "lead_genders": ["female"],
        "site_id": perpetrator_site.get_json()["id"]})
    _refused(room, "type", "a refuge unit cannot go on a site housing perpetrators")
    placed = client.post(f"{API}/units", headers=worker_headers, json={**PERPETRATOR_UNIT,
                                                                       "site_id": perpetrator_site.get_json()["id"]})
    assert placed.status_code == 201


def test_the_forms_say_whom_a_site_houses_and_refuse_the_same(client, db, refuge, make_user, login):
    """The pages go through the same rules: a perpetrator site near the refuge, then a perpetrator unit on it."""
    login(make_user("housing_worker"))
    provider_id = refuge["site"].provider_id
    new_site = f"/units/providers/{provider_id}/sites/new"
    assert "Perpetrator accommodation" in client.get(new_site).get_data(as_text=True)
    near = post_form(client, new_site, {"name": "Near Place", "postcode": "LE2 1AB", "kind": "perpetrator"})
    assert near.status_code == 422 and RULE_PERPETRATOR in near.get_data(as_text=True)
    unit = post_form(client, "/units/new", {"site_id": refuge["site"].id, "name": "Flat P", "type": "perpetrator",
                                            "bedspaces": 1, "bedrooms": 1, "lead_genders": ["male"],
                                            "status": "available"})
    assert unit.status_code == 422
    assert "a perpetrator unit cannot go on a site housing victims" in unit.get_data(as_text=True)
    far = post_form(client, new_site, {"name": "Far Place", "postcode": "LE16 7AA", "kind": "perpetrator"})
    assert far.status_code == 302
    assert db.session.scalar(select(Site.kind).where(Site.name == "Far Place")) == SiteKind.PERPETRATOR


def test_the_database_refuses_a_perpetrator_unit_on_a_site_housing_victims(db, refuge):
    site_id, unit_id = refuge["site"].id, refuge["unit"].id
    rows = ("INSERT INTO units (site_id, name, type, bedspaces, bedrooms, lead_genders, pets, features, languages, "
            "weekly_cost, status, retired_at, created_at, updated_at, site_kind) VALUES (:site, 'Flat P', "
            "'perpetrator', 1, 1, '[]', '[]', '[]', '[]', 0, 'available', NULL, :now, :now, :kind)")
    for kind in ("victim", "perpetrator"):  # the check, then the foreign key on (site_id, site_kind)
        with pytest.raises(IntegrityError):
            db.session.execute(text(rows), {"site": site_id, "now": datetime.now(timezone.utc), "kind": kind})
        db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE units SET type = 'perpetrator' WHERE id = :id"), {"id": unit_id})
    db.session.rollback()
    with pytest.raises(IntegrityError):  # a site holding refuge rooms cannot become perpetrator accommodation
        db.session.execute(text("UPDATE sites SET kind = 'perpetrator' WHERE id = :id"), {"id": site_id})
    db.session.rollback()


# A perpetrator site near a refuge ---------------------------------------------------------------------------

def test_a_perpetrator_site_within_the_distance_of_a_refuge_is_refused_however_it_comes(client, db, refuge,
                                                                                      worker_headers):
    provider_id = refuge["site"].provider_id
    before = _counts(db)
    by_point = client.post(f"{API}/sites", headers=worker_headers, json={
        "provider_id": provider_id, "name": "Near Place", "postcode": "LE1 2AA", "kind": "perpetrator",
        "lat": NEAR[0], "lon": NEAR[1]})
    _refused(by_point, "lat", RULE_PERPETRATOR)
    by_postcode = client.post(f"{API}/sites", headers=worker_headers, json={
        "provider_id": provider_id, "name": "Near Place", "postcode": "LE2 1AB", "kind": "perpetrator"})
    _refused(by_postcode, "postcode", RULE_PERPETRATOR)
    imported = _import(client, worker_headers, f"New Provider,Near Place,LE1 2AA,{NEAR[0]},{NEAR[1]},Flat 1,"
                                               "perpetrator,1,male\n")
    _refused(imported, "row 2/site_lat", RULE_PERPETRATOR)
    # Both new in one file: the refuge and the perpetrator site 3 km apart.
    both = _import(client, worker_headers,
                   f"P2,Far House,LE16 7AA,{FAR[0]},{FAR[1]},Room 1,refuge,2,female\n"
                   f"P2,Far Place,LE16 7AB,{FAR[0] + 0.027},{FAR[1]},Flat 1,perpetrator,1,male\n")
    assert both.status_code == 422
    assert set(both.get_json()["errors"]["json"]) == {"row 2/site_lat", "row 3/site_lat"}
    assert _counts(db) == before

    far = client.post(f"{API}/sites", headers=worker_headers, json={
        "provider_id": provider_id, "name": "Far Place", "postcode": "LE16 7AA", "kind": "perpetrator",
        "lat": FAR[0], "lon": FAR[1]})
    assert far.status_code == 201
    far_id = far.get_json()["id"]
    moved = client.patch(f"{API}/sites/{far_id}", headers=worker_headers, json={"lat": NEAR[0], "lon": NEAR[1]})
    _refused(moved, "lat", RULE_PERPETRATOR)
    moved = client.patch(f"{API}/sites/{far_id}", headers=worker_headers, json={"postcode": "LE2 1AB"})
    _refused(moved, "postcode", RULE_PERPETRATOR)
    db.session.expire_all()
    point = crypto.unseal(db.session.get(Site, far_id).location)
    assert (point["lat"], point["lon"]) == FAR

    # A site housing victims retyped, while it is near the refuge: refused; with units: refused whatever its place.
    empty = client.post(f"{API}/sites", headers=worker_headers, json={
        "provider_id": provider_id, "name": "Empty House", "postcode": "LE1 2AA", "lat": NEAR[0], "lon": NEAR[1]})
    assert empty.status_code == 201 and empty.get_json()["kind"] == "victim"
    retyped = client.patch(f"{API}/sites/{empty.get_json()['id']}", headers=worker_headers,
                           json={"kind": "perpetrator"})
    _refused(retyped, "kind", RULE_PERPETRATOR)
    refuge_retyped = client.patch(f"{API}/sites/{refuge['site'].id}", headers=worker_headers,
                                  json={"kind": "perpetrator", "lat": FAR[0] + 0.3, "lon": FAR[1]})
    _refused(refuge_retyped, "kind", "cannot change while the site has units")
    db.session.expire_all()
    assert db.session.get(Site, empty.get_json()["id"]).kind == SiteKind.VICTIM


def test_a_site_housing_victims_is_refused_near_perpetrator_accommodation(client, db, refuge, worker_headers,
                                                                         make_site):
    make_site(lat=FAR[0], lon=FAR[1], kind=SiteKind.PERPETRATOR)
    provider_id = refuge["site"].provider_id
    before = _counts(db)
    near_far = (FAR[0] + 0.027, FAR[1])
    created = client.post(f"{API}/sites", headers=worker_headers, json={
        "provider_id": provider_id, "name": "New House", "postcode": "LE16 7AA", "lat": near_far[0],
        "lon": near_far[1]})
    _refused(created, "lat", RULE_VICTIM)
    moved = client.patch(f"{API}/sites/{refuge['site'].id}", headers=worker_headers,
                         json={"lat": near_far[0], "lon": near_far[1]})
    _refused(moved, "lat", RULE_VICTIM)
    imported = _import(client, worker_headers, f"P3,New House,LE16 7AA,{near_far[0]},{near_far[1]},Room 1,refuge,2,"
                                               "female\n")
    _refused(imported, "row 2/site_lat", RULE_VICTIM)
    assert _counts(db) == before


def test_a_site_moved_or_added_is_seen_by_the_next_check_at_once(client, db, refuge, worker_headers, make_site):
    """The live sites' points are kept per process: a victims' site moved (through the service) or added (below
    it) must count for the very next perpetrator site."""
    provider_id = refuge["site"].provider_id
    far = client.post(f"{API}/sites", headers=worker_headers, json={
        "provider_id": provider_id, "name": "Far Place", "postcode": "LE16 7AA", "kind": "perpetrator",
        "lat": FAR[0], "lon": FAR[1]})
    assert far.status_code == 201  # the victims' sites are now read and kept
    moved = client.patch(f"{API}/sites/{refuge['site'].id}", headers=worker_headers,
                         json={"lat": 52.9, "lon": -1.2})
    assert moved.status_code == 200
    near_moved = client.post(f"{API}/sites", headers=worker_headers, json={
        "provider_id": provider_id, "name": "Place 2", "postcode": "NG1 1AA", "kind": "perpetrator",
        "lat": 52.9 + 0.027, "lon": -1.2})
    _refused(near_moved, "lat", RULE_PERPETRATOR)
    make_site(lat=53.1, lon=-1.0)
    near_added = client.post(f"{API}/sites", headers=worker_headers, json={
        "provider_id": provider_id, "name": "Place 3", "postcode": "NG1 1AA", "kind": "perpetrator",
        "lat": 53.1 + 0.027, "lon": -1.0})
    _refused(near_added, "lat", RULE_PERPETRATOR)


@pytest.mark.parametrize("config_extra", [{"SEGREGATION_KM": 8}])
def test_the_distance_is_the_setting(client, refuge, worker_headers):
    """At 8 km, a perpetrator site 6 km from the refuge is refused, and the message says 8 km."""
    six_km = (LEICESTER[0] + 0.054, LEICESTER[1])
    assert 5.5 < geodesic(six_km, REFUGE).km < 6.5
    response = client.post(f"{API}/sites", headers=worker_headers, json={
        "provider_id": refuge["site"].provider_id, "name": "Six Place", "postcode": "LE4 1AA", "kind": "perpetrator",
        "lat": six_km[0], "lon": six_km[1]})
    _refused(response, "lat", "within 8 km of a site housing victims")


@pytest.mark.parametrize("raw", ["0.5", "0", "-3", "nan", "five"])
def test_a_distance_below_one_km_or_not_a_number_stops_the_app_starting(monkeypatch, tmp_path, raw):
    monkeypatch.setenv("SAFEHOME_SEGREGATION_KM", raw)
    with pytest.raises(ConfigError, match="SAFEHOME_SEGREGATION_KM"):
        create_app(base_config(f"sqlite:///{tmp_path / 'x.db'}"))


def test_the_distance_defaults_to_five_km_and_is_read_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("SAFEHOME_SEGREGATION_KM", raising=False)
    assert create_app(base_config(f"sqlite:///{tmp_path / 'x.db'}")).config["SEGREGATION_KM"] == 5
    monkeypatch.setenv("SAFEHOME_SEGREGATION_KM", "7.5")
    assert create_app(base_config(f"sqlite:///{tmp_path / 'x.db'}")).config["SEGREGATION_KM"] == 7.5
    assert segregation.distance_km() == 7.5
    monkeypatch.delenv("SAFEHOME_SEGREGATION_KM")
    create_app(base_config(f"sqlite:///{tmp_path / 'x.db'}"))
    assert segregation.distance_km() == 5


# A breach already in the database ---------------------------------------------------------------------------

@pytest.fixture
def breach(db, refuge, make_site, make_unit):
    """Written below the service, as legacy data would be: a men's perpetrator flat 3 km from the refuge,
    and a women's one far away (which a man's request cannot take)."""
    near_site = make_site(lat=NEAR[0], lon=NEAR[1], kind=SiteKind.PERPETRATOR)
    near = make_unit(site=near_site, type=UnitType.PERPETRATOR, bedspaces=1, lead_genders=["male"])
    far = make_unit(site=make_site(lat=FAR[0], lon=FAR[1], kind=SiteKind.PERPETRATOR), type=UnitType.PERPETRATOR,
                    bedspaces=1, lead_genders=["female"])
    return {**refuge, "near_site": near_site, "near": near, "far": far}


def _file(db, perp) -> PerpetratorRequest:
    request = perpetrator.file_request(db.session, Actor(perp), {
        "victim_reference": "FVS-NOCASE1", "birth_date": years_ago(40), "gender": "male", "needed_from": TODAY},
        limits=perpetrator.NO_LIMITS)
    db.session.commit()
    return request


def test_a_breach_in_the_database_is_never_suggested_offered_or_batch_matched(client, db, breach, make_user,
                                                                             token_for):
    perp, manager = make_user("perpetrator_service"), make_user("manager")
    request = _file(db, perp)
    headers = token_for(manager)

    answer = client.get(f"{API}/perpetrator-queue/{request.id}/suggestions", headers=headers).get_json()
    assert breach["near"].id not in [s["unit_id"] for s in answer["suggestions"]]
    assert f"1 unit {RULE_PERPETRATOR}" in answer["ruled_out"]
    assert answer["ruled_out_counts"]["segregation"] == 1 and answer["considered"] == 2

    offered = client.post(f"{API}/perpetrator-queue/{request.id}/match", headers=headers,
                          json={"unit_id": breach["near"].id})
    _refused(offered, "unit_id", f"Kept apart from victims: {RULE_PERPETRATOR}")
    db.session.expire_all()
    assert db.session.get(PerpetratorRequest, request.id).state == PerpetratorState.FILED
    assert db.session.get(Unit, breach["near"].id).status == UnitStatus.AVAILABLE

    started = client.post(f"{API}/match-runs", headers=headers)
    run = wait_for_run(client, started.get_json()["id"], headers)
    assert run["status"] == "done"
    assert run["perpetrator_proposals"] == []
    assert str(request.id) in run["perpetrator_unplaced"]

    # So the perpetrator service has no unit to open an address for.
    address = client.get(f"{API}/perpetrator-requests/{request.id}/unit-address", headers=token_for(perp))
    assert address.status_code == 404
    assert "Refuge Row" not in address.get_data(as_text=True)


def test_the_issues_scenario_end_to_end_the_perpetrator_service_never_opens_a_refuges_address(client, db, refuge,
                                                                                            worker_headers,
                                                                                            make_user, token_for):
    """A housing worker puts a perpetrator unit on the refuge's site; a manager matches what is suggested; the
    perpetrator service opens the address of the unit offered to its client. It must never be the refuge's."""
    perp, manager = make_user("perpetrator_service"), make_user("manager")
    created = client.post(f"{API}/units", headers=worker_headers, json={**PERPETRATOR_UNIT,
                                                                       "site_id": refuge["site"].id})
    assert created.status_code == 422
    request = _file(db, perp)
    headers = token_for(manager)
    answer = client.get(f"{API}/perpetrator-queue/{request.id}/suggestions", headers=headers).get_json()
    for suggestion in answer["suggestions"]:
        client.post(f"{API}/perpetrator-queue/{request.id}/match", headers=headers,
                    json={"unit_id": suggestion["unit_id"]})
    opened = client.get(f"{API}/perpetrator-requests/{request.id}/unit-address", headers=token_for(perp))
    assert "Refuge Row" not in opened.get_data(as_text=True)
    assert opened.status_code == 404


def test_a_request_matched_before_its_unit_came_near_victims_never_opens_the_address(client, db, make_site,
                                                                                      make_unit, make_user,
                                                                                      token_for):
    """A match made when the unit was far from every refuge (or before the rule): once a site housing victims
    is within the distance (legacy data, a site moved by hand), the perpetrator service can no longer open
    the unit's address, which may be a refuge's; it gets the one 404, as for a request with no unit."""
    perp, manager = make_user("perpetrator_service"), make_user("manager")
    unit = make_unit(site=make_site(lat=FAR[0], lon=FAR[1], kind=SiteKind.PERPETRATOR), type=UnitType.PERPETRATOR,
                     bedspaces=1, lead_genders=["male"])
    request = _file(db, perp)
    matched = client.post(f"{API}/perpetrator-queue/{request.id}/match", headers=token_for(manager),
                          json={"unit_id": unit.id})
    assert matched.status_code == 200, matched.get_json()
    perp_headers = token_for(perp)
    assert client.get(f"{API}/perpetrator-requests/{request.id}/unit-address", headers=perp_headers).status_code == 200

    make_site(lat=FAR[0] + 0.01, lon=FAR[1])  # a site housing victims 1.1 km away, written below the service
    opened = client.get(f"{API}/perpetrator-requests/{request.id}/unit-address", headers=perp_headers)
    assert opened.status_code == 404
    missing = client.get(f"{API}/perpetrator-requests/987654/unit-address", headers=perp_headers)
    assert opened.get_data() == missing.get_data()


def test_a_breach_is_listed_on_the_managers_and_administrators_dashboards_until_put_right(client, db, breach,
                                                                                       make_user, login):
    occupied = db.session.get(Unit, breach["near"].id)
    occupied.status = UnitStatus.OCCUPIED  # someone already lives there: the listing says so
    db.session.commit()
    listed = f"{breach['near_site'].name} ({breach['near_site'].provider.name}): 1 live perpetrator unit " \
             f"(1 offered or occupied), too near {breach['site'].name} ({breach['site'].provider.name})"
    for role in ("manager", "admin"):
        client.delete_cookie("session")
        login(make_user(role))
        page = client.get("/dashboard").get_data(as_text=True)
        assert f"Perpetrator sites {RULE_PERPETRATOR}" in page and listed in page, role
    client.delete_cookie("session")
    login(make_user("housing_worker"))
    assert RULE_PERPETRATOR not in client.get("/dashboard").get_data(as_text=True)

    # Put right: the person moves out and the flat near the refuge is retired.
    perpetrator_unit = db.session.get(Unit, breach["near"].id)
    perpetrator_unit.status = UnitStatus.VOID
    inventory.retire_unit(db.session, SYSTEM, perpetrator_unit)
    db.session.commit()
    client.delete_cookie("session")
    login(make_user("manager"))
    assert RULE_PERPETRATOR not in client.get("/dashboard").get_data(as_text=True)


# The distance itself ---------------------------------------------------------------------------------------

def test_pairs_within_agrees_with_geopy_on_every_pair(monkeypatch):
    rng = random.Random(15)
    a = [(52 + rng.random(), -1.5 + rng.random()) for _ in range(40)]
    b = [(52 + rng.random(), -1.5 + rng.random()) for _ in range(500)]
    b.append((a[0][0], a[0][1] + 5.0 / 68.0))  # about 5 km due east of a[0]: decided on the geodesic itself
    want = {(i, j) for i, p in enumerate(a) for j, q in enumerate(b) if geodesic(p, q).km < 5}
    assert want and set(matching.pairs_within(a, b, 5)) == want  # every pair at once
    monkeypatch.setattr(matching, "PAIRS_AT_ONCE", 0)
    assert set(matching.pairs_within(a, b, 5)) == want  # through the R-tree


def test_the_demo_data_keeps_the_rule(db):
    demo.load_demo(db.session, SYSTEM, password="demo-password-123", scale=2)
    db.session.commit()
    sites = db.session.execute(select(Site.kind, Site.location).where(Site.retired_at.is_(None))).all()
    perpetrator_points = [crypto.unseal(loc) for kind, loc in sites if kind == SiteKind.PERPETRATOR]
    victim_points = [crypto.unseal(loc) for kind, loc in sites if kind == SiteKind.VICTIM]
    assert perpetrator_points and victim_points
    closest = min(geodesic((p["lat"], p["lon"]), (v["lat"], v["lon"])).km
                  for p in perpetrator_points for v in victim_points)
    assert closest >= 5
    assert db.session.scalar(select(func.count()).select_from(PerpetratorRequest).where(
        PerpetratorRequest.state != PerpetratorState.FILED)) > 0  # and its perpetrator requests are still matched


# The migration ---------------------------------------------------------------------------------------------

def _legacy_rows(connection) -> None:
    """What the app allowed before the kinds: a refuge holding a perpetrator flat, a refuge, a men's perpetrator
    site and an empty site, all at one (sealed) point."""
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    sealed = {"address": crypto.seal(REFUGE_ADDRESS, "site.address").token,
              "point": crypto.seal({"lat": NEAR[0], "lon": NEAR[1]}, "site.location").token}
    connection.execute(text("INSERT INTO providers (name, created_at) VALUES ('Lantern', :now)"), {"now": now})
    for name in ("Mixed House", "Refuge House", "Men's Place", "Empty House"):
        connection.execute(text(
            "INSERT INTO sites (provider_id, name, area, district, address, location, created_at) VALUES "
            "((SELECT id FROM providers WHERE name = 'Lantern'), :name, 'Leicester', 'LE1', :address, :point, :now)"),
            {"name": name, "now": now, **sealed})
    for site, name, unit_type in (("Mixed House", "Room 1", "refuge"), ("Mixed House", "Flat 2", "perpetrator"),
                                  ("Refuge House", "Room 1", "refuge"), ("Men's Place", "Flat 1", "perpetrator")):
        connection.execute(text(
            "INSERT INTO units (site_id, name, type, bedspaces, bedrooms, lead_genders, pets, features, languages, "
            "weekly_cost, status, created_at, updated_at, site_name) VALUES "
            "((SELECT id FROM sites WHERE name = :site), :name, :type, 1, 1, '[]', '[]', '[]', '[]', 0, 'available', "
            ":now, :now, :site)"),
            {"site": site, "name": name, "type": unit_type, "now": now})


def test_the_migration_gives_every_site_its_kind_and_splits_a_site_holding_both(tmp_path, database_uri):
    from flask_migrate import downgrade

    from safehome.extensions import db

    sqlite = database_uri.startswith("sqlite")
    uri = f"sqlite:///{tmp_path / 'old.db'}" if sqlite else database_uri
    app = create_app(base_config(uri))
    with app.app_context():
        try:
            upgrade(revision="0008") if sqlite else downgrade(revision="0008")
            with db.engine.begin() as connection:
                _legacy_rows(connection)
                mixed = connection.scalar(text("SELECT id FROM sites WHERE name = 'Mixed House'"))
                sealed = connection.execute(text("SELECT address, location FROM sites WHERE id = :id"),
                                            {"id": mixed}).one()
            upgrade()
            split = f"Mixed House (perpetrator units, site {mixed})"
            with db.engine.connect() as connection:
                kinds = dict(connection.execute(text("SELECT name, kind FROM sites")).all())
                units = connection.execute(text(
                    "SELECT units.name, sites.name, units.site_kind, units.site_name FROM units "
                    "JOIN sites ON sites.id = units.site_id ORDER BY units.id")).all()
                copied = connection.execute(text("SELECT id, address, location FROM sites WHERE name = :name"),
                                            {"name": split}).one()
            assert kinds == {"Mixed House": "victim", "Refuge House": "victim", "Men's Place": "perpetrator",
                             "Empty House": "victim", split: "perpetrator"}
            assert [tuple(u) for u in units] == [
                ("Room 1", "Mixed House", "victim", "Mixed House"), ("Flat 2", split, "perpetrator", split),
                ("Room 1", "Refuge House", "victim", "Refuge House"),
                ("Flat 1", "Men's Place", "perpetrator", "Men's Place")]
            # The same sealed address and point, copied without opening them.
            assert (bytes(copied[1]), bytes(copied[2])) == (bytes(sealed[0]), bytes(sealed[1]))
            # What was a perpetrator flat in a refuge is now a breach: listed, and never offered.
            assert {b.site_id for b in segregation.breaches(db.session)} == {
                copied[0], db.session.scalar(select(Site.id).where(Site.name == "Men's Place"))}
        finally:
            db.session.remove()
            upgrade()
            if not sqlite:
                with db.engine.begin() as connection:
                    connection.execute(text("TRUNCATE units, sites, providers RESTART IDENTITY CASCADE"))
            db.engine.dispose()
