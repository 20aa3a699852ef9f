"""Segregation is the feature: the perpetrator service reaches nothing but its own requests, and learns nothing of the victim.

A victim is seeded with a unique marker in every field (names, address, postcode, places
to avoid and stay near, referral agency and contact, assessment notes), with coordinates
written out in several formats, placed in a refuge whose unit, site and address carry
markers too, with record ids chosen to be unmistakable. The perpetrator service then
files a request with the victim's reference, a manager matches it and its client moves
in, and the perpetrator service (signed in, and with an API token) calls every page and
API operation of the app, from the URL map and from the OpenAPI document, with every
kind of id filled in. Everything outside its own requests must answer 403 or 404, and
no body or header may carry any marker.
"""
from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta, timezone

import pytest
from geopy.distance import geodesic
from sqlalchemy import select

from safehome import permissions
from safehome.codes import (AssessmentAnswer, CaseStatus, Gender, PlacementSource, PlacementState, ReferralSource,
                            SiteKind, UnitStatus, UnitType)
from safehome.extensions import api as smorest_api
from safehome.models import (Assessment, Household, MatchRun, Member, Placement, Provider, Referral, Site, Unit,
                             User)
from safehome.services import Actor, perpetrator
from tests.helpers import csrf_token_from
from tests.placement_fixtures import *  # noqa: F401,F403
from tests.placement_fixtures import TODAY, years_ago

VICTIM_ID = 987_654
OTHER_VICTIM_ID = 987_321
REFUGE_UNIT_ID = 876_543
REFUGE_SITE_ID = 876_001
REFUGE_PROVIDER_ID = 876_002
PLACEMENT_ID = 765_432
REFERENCE = "FVS-QZV7741"
OTHER_REFERENCE = "FVS-QZV9902"
HOME = (52.61234, -1.05678)
SCHOOL = (52.54321, -1.23456)
REFUGE = (52.43219, -0.87654)
PERPETRATOR_UNIT = (52.9548, -1.1581)  # Nottingham

TEXT_MARKERS = [
    "Qzvname Lead", "Qzvname Child", "Qzvaddr Line One", "Qzvaddr Line Two", "Qzvtown", "QZ9 9QZ",
    "Qzvavoid Label", "Qzvprefer School", "Qzvagency", "Qzvcontact 07000", "Qzvnotes assessment",
    "Qzvrefuge Room", "Qzvrefuge Site", "Qzvrefuge Street", "Qzvrefuge Town", "QZ8 8QZ", "Qzvprovider",
    "Qzvother Lead", OTHER_REFERENCE,
]
ID_MARKERS = [str(VICTIM_ID), str(OTHER_VICTIM_ID), str(REFUGE_UNIT_ID), str(REFUGE_SITE_ID), str(PLACEMENT_ID)]


def _coordinate_markers() -> list[str]:
    """Each coordinate as text in the forms a leak could take: full, rounded, without its sign."""
    found = []
    for value in (*HOME, *SCHOOL, *REFUGE):
        for digits in (5, 4, 3):
            text = f"{value:.{digits}f}"
            found += [text, text.lstrip("-")]
    return sorted(set(found))


MARKERS = TEXT_MARKERS + ID_MARKERS + _coordinate_markers()


def _seed_victims(db) -> None:
    """The victim (every field marked), another victim, and the refuge the victim is placed in now."""
    now = datetime.now(timezone.utc)
    db.session.add(Provider(id=REFUGE_PROVIDER_ID, name="Qzvprovider Women's Aid"))
    db.session.add(Site(id=REFUGE_SITE_ID, provider_id=REFUGE_PROVIDER_ID, name="Qzvrefuge Site", area="Leicester",
                        address={"line1": "Qzvrefuge Street", "town": "Qzvrefuge Town", "postcode": "QZ8 8QZ"},
                        location={"lat": REFUGE[0], "lon": REFUGE[1]}))
    db.session.add(Unit(id=REFUGE_UNIT_ID, site_id=REFUGE_SITE_ID, name="Qzvrefuge Room", type=UnitType.REFUGE,
                        bedspaces=3, lead_genders=["female"], status=UnitStatus.OCCUPIED))
    for household_id, reference, lead in ((VICTIM_ID, REFERENCE, "Qzvname Lead"),
                                          (OTHER_VICTIM_ID, OTHER_REFERENCE, "Qzvother Lead")):
        household = Household(
            id=household_id, reference=reference, status=CaseStatus.OPEN, pets=[], needs=[], languages=[],
            address={"line1": "Qzvaddr Line One", "line2": "Qzvaddr Line Two", "town": "Qzvtown",
                     "postcode": "QZ9 9QZ"},
            home_location={"lat": HOME[0], "lon": HOME[1]},
            avoid=[{"label": "Qzvavoid Label", "lat": 52.7, "lon": -1.0, "km": 5}],
            prefer=[{"label": "Qzvprefer School", "lat": SCHOOL[0], "lon": SCHOOL[1], "km": 3, "weight": 3}])
        household.set_risk(18, True)
        household.members = [Member(position=0, name=lead, birth_date=years_ago(31), gender=Gender.FEMALE),
                             Member(position=1, name="Qzvname Child", birth_date=years_ago(7), gender=Gender.MALE)]
        household.referrals = [Referral(reference=reference, source=ReferralSource.FAMILY_VICTIM_SURVIVOR,
                                        received_at=now - timedelta(days=20), referrer_agency="Qzvagency",
                                        referrer_contact="Qzvcontact 07000")]
        household.assessments = [Assessment(safe_to_stay=AssessmentAnswer.YES,
                                            perpetrator_lives_there=AssessmentAnswer.YES,
                                            sanctuary_suitable=AssessmentAnswer.YES,
                                            perpetrator_would_leave=AssessmentAnswer.NO,
                                            options_considered=["perpetrator_leaves"], notes="Qzvnotes assessment")]
        db.session.add(household)
    db.session.flush()
    db.session.add(Placement(id=PLACEMENT_ID, household_id=VICTIM_ID, unit_id=REFUGE_UNIT_ID,
                             state=PlacementState.MOVED_IN, source=PlacementSource.HAND, moved_in_on=TODAY))
    db.session.commit()


@pytest.fixture
def world(db, make_user, make_site, make_unit):
    """The seeded victims; the perpetrator service's own request, matched and moved in; another service's request."""
    _seed_victims(db)
    perp, other, manager = make_user("perpetrator_service"), make_user("perpetrator_service"), make_user("manager")
    site = make_site(lat=PERPETRATOR_UNIT[0], lon=PERPETRATOR_UNIT[1], area="Nottingham", kind=SiteKind.PERPETRATOR)
    unit = make_unit(site=site, type=UnitType.PERPETRATOR, bedspaces=1, lead_genders=["male"])
    data = {"victim_reference": REFERENCE, "birth_date": years_ago(40), "gender": "male", "needed_from": TODAY}
    limits = perpetrator.NO_LIMITS
    own = perpetrator.file_request(db.session, Actor(perp), data, limits=limits)
    theirs = perpetrator.file_request(db.session, Actor(other), data, limits=limits)
    waiting = perpetrator.file_request(db.session, Actor(perp), {**data, "victim_reference": "FVS-NOCASE1"},
                                       limits=limits)
    perpetrator.match(db.session, Actor(manager), own.id, unit.id)
    perpetrator.accept(db.session, Actor(perp), own.id)
    perpetrator.move_in(db.session, Actor(manager), own.id, TODAY)
    run = MatchRun(started_by_id=manager.id)
    db.session.add(run)
    db.session.commit()
    return {"perp": perp, "own": own.id, "waiting": waiting.id, "theirs": theirs.id, "unit": unit.id,
            "site": site.id, "provider": site.provider_id, "run": run.id, "manager": manager.id}


def test_the_perpetrator_moved_in_at_least_the_required_distance_from_every_victim_place(db, world):
    request = db.session.get(perpetrator.PerpetratorRequest, world["own"])
    assert request.state.value == "moved_in"
    for place in (HOME, SCHOOL, REFUGE):
        assert geodesic(place, PERPETRATOR_UNIT).km >= perpetrator.DEFAULT_SAFE_KM


def _candidates(world) -> dict[str, list]:
    """Values for each URL parameter: the victims' records, units of both kinds, others' and one's own."""
    return {
        "household_id": [VICTIM_ID, OTHER_VICTIM_ID], "unit_id": [REFUGE_UNIT_ID, world["unit"]],
        "site_id": [REFUGE_SITE_ID, world["site"]], "provider_id": [REFUGE_PROVIDER_ID, world["provider"]],
        "placement_id": [PLACEMENT_ID], "request_id": [world["own"], world["waiting"], world["theirs"]],
        "run_id": [world["run"]], "user_id": [world["manager"]], "token_id": [999_999], "plan_id": [1],
        "install_id": [1], "block_id": [1], "year": [2025], "quarter": [1], "key": ["perpetrators_found"],
        "fmt": ["csv"], "chart": ["outputs"],
    }


FORM_BODY = {"reason": "x", "unit_id": "1", "note": "x", "safe_km": "50", "moved_in_on": "2025-01-01",
             "moved_out_on": "2025-01-02", "name": "x", "status": "available"}
JSON_BODY = {"unit_id": 1, "household_id": VICTIM_ID, "note": "x", "reason": "x"}
OWN_PERMISSIONS = {permissions.PUBLIC, permissions.PUBLIC_IF_NO_METHOD, permissions.Permission.DASHBOARD,
                   permissions.Permission.OWN_ACCOUNT, permissions.Permission.PERP_REQUEST}
NEVER_CALLED = {"static", "auth.logout"}  # a file server; signing out would end the walk (it is called last)


def _scan(response, where: str, leaks: list) -> None:
    text = response.get_data(as_text=True) + "\n" + str(response.headers)
    for marker in MARKERS:
        if marker in text:
            leaks.append((where, response.status_code, marker))


def _calls(app, world):
    """(method, url, endpoint) for every rule of the URL map and every value of its parameters."""
    values = _candidates(world)
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NEVER_CALLED:
            continue
        names = sorted(rule.arguments)
        for combo in itertools.product(*(values[name] for name in names)):
            params = dict(zip(names, combo))
            with app.test_request_context():
                url = app.url_map.bind("localhost").build(rule.endpoint, params)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, url, rule.endpoint, params


def _expected_outside(app, endpoint: str, method: str, params: dict, world) -> bool:
    """True when this call is outside the perpetrator service's own things (so 403 or 404 is required)."""
    with app.test_request_context():
        needed = permissions.permission_of(endpoint, method)
    if needed not in OWN_PERMISSIONS:
        return True
    return params.get("request_id") == world["theirs"]


def test_every_page_and_api_operation_is_closed_or_clean(app, client, login, token_for, world):
    login(world["perp"])
    token_client = app.test_client()
    headers = token_for(world["perp"])
    csrf = csrf_token_from(client.get("/dashboard").get_data(as_text=True))
    leaks, wrong = [], []
    calls = list(_calls(app, world))
    assert len(calls) > 150
    # Reading first (so the pages after the match are seen as they are), then every change.
    for method, url, endpoint, params in sorted(calls, key=lambda c: c[0] != "GET"):
        outside = _expected_outside(app, endpoint, method, params, world)
        answers = []
        if method == "GET":
            answers.append(("session", client.get(url)))
        elif url.startswith("/api/"):
            answers.append(("session", client.open(url, method=method, json=JSON_BODY,
                                                   headers={"X-CSRFToken": csrf})))
        else:
            answers.append(("session", client.open(url, method=method, data={**FORM_BODY, "csrf_token": csrf})))
        if url.startswith("/api/"):
            answers.append(("token", token_client.open(url, method=method, headers=headers,
                                                       **({} if method == "GET" else {"json": JSON_BODY}))))
        for how, response in answers:
            _scan(response, f"{how} {method} {url}", leaks)
            if response.status_code in (301, 302, 303) and "/login" in response.headers.get("Location", ""):
                wrong.append((how, method, url, response.status_code, "sent to sign in"))
            elif outside and response.status_code not in (403, 404):
                wrong.append((how, method, url, response.status_code))
    assert leaks == []
    assert wrong == []
    # the own pages were really seen, after the match
    page = client.get(f"/perpetrator/requests/{world['own']}")
    assert page.status_code == 200 and "Moved in" in page.get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": csrf}).status_code in (302, 303)


def test_every_operation_of_the_openapi_document_is_closed_or_clean(app, token_for, world):
    token_client = app.test_client()
    headers = token_for(world["perp"])
    document = token_client.get("/api/openapi.json", headers=headers)
    leaks = []
    _scan(document, "openapi.json", leaks)
    spec = document.get_json()
    assert spec["paths"] and any("perpetrator-requests" in path for path in spec["paths"])
    values = _candidates(world)
    own_paths = {"/api/v1/me", "/api/v1/tokens", "/api/v1/tokens/{token_id}"}
    wrong = []
    for path, operations in spec["paths"].items():
        names = sorted(part[1:-1] for part in path.split("/") if part.startswith("{"))
        for combo in itertools.product(*(values[name] for name in names)):
            params = dict(zip(names, combo))
            url = path.format(**params)
            for method in operations:
                if method not in ("get", "post", "put", "patch", "delete"):
                    continue
                response = token_client.open(url, method=method.upper(), headers=headers,
                                             **({} if method == "get" else {"json": JSON_BODY}))
                _scan(response, f"{method} {url}", leaks)
                own = path in own_paths or (path.startswith("/api/v1/perpetrator-requests")
                                            and params.get("request_id") != world["theirs"])
                if not own and response.status_code not in (403, 404):
                    wrong.append((method, url, response.status_code))
    assert leaks == []
    assert wrong == []


def test_the_perpetrator_services_own_views_after_the_match_carry_no_marker(app, client, login, token_for, world):
    login(world["perp"])
    headers = token_for(world["perp"])
    token_client = app.test_client()
    seen = [client.get("/dashboard"), client.get("/perpetrator/requests"),
            client.get(f"/perpetrator/requests/{world['own']}"),
            client.get(f"/perpetrator/requests/{world['own']}/address"),
            token_client.get("/api/v1/perpetrator-requests", headers=headers),
            token_client.get(f"/api/v1/perpetrator-requests/{world['own']}", headers=headers),
            token_client.get(f"/api/v1/perpetrator-requests/{world['own']}/unit-address", headers=headers),
            client.get("/no-such-page"), client.get("/api/docs")]
    assert [r.status_code for r in seen] == [200, 200, 200, 200, 200, 200, 200, 404, 200]
    leaks = []
    for response in seen:
        _scan(response, response.request.path, leaks)
    assert leaks == []
    body = json.loads(seen[5].get_data(as_text=True))
    assert body["state"] == "moved_in" and body["unit"]["area"] == "Nottingham"
    assert not {"household_id", "safe_km", "stop_reason", "unit_id", "matched_by_id"} & set(body)
    # the dashboard counts only its own requests (two open: the moved-in one and the one waiting)
    assert "My open requests" in seen[0].get_data(as_text=True)
    assert "Open cases" not in seen[0].get_data(as_text=True)


def test_the_markers_are_really_in_the_database(db, world):
    """A scan that found nothing only means something if the markers are there to find."""
    household = db.session.scalar(select(Household).where(Household.id == VICTIM_ID))
    assert household.members[0].name == "Qzvname Lead"
    assert db.session.get(Unit, REFUGE_UNIT_ID).name == "Qzvrefuge Room"
    assert db.session.get(perpetrator.PerpetratorRequest, world["own"]).household_id == VICTIM_ID
    # The request is kept from the home the perpetrator knows; the school (not marked known) and the refuge
    # are secret: protected for every request alike, never by this one (issue 15).
    places = perpetrator.victim_places(db.session, db.session.get(perpetrator.PerpetratorRequest, world["own"]))
    assert {(p["lat"], p["lon"]) for p in places} == {HOME}
    assert db.session.get(User, world["perp"].id).role.value == "perpetrator_service"
