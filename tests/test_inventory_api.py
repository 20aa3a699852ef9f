"""The inventory API: every operation for every role, provider scoping, output scoping, bad and hostile input."""
from __future__ import annotations

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from safehome.codes import AuditAction, Role, UnitStatus
from safehome.models import AuditEvent, Provider, Site, Unit, UnitStatusChange
from safehome.permissions import Permission, can
from safehome.services import inventory
from tests.inventory_fixtures import *  # noqa: F401,F403

API = "/api/v1"
CSV_ROW = "{provider},Imported House,LE2 1AB,,,,Room X,refuge,2,1,female,,,,,0,available,"


@pytest.fixture
def world(db, make_provider, add_site, add_unit):
    """One provider with a site and an available unit; ids only (each request has its own session)."""
    provider = make_provider()
    site = add_site(provider)
    unit = add_unit(site)
    return {"pid": provider.id, "pname": provider.name, "sid": site.id, "uid": unit.id}


# (name, method, path, body, permission, success status)
OPERATIONS = [
    ("list providers", "GET", "/providers", None, Permission.UNIT_READ, 200),
    ("create provider", "POST", "/providers", {"name": "Brand New"}, Permission.UNIT_WRITE, 201),
    ("read provider", "GET", "/providers/{pid}", None, Permission.UNIT_READ, 200),
    ("edit provider", "PATCH", "/providers/{pid}", {"phone": "0116 000 0000"}, Permission.UNIT_WRITE, 200),
    ("retire provider", "DELETE", "/providers/{pid}", None, Permission.UNIT_WRITE, 200),
    ("list sites", "GET", "/sites", None, Permission.UNIT_READ, 200),
    ("create site", "POST", "/sites", {"provider_id": "{pid}", "name": "Annex", "postcode": "LE3 9AA"},
     Permission.UNIT_WRITE, 201),
    ("read site", "GET", "/sites/{sid}", None, Permission.UNIT_READ, 200),
    ("edit site", "PATCH", "/sites/{sid}", {"line2": "Flat 2"}, Permission.UNIT_WRITE, 200),
    ("retire site", "DELETE", "/sites/{sid}", None, Permission.UNIT_WRITE, 200),
    ("list units", "GET", "/units", None, Permission.UNIT_READ, 200),
    ("create unit", "POST", "/units", {"site_id": "{sid}", "name": "Room new", "type": "refuge", "bedspaces": 2,
                                       "lead_genders": ["female"]}, Permission.UNIT_WRITE, 201),
    ("read unit", "GET", "/units/{uid}", None, Permission.UNIT_READ, 200),
    ("edit unit", "PATCH", "/units/{uid}", {"bedspaces": 4}, Permission.UNIT_WRITE, 200),
    ("retire unit", "DELETE", "/units/{uid}", None, Permission.UNIT_WRITE, 200),
    ("change status", "POST", "/units/{uid}/status", {"status": "void"}, Permission.UNIT_STATUS, 200),
    ("unit history", "GET", "/units/{uid}/history", None, Permission.UNIT_READ, 200),
    ("vacancies", "GET", "/vacancies", None, Permission.UNIT_READ, 200),
    ("import csv", "POST", "/units/import", "CSV", Permission.UNIT_WRITE, 201),
    ("export csv", "GET", "/units/export", None, Permission.UNIT_READ, 200),
]
CASES = [(op, role) for op in OPERATIONS for role in Role]


def _fill(value, world):
    if isinstance(value, str):
        for key in ("pid", "sid", "uid"):
            if value == f"{{{key}}}":
                return world[key]
            value = value.replace(f"{{{key}}}", str(world[key]))
        return value
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    return value


def call(client, method, path, body, world, headers):
    url = API + _fill(path, world)
    if body == "CSV":
        text = ",".join(inventory.CSV_COLUMNS) + "\n" + CSV_ROW.format(provider=world["pname"]) + "\n"
        return client.post(url, data={"file": (io.BytesIO(text.encode()), "units.csv")}, headers=headers,
                           content_type="multipart/form-data")
    return client.open(url, method=method, json=_fill(body, world) if body is not None else None, headers=headers)


@pytest.mark.parametrize("operation,role", CASES, ids=[f"{op[0]}-{role.value}" for op, role in CASES])
def test_every_operation_for_every_role(client, db, world, make_user, token_for, operation, role):
    _, method, path, body, permission, success = operation
    provider = db.session.get(Provider, world["pid"]) if role == Role.PROVIDER else None
    user = make_user(role.value, provider=provider)
    response = call(client, method, path, body, world, token_for(user))
    expected = success if can(role, permission) else 403
    assert response.status_code == expected, response.get_data(as_text=True)


def test_anonymous_gets_401(client, world):
    assert client.get(f"{API}/units").status_code == 401
    assert client.post(f"{API}/units/{world['uid']}/status", json={"status": "void"}).status_code == 401


# Provider scoping --------------------------------------------------------------------

OWN_RECORD_OPERATIONS = [op for op in OPERATIONS if "{" in op[2] and op[4] != Permission.UNIT_WRITE]


@pytest.mark.parametrize("operation", OWN_RECORD_OPERATIONS, ids=[op[0] for op in OWN_RECORD_OPERATIONS])
def test_another_providers_records_are_404(client, db, world, make_user, token_for, operation):
    _, method, path, body, _, _ = operation
    outsider = make_user("provider")  # a user of another provider
    response = call(client, method, path, body, world, token_for(outsider))
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Unit, world["uid"]).status == UnitStatus.AVAILABLE


def test_another_providers_records_are_not_listed(client, world, make_user, token_for):
    headers = token_for(make_user("provider"))
    own = client.get(f"{API}/me", headers=headers).json["provider_id"]
    assert [p["id"] for p in client.get(f"{API}/providers", headers=headers).json] == [own]
    assert own != world["pid"]
    assert client.get(f"{API}/units", headers=headers).json["items"] == []
    assert client.get(f"{API}/sites", headers=headers).json == []
    assert client.get(f"{API}/vacancies", headers=headers).json["items"] == []
    export = client.get(f"{API}/units/export", headers=headers).get_data(as_text=True)
    assert export.strip().count("\n") == 0  # the header alone


def test_provider_marks_its_room_void_and_free_again(client, db, world, make_user, token_for):
    user = make_user("provider", provider=db.session.get(Provider, world["pid"]))
    headers = token_for(user)
    url = f"{API}/units/{world['uid']}/status"
    void = client.post(url, json={"status": "void", "frees_on": "2099-01-01", "note": "deep clean"},
                       headers=headers)
    assert void.status_code == 200 and void.json["status"] == "void" and void.json["frees_on"] == "2099-01-01"
    free = client.post(url, json={"status": "available"}, headers=headers)
    assert free.status_code == 200 and free.json["frees_on"] is None
    history = client.get(f"{API}/units/{world['uid']}/history", headers=headers).json
    assert [(c["from_status"], c["to_status"]) for c in history["changes"]] == [
        (None, "available"), ("available", "void"), ("void", "available")]
    assert {c["by_user_id"] for c in history["changes"][1:]} == {user.id}
    # Offered and occupied are the placement workflow's: a person's request is a 409 naming the field.
    refused = client.post(url, json={"status": "occupied"}, headers=headers)
    assert refused.status_code == 409 and "status" in refused.json["errors"]["json"]


# Output scoped by role -------------------------------------------------------------------

def test_location_absent_without_address_view_and_audited_with_it(client, db, world, make_user, token_for):
    for role in ("manager", "provider"):
        provider = db.session.get(Provider, world["pid"]) if role == "provider" else None
        headers = token_for(make_user(role, provider=provider))
        unit = client.get(f"{API}/units/{world['uid']}", headers=headers).json
        site = client.get(f"{API}/sites/{world['sid']}", headers=headers).json
        assert "location" not in unit and "location" not in site and "address" not in site
        assert unit["area"] == "Leicester" and site["district"] == "LE1"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == AuditAction.VIEW_ADDRESS)) == 0
    worker = make_user("housing_worker")
    headers = token_for(worker)
    unit = client.get(f"{API}/units/{world['uid']}", headers=headers).json
    site = client.get(f"{API}/sites/{world['sid']}", headers=headers).json
    assert set(unit["location"]) == {"lat", "lon"} and site["address"]["postcode"] == "LE1 1AA"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.VIEW_ADDRESS)).all()
    assert [(e.record_type, e.record_id, e.user_id) for e in events] == [("site", world["sid"], worker.id)] * 2
    listed = client.get(f"{API}/units", headers=headers).json["items"][0]
    assert "location" not in listed  # lists never carry a point


def test_vacancies_filter_and_count(client, world, make_user, token_for, add_unit, db):
    add_unit(db.session.get(Site, world["sid"]), type="dispersed", pets=["dog"])
    headers = token_for(make_user("manager"))
    body = client.get(f"{API}/vacancies?type=dispersed&pet=dog", headers=headers).json
    assert [u["type"] for u in body["items"]] == ["dispersed"] and body["items"][0]["free"] == "now"
    assert body["counts_by_type"]["refuge"] == 0 and body["counts_by_type"]["dispersed"] == 1
    bad = client.get(f"{API}/vacancies?boys_up_to=abc&feature=jetpack", headers=headers)
    assert bad.status_code == 422 and {"boys_up_to", "feature"} <= set(bad.json["errors"]["query"])


# Bad input: 422 naming the field, nothing written ---------------------------------------------

def _counts(db):
    db.session.expire_all()
    return tuple(db.session.scalar(select(func.count()).select_from(m))
                 for m in (Provider, Site, Unit, UnitStatusChange))


@pytest.mark.parametrize("method,path,body,field", [
    ("POST", "/units", {"site_id": "{sid}", "name": "R", "type": "castle", "bedspaces": 2,
                        "lead_genders": ["female"]}, "type"),
    ("POST", "/units", {"site_id": "{sid}", "name": "R", "type": "refuge", "bedspaces": 0,
                        "lead_genders": ["female"]}, "bedspaces"),
    ("POST", "/units", {"site_id": "{sid}", "name": "R", "type": "refuge", "bedspaces": 2,
                        "lead_genders": []}, "lead_genders"),
    ("POST", "/units", {"site_id": "{sid}", "name": "R\u0000", "type": "refuge", "bedspaces": 2,
                        "lead_genders": ["female"]}, "name"),
    ("POST", "/units", {"site_id": "{sid}", "name": "R", "type": "refuge", "bedspaces": 2,
                        "lead_genders": ["female"], "colour": "red"}, "colour"),
    ("POST", "/units", {"site_id": "{sid}", "name": "R", "type": "refuge", "bedspaces": 2,
                        "lead_genders": ["female"], "status": "offered"}, "status"),
    ("PATCH", "/units/{uid}", {"weekly_cost": "12.345"}, "weekly_cost"),
    ("PATCH", "/units/{uid}", {"max_male_age": 2**40}, "max_male_age"),
    ("POST", "/sites", {"provider_id": "{pid}", "name": "S", "postcode": "ZE1 0AA"}, "lat"),
    ("POST", "/sites", {"provider_id": "{pid}", "name": "S", "postcode": "LE1 1AA", "lat": 40.0,
                        "lon": -1.0}, "lat"),
    ("POST", "/providers", {"name": ""}, "name"),
    ("POST", "/units/{uid}/status", {"status": "void", "frees_on": "2000-01-01"}, "frees_on"),
    ("POST", "/units/{uid}/status", {"status": "void", "frees_on": "tomorrow"}, "frees_on"),
])
def test_bad_input_is_422_naming_the_field_and_writes_nothing(client, db, world, make_user, token_for, method,
                                                             path, body, field):
    headers = token_for(make_user("housing_worker"))
    before = _counts(db)
    response = call(client, method, path, body, world, headers)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in response.json["errors"]["json"]
    assert _counts(db) == before


def test_bad_csv_is_422_with_row_and_column(client, db, world, make_user, token_for):
    headers = token_for(make_user("housing_worker"))
    text = ",".join(inventory.CSV_COLUMNS) + "\n" + CSV_ROW.format(provider="P") + "\n" + \
        CSV_ROW.format(provider="P").replace("Room X", "Room Y").replace(",2,1,", ",two,1,") + "\n"
    before = _counts(db)
    response = client.post(f"{API}/units/import", data={"file": (io.BytesIO(text.encode()), "u.csv")},
                           headers=headers, content_type="multipart/form-data")
    assert response.status_code == 422 and response.json["errors"]["json"] == {
        "row 3/bedspaces": ["must be a whole number"]}
    assert _counts(db) == before
    missing = client.post(f"{API}/units/import", data={}, headers=headers, content_type="multipart/form-data")
    assert missing.status_code == 422 and "file" in missing.json["errors"]["files"]


# Hostile input, generated ----------------------------------------------------------------------

junk = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40)
    | st.sampled_from(["", "\x00", "=1+1", "refuge", "female", "dog", "2030-01-01", "LE1 1AA", "x" * 600]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8)
UNIT_KEYS = ["site_id", "name", "type", "bedspaces", "bedrooms", "lead_genders", "max_male_age", "pets",
             "features", "languages", "weekly_cost", "frees_on", "status"]
plausible = {"site_id": st.just("{sid}"), "name": st.text(max_size=90), "type": st.sampled_from(["refuge", "x"]),
             "bedspaces": st.integers(-3, 60), "lead_genders": st.lists(st.sampled_from(["female", "male", "y"]))}
unit_bodies = st.dictionaries(st.sampled_from(UNIT_KEYS + ["extra"]), junk, max_size=8) | st.fixed_dictionaries(
    plausible, optional={k: junk for k in UNIT_KEYS if k not in plausible})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(body=unit_bodies, path=st.sampled_from(["/units", "/units/{uid}", "/units/{uid}/status", "/sites/{sid}",
                                                "/providers"]))
def test_hostile_input_never_500_and_4xx_writes_nothing(client, db, world, worker_headers, body, path):
    method = "PATCH" if path in ("/units/{uid}", "/sites/{sid}") else "POST"
    before = _counts(db)
    response = client.open(API + _fill(path, world), method=method, data=json.dumps(_fill(body, world)),
                           content_type="application/json", headers=worker_headers)
    assert response.status_code < 500, response.get_data(as_text=True)
    if 400 <= response.status_code < 500:
        assert _counts(db) == before
        assert response.is_json


@pytest.fixture
def worker_headers(make_user, token_for):
    return token_for(make_user("housing_worker"))
