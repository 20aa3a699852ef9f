"""One 404 for a record that does not exist and one outside the caller's scope.

Both answer with the same body as a URL that matches nothing, and run the same
number of SQL statements (counted, not timed), so neither the answer nor the
work behind it tells "not yours" from "not there". Walked over every page and
API operation with an id, for every role that may use it, on the demo world
(SQLite, and PostgreSQL when configured).
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.helpers import counting, csrf_token_from
from tests.security.access_table import ACCESS, allowed
from tests.security.conftest import DEMO_LOGIN, ROLES, first_id
from tests.security.walk import url_for_rule

MISSING = 987_654  # no demo record has an id this large (checked for each record kind probed)
_CSRF = re.compile(r'(name="csrf_token" value=|name="csrf-token" content=)"[^"]+"')
_ID_ARG = re.compile(r"<int:(\w+_id)>")
# API writes whose body must be valid for the record to be looked up at all (an invalid body is
# refused, 422, before any lookup: the same answer for any id).
BODIES = {("POST", "/api/v1/units/<int:unit_id>/status"): {"status": "void", "note": "boiler"}}


def _model(path: str, arg: str):
    """The record kind a URL argument names."""
    from safehome import models as m

    if arg == "request_id":
        return m.HousingOptionsRequest if "housing-options" in path else m.PerpetratorRequest
    return {"household_id": m.Household, "placement_id": m.Placement, "unit_id": m.Unit, "site_id": m.Site,
            "provider_id": m.Provider, "install_id": m.SanctuaryInstall, "plan_id": m.MoveOnPlan,
            "block_id": m.MoveOnBlock, "run_id": m.MatchRun, "user_id": m.User, "token_id": m.ApiToken}[arg]


def _out_of_scope(world, role: str, user) -> dict[type, int]:
    """For each record kind ``role`` is scoped on, the id of a record that exists but is not theirs to see."""
    from safehome import models as m
    from safehome.codes import LIVE_PLACEMENT_STATES
    from safehome.extensions import db
    from safehome.services import SYSTEM, users

    someone_else = world.user("manager" if role == "housing_worker" else "worker")
    their_token, _ = users.create_token(db.session, SYSTEM, someone_else, "not yours", max_days=365)
    db.session.commit()
    found = {m.ApiToken: their_token.id}  # one's own tokens only, for every role
    if role == "provider":
        other = world.user("provider2").provider_id
        own_units = select(m.Unit.id).join(m.Site, m.Site.id == m.Unit.site_id).where(m.Site.provider_id == user.provider_id)
        placed_here = select(m.Placement.household_id).where(m.Placement.unit_id.in_(own_units),
                                                             m.Placement.state.in_(LIVE_PLACEMENT_STATES))
        found |= {m.Provider: other, m.Site: first_id(m.Site, m.Site.provider_id == other),
                  m.Unit: first_id(m.Unit, m.Unit.site_id.in_(select(m.Site.id).where(m.Site.provider_id == other))),
                  m.Household: first_id(m.Household, m.Household.id.not_in(placed_here)),
                  m.Placement: first_id(m.Placement, m.Placement.unit_id.not_in(own_units)),
                  m.SanctuaryInstall: first_id(m.SanctuaryInstall), m.MoveOnPlan: first_id(m.MoveOnPlan),
                  m.HousingOptionsRequest: first_id(m.HousingOptionsRequest)}
    elif role == "housing_options":
        sent = select(m.HousingOptionsRequest.household_id)
        found |= {m.Household: first_id(m.Household, m.Household.id.not_in(sent)),
                  m.Placement: first_id(m.Placement, m.Placement.household_id.not_in(sent)),
                  m.SanctuaryInstall: first_id(m.SanctuaryInstall), m.MoveOnPlan: first_id(m.MoveOnPlan)}
    elif role == "perpetrator_service":  # (a second service's user: every demo request is the first one's)
        found |= {m.PerpetratorRequest: first_id(m.PerpetratorRequest)}
    for model, record_id in found.items():
        assert db.session.get(model, record_id) is not None, f"the demo world has no {model.__name__} for {role}"
    return found


def _signed_in(world, role: str):
    """A page client, a Bearer header and the user, for ``role`` (the perpetrator service: a second user)."""
    from safehome.extensions import db
    from safehome.services import SYSTEM, demo, users

    local = None
    if role == "perpetrator_service":
        local = "perpetrator-other"
        users.create_user(db.session, SYSTEM, email=f"{local}@{demo.DEMO_DOMAIN}", name="Another service",
                          role=role, password=demo.DEMO_PASSWORD)
        db.session.commit()
    # The Bearer token is only ever refused here, so its "last used" write is always rolled back
    # and every request runs the same statements for it.
    return world.signed_in(role, local), world.bearer(role, local), world.user(local or DEMO_LOGIN[role])


def _answer(world, page, headers, token, method: str, url: str, path: str = ""):
    """(status, body with its CSRF tokens blanked, statements run) for one request to ``url`` (of rule ``path``)."""
    from safehome.extensions import db

    if not url.startswith("/api/"):
        page.get("/no/such/page").close()  # shows (and so clears) any message an earlier request left to flash
    with counting(db.engine) as statements:
        if url.startswith("/api/"):
            response = world.client().open(url, method=method, headers=headers,
                                           json=BODIES.get((method, path), {}) if method != "GET" else None)
        else:
            response = page.open(url, method=method, data={"csrf_token": token} if method != "GET" else None)
    body = _CSRF.sub(r'\1""', response.get_data(as_text=True))
    response.close()
    return response.status_code, body, len(statements)


@pytest.mark.parametrize("role", ROLES)
def test_missing_and_out_of_scope_records_get_one_404(populated, role):
    from safehome.extensions import db

    world = populated
    page, headers, user = _signed_in(world, role)
    token = csrf_token_from(page.get("/dashboard").get_data(as_text=True))
    out_of_scope = _out_of_scope(world, role, user)
    # What a URL that matches nothing answers: every record's 404 must look exactly like it.
    no_page = _answer(world, page, headers, token, "GET", "/no/such/page")
    no_api = _answer(world, page, headers, token, "GET", "/api/v1/no/such/thing")
    assert no_page[0] == no_api[0] == 404
    rules = {rule.rule: rule for rule in world.app.url_map.iter_rules()}
    wrong, probed = [], 0
    for (method, path), entry in sorted(ACCESS.items()):
        if role not in allowed(entry):
            continue
        canonical = no_api if path.startswith("/api/") else no_page
        for arg in _ID_ARG.findall(path):
            model = _model(path, arg)
            assert db.session.get(model, MISSING) is None
            missing = _answer(world, page, headers, token, method, url_for_rule(world.app, rules[path], {arg: MISSING}),
                              path)
            if method == "GET" and missing[0] != 404:
                wrong.append(f"{method} {path} ({arg} missing): {missing[0]}, expected 404")
            elif missing[0] == 404 and missing[1] != canonical[1]:
                wrong.append(f"{method} {path} ({arg} missing): a 404 unlike a URL that matches nothing")
            if model not in out_of_scope or path.startswith("/admin/"):  # an administrator's pages see every user
                continue
            other = _answer(world, page, headers, token, method,
                            url_for_rule(world.app, rules[path], {arg: out_of_scope[model]}), path)
            probed += 1
            if other[0] != 404:
                wrong.append(f"{method} {path} ({arg} out of scope): {other[0]}, expected 404: {other[1][:300]}")
            elif other[1:] != missing[1:]:
                wrong.append(f"{method} {path} ({arg}): out of scope ran {other[2]} statements, missing "
                             f"{missing[2]}; bodies {'differ' if other[1] != missing[1] else 'equal'}")
    assert probed, f"nothing out of {role}'s scope was probed"
    assert wrong == [], "\n".join(wrong)


def test_a_journey_button_on_a_missing_record_gets_the_one_404(populated):
    """The journey pages' buttons show a service's refusal as a message; a missing record is the 404 page instead."""
    world = populated
    page, headers, _ = _signed_in(world, "housing_worker")
    token = csrf_token_from(page.get("/dashboard").get_data(as_text=True))
    no_page = _answer(world, page, headers, token, "GET", "/no/such/page")
    withdraw = _answer(world, page, headers, token, "POST", f"/housing-options/{MISSING}/withdraw")
    assert withdraw[:2] == no_page[:2]
