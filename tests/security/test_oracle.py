"""The perpetrator side learns nothing from outcomes: a linked and an unlinked request behave the same (issue 15).

A perpetrator-service worker files two identical requests, one under the reference of a victim
placed in a refuge, one under a reference that links to nothing, and follows them through the
API. Whatever the victim's secret places (the refuge, a new school), the two get the same
outcome from a batch run, the same answers in every state (pages and API), and the server runs
the same SQL for both.
"""
from __future__ import annotations

import re

import pytest
from geopy.distance import distance as along
from geopy.distance import geodesic

from safehome.codes import SiteKind
from safehome.extensions import db as db_extension
from safehome.models import User
from safehome.services import Actor, perpetrator, placements
from tests.helpers import csrf_token_from
from tests.placement_fixtures import *  # noqa: F401,F403
from tests.placement_fixtures import LEICESTER, TODAY, years_ago
from tests.test_query_counts import counting

LINKED = "FVS-ORC001"
UNLINKED = "FVS-ORC999"
REFUGE = (52.40, -0.80)  # where the victim is placed: secret


def _from_refuge(km: float, bearing: float) -> tuple[float, float]:
    point = along(kilometers=km).destination(REFUGE, bearing=bearing)
    return point.latitude, point.longitude


@pytest.fixture
def config_extra():
    return {"MATCH_RUN_INLINE": True, "MATCH_TIME_LIMIT": 10}


@pytest.fixture
def placed_victim(db, make_user, make_household, make_unit, make_site):
    """The victim's case, moved into a refuge far from the home they shared with the perpetrator."""
    worker = make_user("housing_worker")
    victim = make_household(reference=LINKED, home_location={"lat": LEICESTER[0], "lon": LEICESTER[1]},
                            prefer=[{"label": "new school", "lat": REFUGE[0] + 0.02, "lon": REFUGE[1], "km": 3,
                                     "weight": 3}])
    refuge = make_unit(site=make_site(lat=REFUGE[0], lon=REFUGE[1]))
    actor = Actor(db.session.get(User, worker.id))
    placement = placements.make_offer(db.session, actor, victim.id, refuge.id)
    placements.accept(db.session, actor, placement.id)
    placements.move_in(db.session, actor, placement.id, TODAY)
    db.session.commit()
    return victim


@pytest.fixture
def perp_units(make_unit, make_site):
    """Two free men's perpetrator units 7 km from the refuge: past the inventory's segregation distance
    (5 km from any victim site), inside the request's safe distance (10 km), far from the shared home."""
    units = []
    for bearing in (90, 45):
        point = _from_refuge(7, bearing)
        assert 5 < geodesic(point, REFUGE).km < 10 and geodesic(point, LEICESTER).km > 20
        units.append(make_unit(site=make_site(lat=point[0], lon=point[1], kind=SiteKind.PERPETRATOR),
                               type="perpetrator", bedspaces=1, lead_genders=["male"]))
    return units


def _request_json(reference: str) -> dict:
    return {"victim_reference": reference, "birth_date": years_ago(41).isoformat(), "gender": "male",
            "marac": True, "mappa_level": "2", "needed_from": TODAY.isoformat()}


def test_a_batch_run_gives_the_linked_and_the_unlinked_request_the_same_outcome(client, db, make_user, token_for,
                                                                               placed_victim, perp_units):
    perp, manager = token_for(make_user("perpetrator_service")), token_for(make_user("manager"))
    filed = {}
    for reference in (LINKED, UNLINKED):
        answer = client.post("/api/v1/perpetrator-requests", headers=perp, json=_request_json(reference))
        assert answer.status_code == 201, answer.get_json()
        filed[reference] = answer.get_json()["id"]
    run = client.post("/api/v1/match-runs", headers=manager).get_json()
    run = client.get(f"/api/v1/match-runs/{run['id']}", headers=manager).get_json()
    assert run["status"] == "done"
    # Neither is held back by the refuge or the new school: the victim's secret places.
    assert sorted(p["request_id"] for p in run["perpetrator_proposals"]) == sorted(filed.values())
    assert run["perpetrator_unplaced"] == {}
    approved = client.post(f"/api/v1/match-runs/{run['id']}/approve", headers=manager, json={})
    assert approved.status_code == 200 and approved.get_json()["refused_requests"] == []
    seen = {reference: client.get(f"/api/v1/perpetrator-requests/{request_id}", headers=perp).get_json()
            for reference, request_id in filed.items()}
    assert seen[LINKED]["state"] == seen[UNLINKED]["state"] == "matched"
    assert seen[LINKED]["unit"]["type"] == seen[UNLINKED]["unit"]["type"] == "perpetrator"


# Every answer the perpetrator side gets, linked or not -------------------------------------------------

def _normalise(text: str, request_ids: list[int], reference: str) -> str:
    """An answer with what differs by construction (the requests' ids, the reference, times, CSRF tokens) taken out."""
    text = text.replace(reference, "REFERENCE")
    for n, request_id in enumerate(request_ids):
        text = re.sub(rf'(/requests/|[Rr]equest |"id": ?|"request_id": ?){request_id}\b', rf"\g<1>ID{n}", text)
    text = re.sub(r'(csrf_token"[^>]*value="|csrf-token" content=")[^"]+', r"\1TOKEN", text)
    return re.sub(r"\d{2} \w{3} \d{4}( \d{2}:\d{2})?|\d{4}-\d{2}-\d{2}(T[\d:.+]+)?", "TIME", text)


class PerpetratorSide:
    """One perpetrator-service worker's request, followed as that worker sees it: every page and API answer,
    normalised, with the number of SQL statements the server ran for it."""

    def __init__(self, app, login, token_for, worker, reference: str):
        self.pages, self.api = app.test_client(), app.test_client()  # a token request drops the cookie session
        login(worker, the_client=self.pages)
        self.headers = token_for(worker)
        self.reference, self.request_id, self.unit_id = reference, 0, None  # set when the request is filed
        self.request_ids: list[int] = []
        self.raw: list[tuple] = []

    def call(self, method: str, url: str, **kwargs):
        client = self.api if url.startswith("/api/") else self.pages
        if url.startswith("/api/"):
            kwargs["headers"] = self.headers
        elif method == "POST":
            token = csrf_token_from(self.pages.get("/perpetrator/requests").get_data(as_text=True))
            kwargs["data"] = {**kwargs.get("data", {}), "csrf_token": token}
        with counting(db_extension.engine) as statements:
            answer = client.open(url.replace("{id}", str(self.request_id)), method=method, **kwargs)
        if (method, url, answer.status_code) == ("POST", "/api/v1/perpetrator-requests", 201):
            self.request_id = answer.get_json()["id"]  # the request followed from now on
            self.request_ids.append(self.request_id)
        self.raw.append((method, url, answer.status_code, len(statements),
                         answer.get_data(as_text=True) + answer.headers.get("Location", "")))
        return answer

    @property
    def seen(self) -> list[tuple]:
        """(method, URL, status, SQL statements, normalised answer) of every call so far."""
        return [(*call[:4], _normalise(call[4], self.request_ids, self.reference)) for call in self.raw]

    def look(self) -> None:
        """Every page and API answer about the request, as it stands."""
        for url in ("/dashboard", "/perpetrator/requests", "/perpetrator/requests/{id}",
                    "/perpetrator/requests/{id}/address", "/api/v1/perpetrator-requests",
                    "/api/v1/perpetrator-requests/{id}", "/api/v1/perpetrator-requests/{id}/unit-address"):
            self.call("GET", url)

    def try_every_move(self) -> None:
        """The moves the worker may try, refused or not, through the API (pages answer with a redirect)."""
        for move in ("withdraw", "accept"):
            self.call("POST", f"/api/v1/perpetrator-requests/{{id}}/{move}")


@pytest.fixture
def two_sides(app, db, login, token_for, make_user, placed_victim, make_unit, make_site):
    """The same request filed twice by two workers, under the linked and the unlinked reference,
    each with a perpetrator unit of the same name, type and area for the manager to match it to."""
    sides = {}
    for reference, bearing in ((LINKED, 90), (UNLINKED, 45)):
        side = PerpetratorSide(app, login, token_for, make_user("perpetrator_service", name="Perp worker"),
                               reference)
        point = _from_refuge(7, bearing)
        unit = make_unit(site=make_site(lat=point[0], lon=point[1], kind=SiteKind.PERPETRATOR),
                         type="perpetrator", bedspaces=1, lead_genders=["male"])
        unit.name = "Flat 1"
        db.session.commit()
        side.unit_id = unit.id
        filed = side.call("POST", "/api/v1/perpetrator-requests", json=_request_json(reference))
        assert filed.status_code == 201, filed.get_json()
        sides[reference] = side
    return sides


def _manager(db, make_user) -> Actor:
    return Actor(db.session.get(User, make_user("manager").id))


def _same(linked: PerpetratorSide, unlinked: PerpetratorSide) -> None:
    """Every call answered alike: status, the SQL statements the server ran (the same work, so the same
    timing, whether or not the reference links), and the answer itself."""
    assert [call[:3] for call in linked.seen] == [call[:3] for call in unlinked.seen]
    assert [call[3] for call in linked.seen] == [call[3] for call in unlinked.seen], "SQL statements differ"
    assert [call[4] for call in linked.seen] == [call[4] for call in unlinked.seen]


def test_every_perpetrator_side_answer_is_the_same_linked_or_not(db, make_user, two_sides, placed_victim):
    linked, unlinked = two_sides[LINKED], two_sides[UNLINKED]
    manager = _manager(db, make_user)
    worker = Actor(db.session.get(User, make_user("housing_worker").id))

    def close(side):
        """The victim's worker flags the linked request unsafe; a manager closes the unlinked one."""
        if side is linked:
            return perpetrator.flag_unsafe(db.session, worker, side.request_id, "the victim's new school is near")
        return perpetrator.close(db.session, manager, side.request_id, "no_suitable_unit", "none free")

    steps = [lambda side: None,  # filed
             lambda side: perpetrator.match(db.session, manager, side.request_id, side.unit_id),
             lambda side: side.call("POST", "/perpetrator/requests/{id}/accept"),
             lambda side: perpetrator.move_in(db.session, manager, side.request_id, TODAY),
             close]
    for step in steps:
        for side in (linked, unlinked):
            step(side)
            db.session.commit()
            side.look()
    for side in (linked, unlinked):
        side.try_every_move()
    assert db.session.get(perpetrator.PerpetratorRequest, linked.request_id).household_id == placed_victim.id
    detail = linked.seen[-7]
    assert detail[:3] == ("GET", "/perpetrator/requests/{id}", 200)
    assert "Closed by the Safe Home service" in detail[4] and "school" not in detail[4]
    assert [call[2] for call in linked.seen[-3:]] == [404, 409, 409]  # no address; no move once closed
    # A second request each, withdrawn; then a filing refused for a mistake, over the API and the form.
    for side in (linked, unlinked):
        side.call("POST", "/api/v1/perpetrator-requests", json=_request_json(side.reference))
        side.call("POST", "/perpetrator/requests/{id}/withdraw")
        side.look()
        side.try_every_move()
        side.call("POST", "/api/v1/perpetrator-requests", json={**_request_json(side.reference), "gender": "x"})
        side.call("POST", "/perpetrator/requests/new", data={"victim_reference": side.reference, "gender": "male"})
    assert [call[2] for call in linked.seen[-13:]] == [201, 302, 200, 200, 200, 404, 200, 200, 404, 409, 409,
                                                       422, 422]
    _same(linked, unlinked)
