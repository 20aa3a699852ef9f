"""The access table, walked: every page and API operation as every role and as no one,
on a record of one's own and, where records are scoped, on someone else's."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.helpers import csrf_token_from
from tests.security.access_table import ACCESS, NO_ONE, NOT_SENT, OTHER_PROVIDER, allowed
from tests.security.conftest import ROLES, sample_values
from tests.security.walk import url_for_rule

_ARG = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def test_every_endpoint_is_in_the_table(app):
    in_app = {(method, rule.rule) for rule in app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert sorted(in_app - set(ACCESS)) == [], "endpoints missing from tests/security/access_table.py"
    assert sorted(set(ACCESS) - in_app) == [], "rows for endpoints that no longer exist"
    document = app.test_client().get("/api/openapi.json").get_json()
    as_openapi = {(method, _ARG.sub(r"{\1}", rule)) for method, rule in ACCESS}
    operations = {(method.upper(), path) for path, item in document["paths"].items() for method in item
                  if method in ("get", "post", "put", "patch", "delete")}
    assert operations and sorted(operations - as_openapi) == [], "API operations missing from the table"


def test_the_table_knows_every_role():
    for entry in ACCESS.values():
        assert entry in ("anyone", "signed-in") or allowed(entry) <= set(ROLES)


def _records(world):
    """Ids of one's own and of someone else's scoped records."""
    from safehome.codes import CaseStatus
    from safehome.extensions import db
    from safehome.models import Household, HousingOptionsRequest, Provider, Site, Unit

    own_provider = world.user("provider").provider_id
    other_provider = world.user("provider2").provider_id

    def provider_ids(provider_id):
        site = db.session.scalar(select(Site.id).where(Site.provider_id == provider_id).order_by(Site.id))
        unit = db.session.scalar(select(Unit.id).where(Unit.site_id == site).order_by(Unit.id))
        return {"provider_id": db.session.get(Provider, provider_id).id, "site_id": site, "unit_id": unit}

    sent = db.session.scalar(select(HousingOptionsRequest.household_id).order_by(HousingOptionsRequest.id))
    not_sent = db.session.scalar(select(Household.id).where(
        Household.status == CaseStatus.OPEN, Household.id.not_in(select(HousingOptionsRequest.household_id)))
        .order_by(Household.id))
    return {"own": {"provider": provider_ids(own_provider), "housing_options": {"household_id": sent}},
            "other": {"provider": provider_ids(other_provider), "housing_options": {"household_id": not_sent}}}


def _send(world, client, method: str, url: str, role: str, headers: dict, token: str):
    if url.startswith("/api/"):
        return world.client().open(url, method=method, headers=headers, json={} if method != "GET" else None)
    return client.open(url, method=method, data={"csrf_token": token} if method != "GET" else None)


@pytest.mark.parametrize("role", (*ROLES, NO_ONE))
def test_every_endpoint_answers_each_role_as_the_table_says(world, role):
    rules = {rule.rule: rule for rule in world.app.url_map.iter_rules()}
    records = _records(world)
    if role == NO_ONE:
        client, headers = world.client(), {}
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
    else:
        # The first token is the one the table's "token_id" rows revoke; the walk uses a second one.
        world.bearer(role)
        client, headers = world.signed_in(role), world.bearer(role)
        token = csrf_token_from(client.get("/dashboard").get_data(as_text=True))
    wrong = []
    # Reads first, then writes, so a write cannot hide a read's answer; signing out last of all.
    order = sorted(ACCESS.items(), key=lambda item: (item[0][1] == "/logout", item[0][0] != "GET", item[0]))
    for (method, path), entry in order:
        rule = rules[path]
        values = sample_values(rule)
        scoped = records["own"].get(role, {})
        own = {**values, **{k: v for k, v in scoped.items() if k in rule.arguments}}
        response = _send(world, client, method, url_for_rule(world.app, rule, own), role, headers, token)
        status = response.status_code
        response.close()
        api = path.startswith("/api/")
        if role in allowed(entry):
            if status in (401, 403) or status >= 500:
                wrong.append(f"{method} {path}: {status}, expected to be let in")
        elif role == NO_ONE:
            expected_page = status == 302 and "/login" in response.headers.get("Location", "")
            if (api and status != 401) or (not api and not expected_page):
                wrong.append(f"{method} {path}: {status}, expected {'401' if api else 'the sign-in page'}")
        elif status != 403:
            wrong.append(f"{method} {path}: {status}, expected 403")
        # Someone else's record, where this role's records are scoped.
        scope = OTHER_PROVIDER if role == "provider" else NOT_SENT if role == "housing_options" else ()
        if role in allowed(entry) and any(arg in rule.arguments for arg in scope):
            other = {**values, **{k: v for k, v in records["other"][role].items() if k in rule.arguments}}
            response = _send(world, client, method, url_for_rule(world.app, rule, other), role, headers, token)
            status = response.status_code
            # An API write's empty body is refused (422, naming the body's fields) before any record is looked
            # up, so the answer is the same for a record that does not exist: it reveals nothing.
            body_refused = status == 422 and path.startswith("/api/") and "json" in (response.get_json() or {}).get(
                "errors", {})
            response.close()
            if status != 404 and not body_refused:
                wrong.append(f"{method} {path} on someone else's record: {status}, expected 404")
    assert wrong == []


def test_a_provider_changing_another_providers_unit_status_gets_404(world):
    records = _records(world)
    headers = world.bearer("provider")
    body = {"status": "void", "note": "boiler"}
    other = world.client().post(f"/api/v1/units/{records['other']['provider']['unit_id']}/status", headers=headers,
                                json=body)
    assert other.status_code == 404
    assert world.client().post("/api/v1/units/999999/status", headers=headers, json={}).status_code == \
        world.client().post(f"/api/v1/units/{records['other']['provider']['unit_id']}/status", headers=headers,
                            json={}).status_code == 422
