"""The households API: every operation for every role, role-scoped output, and hostile input."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from safehome.codes import AuditAction, Role
from safehome.models import Assessment, AuditEvent, Household, Member, Referral
from safehome.schemas.households import dump_household
from tests.referral_data import NOW_CASE, as_json, referral, take

ROLES = ["housing_worker", "housing_options", "manager", "perpetrator_service", "provider", "admin"]
ASSESSMENT = {"safe_to_stay": "no", "perpetrator_lives_there": "yes", "sanctuary_suitable": "no",
              "perpetrator_would_leave": "unknown", "options_considered": ["refuge", "homelessness_application"],
              "notes": "Wants to stay near school."}
MEMBERS = {"members": [{"name": "Alex", "birth_date": "1990-05-01", "gender": "female"}]}


def _payload(**overrides) -> dict:
    return as_json(referral(**overrides))


# Every operation x every role: (method, path, body, {role: status}); "{id}" is a case of a housing worker.
OPERATIONS = [
    ("post", "/api/v1/referrals", _payload(reference="API-1"),
     {"housing_worker": 201, "housing_options": 403, "manager": 403, "perpetrator_service": 403, "provider": 403,
      "admin": 403}),
    ("get", "/api/v1/households", None,
     {"housing_worker": 200, "housing_options": 200, "manager": 200, "perpetrator_service": 403, "provider": 200,
      "admin": 403}),
    ("get", "/api/v1/households/{id}", None,
     {"housing_worker": 200, "housing_options": 404, "manager": 200, "perpetrator_service": 403, "provider": 404,
      "admin": 403}),
    ("get", "/api/v1/households/{id}?include=places", None,
     {"housing_worker": 200, "housing_options": 404, "manager": 403, "perpetrator_service": 403, "provider": 404,
      "admin": 403}),
    ("patch", "/api/v1/households/{id}", {"dash_score": 4, "needs": ["wheelchair"]},
     {"housing_worker": 200, "housing_options": 403, "manager": 403, "perpetrator_service": 403, "provider": 403,
      "admin": 403}),
    ("put", "/api/v1/households/{id}/members", MEMBERS,
     {"housing_worker": 200, "housing_options": 403, "manager": 403, "perpetrator_service": 403, "provider": 403,
      "admin": 403}),
    ("post", "/api/v1/households/{id}/assessments", ASSESSMENT,
     {"housing_worker": 201, "housing_options": 403, "manager": 403, "perpetrator_service": 403, "provider": 403,
      "admin": 403}),
]
TABLE = [(method, path, body, role, statuses[role]) for method, path, body, statuses in OPERATIONS for role in ROLES]


@pytest.fixture
def case(db, make_user):
    return take(db, make_user(), now=NOW_CASE).household


@pytest.mark.parametrize("method, path, body, role, status", TABLE,
                         ids=[f"{m} {p} {r}" for m, p, _, r, _ in TABLE])
def test_every_operation_for_every_role(client, make_user, token_for, case, method, path, body, role, status):
    user = make_user(role)
    response = getattr(client, method)(path.format(id=case.id), json=body, headers=token_for(user))
    assert response.status_code == status, response.get_json()


def test_unauthenticated_is_401(client, case):
    assert client.get(f"/api/v1/households/{case.id}").status_code == 401
    assert client.post("/api/v1/referrals", json=_payload()).status_code == 401


def test_missing_case_and_absurd_id_are_404(client, make_user, token_for):
    headers = token_for(make_user())
    assert client.get("/api/v1/households/999", headers=headers).status_code == 404
    assert client.get(f"/api/v1/households/{2**70}", headers=headers).status_code == 404


def test_referral_answers_with_the_case_and_repeat_flag(client, db, make_user, token_for):
    headers = token_for(make_user())
    first = client.post("/api/v1/referrals", json=_payload(), headers=headers)
    assert first.status_code == 201
    body = first.get_json()
    assert body["joined_open_case"] is False and body["referral"]["is_repeat"] is False
    assert body["household"]["reference"] == "FVS-20250310" and body["household"]["risk"] == "high"
    assert "places" not in body["household"] and "address" not in body["household"]
    again = client.post("/api/v1/referrals", json=_payload(received_at="2025-06-01T10:00"), headers=headers)
    assert again.get_json()["joined_open_case"] is True and again.get_json()["referral"]["is_repeat"] is True
    # a time without a zone is UK time (BST in June)
    received = datetime.fromisoformat(again.get_json()["referral"]["received_at"])
    assert received == datetime(2025, 6, 1, 9, 0, tzinfo=timezone.utc)


def test_bad_referral_names_each_field_and_writes_nothing(client, db, make_user, token_for):
    headers = token_for(make_user())
    response = client.post("/api/v1/referrals", headers=headers, json=_payload(
        reference="bad", dash_score=30, members=[{"birth_date": "2020-01-01", "gender": "female"}]))
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert {"reference", "dash_score", "members/0/birth_date"} <= set(errors)
    assert db.session.scalar(select(func.count()).select_from(Household)) == 0


def test_schema_errors_name_the_field(client, make_user, token_for):
    response = client.post("/api/v1/referrals", headers=token_for(make_user()),
                           json={**_payload(), "dash_score": "high", "surprise": 1})
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert "dash_score" in errors and "surprise" in errors


def test_list_filters_and_pagination(client, db, make_user, token_for):
    worker = make_user()
    for n in range(3):
        take(db, worker, reference=f"PAGE-{n}", dash_score=2 if n else 20, now=NOW_CASE)
    headers = token_for(worker)
    page = client.get("/api/v1/households?per_page=2&page=2", headers=headers).get_json()
    assert page["total"] == 3 and len(page["items"]) == 1 and page["page"] == 2
    high = client.get("/api/v1/households?risk=high", headers=headers).get_json()
    assert [item["reference"] for item in high["items"]] == ["PAGE-0"]
    by_ref = client.get("/api/v1/households?reference=page-1", headers=headers).get_json()
    assert [item["reference"] for item in by_ref["items"]] == ["PAGE-1"]
    assert client.get("/api/v1/households?risk=extreme", headers=headers).status_code == 422
    assert client.get("/api/v1/households?page=0", headers=headers).status_code == 422


def test_places_only_on_request_and_audited(client, db, make_user, token_for, case):
    worker = make_user()
    headers = token_for(worker)
    plain = client.get(f"/api/v1/households/{case.id}", headers=headers).get_json()
    assert "places" not in plain and plain["equality"]
    opened = client.get(f"/api/v1/households/{case.id}?include=places", headers=headers).get_json()
    assert opened["places"]["address"]["postcode"] == "LE2 0AB"
    assert [p["label"] for p in opened["places"]["avoid"]] == ["Perpetrator's home", "His work"]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.user_id == worker.id,
                                                         AuditEvent.record_id == case.id)).all()
    assert [e.action for e in events].count(AuditAction.VIEW_CASE) == 2
    assert [e.action for e in events].count(AuditAction.VIEW_ADDRESS) == 1
    assert all(e.record_type == "household" for e in events)


def test_output_is_scoped_by_role(db, case):
    household = db.session.get(Household, case.id)
    full = dump_household(household, Role.HOUSING_WORKER)
    assert {"reference", "equality", "excluded_areas", "members", "risk", "referrals"} <= set(full)
    assert full["members"][0]["name"] == "Alex"
    options = dump_household(household, Role.HOUSING_OPTIONS)
    assert "equality" not in options and "excluded_areas" not in options and "reference" in options
    provider = dump_household(household, Role.PROVIDER)
    assert set(provider) == {"id", "status", "member_count", "members", "pets", "needs", "languages",
                             "interpreter"}
    assert set(provider["members"][0]) == {"age", "gender"} and provider["member_count"] == 2
    assert dump_household(household, Role.PERPETRATOR_SERVICE) == {}


def test_patch_changes_only_given_fields_and_names_problems(client, db, make_user, token_for, case):
    headers = token_for(make_user())
    ok = client.patch(f"/api/v1/households/{case.id}", headers=headers, json={"marac": True, "dash_score": 2})
    assert ok.status_code == 200 and ok.get_json()["risk"] == "high" and ok.get_json()["pets"] == ["cat"]
    bad = client.patch(f"/api/v1/households/{case.id}", headers=headers,
                       json={"tenure_at_entry": "moon", "avoid": [{"label": "X", "km": 900, "postcode": "LE1"}]})
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]["json"]) == {"tenure_at_entry", "avoid/0/km"}
    db.session.expire_all()
    assert db.session.get(Household, case.id).tenure_at_entry.value == "council_rent"


def test_members_are_replaced_in_place(client, db, make_user, token_for, case):
    headers = token_for(make_user())
    three = {"members": [{"name": "Alex", "birth_date": "1990-05-01", "gender": "female"},
                         {"birth_date": "2012-01-01", "gender": "male"},
                         {"birth_date": "2020-01-01", "gender": "other"}]}
    assert len(client.put(f"/api/v1/households/{case.id}/members", headers=headers,
                          json=three).get_json()["members"]) == 3
    one = client.put(f"/api/v1/households/{case.id}/members", headers=headers, json=MEMBERS).get_json()
    assert one["member_count"] == 1
    assert db.session.scalar(select(func.count()).select_from(Member)) == 1


def test_assessment_problems_are_named(client, db, make_user, token_for, case):
    headers = token_for(make_user())
    bad = client.post(f"/api/v1/households/{case.id}/assessments", headers=headers,
                      json={**ASSESSMENT, "safe_to_stay": "maybe", "options_considered": []})
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]["json"]) == {"safe_to_stay", "options_considered"}
    assert db.session.scalar(select(func.count()).select_from(Assessment)) == 0


# Hostile input ------------------------------------------------------------------------------------

JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                      st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=60),
                      st.sampled_from(["\x00", "LE2 0AB", "FVS-1", "9999-12-31T23:59:59+14:00",
                                       "0001-01-01T00:00:00-14:00", "1990-02-30", "prefer_not_to_say"]))
JSON = st.recursive(JSON_LEAF, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                    max_leaves=12)
FIELDS = sorted(_payload())


@st.composite
def hostile_referrals(draw):
    """A real-shaped referral with some fields replaced by anything, or something else altogether."""
    if draw(st.booleans()):
        body = _payload(reference=draw(st.sampled_from(["FVS-1", "FVS-2", "x"])))
        for key in draw(st.lists(st.sampled_from(FIELDS), max_size=4)):
            body[key] = draw(JSON)
        return body
    return draw(JSON)


def _written(db) -> tuple:
    db.session.expire_all()
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Household, Referral, Member))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=hostile_referrals())
def test_hostile_referrals_never_500_and_write_nothing_on_error(client, db, make_user, token_for, body):
    headers = token_for(make_user())
    before = _written(db)
    response = client.post("/api/v1/referrals", json=body, headers=headers)
    assert response.status_code in (201, 400, 409, 422), response.get_data(as_text=True)
    if response.status_code != 201:
        assert _written(db) == before
        assert response.get_json()["code"] == response.status_code


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=JSON)
def test_hostile_patches_never_500(client, db, make_user, token_for, case, body):
    response = client.patch(f"/api/v1/households/{case.id}", json=body, headers=token_for(make_user()))
    assert response.status_code in (200, 400, 422), response.get_data(as_text=True)


def test_housing_options_sees_only_cases_sent_to_it_with_reduced_fields(client, db, make_user, token_for, case):
    from safehome.codes import HousingOptionsKind
    from safehome.models import HousingOptionsRequest

    other = take(db, make_user(), reference="NOTSENT-1", now=NOW_CASE).household
    db.session.add(HousingOptionsRequest(household_id=case.id, kind=HousingOptionsKind.HOMELESSNESS_APPLICATION))
    db.session.commit()
    headers = token_for(make_user("housing_options"))
    listed = client.get("/api/v1/households", headers=headers).get_json()
    assert [item["id"] for item in listed["items"]] == [case.id]
    body = client.get(f"/api/v1/households/{case.id}", headers=headers).get_json()
    assert body["reference"] == "FVS-20250310" and "equality" not in body and "excluded_areas" not in body
    assert "places" not in body
    assert client.get(f"/api/v1/households/{other.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/households/{case.id}?include=places", headers=headers).status_code == 403
