"""Perpetrator accommodation: the state machine, scoping, the distance kept both ways, flags, and the count."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from geopy.distance import geodesic
from sqlalchemy import select

from safehome.codes import PerpetratorState, PlacementState, SiteKind, UnitStatus, UnitType
from safehome.errors import NotFound, TransitionError, ValidationError
from safehome.models import AuditEvent, PerpetratorRequest, Placement, Unit, User
from safehome.services import Actor, matching, perpetrator, placements
from tests.helpers import csrf_token_from
from tests.placement_fixtures import *  # noqa: F401,F403
from tests.placement_fixtures import LEICESTER, TODAY, years_ago

NEAR = (52.6550, -1.1398)    # 2 km from the victim's home
FAR = (52.7721, -1.2062)     # 15.7 km from it
SCHOOL = (52.5000, -1.3000)  # a place the victim goes, 18.7 km from home
NEAR_SCHOOL = (52.5100, -1.3000)
VICTIM_REFERENCE = "FVS-77001"


def request_data(reference: str = VICTIM_REFERENCE, **changes) -> dict:
    data = {"victim_reference": reference, "birth_date": years_ago(38), "gender": "male", "needs": [], "pets": [],
            "languages": [], "marac": True, "under_probation": True, "mappa_level": "2",
            "court_conditions": "No contact; not to enter the exclusion zone", "needed_from": TODAY}
    data.update(changes)
    return data


@pytest.fixture
def people(make_user):
    return {"perp": make_user("perpetrator_service"), "other_perp": make_user("perpetrator_service"),
            "manager": make_user("manager"), "worker": make_user("housing_worker")}


def act(db, user) -> Actor:
    return Actor(db.session.get(User, user.id))


@pytest.fixture
def victim(make_household):
    """The victim's open case: home in Leicester, a school further out."""
    return make_household(reference=VICTIM_REFERENCE, home_location={"lat": LEICESTER[0], "lon": LEICESTER[1]},
                          prefer=[{"label": "school", "lat": SCHOOL[0], "lon": SCHOOL[1], "km": 3, "weight": 3}])


@pytest.fixture
def perp_unit(make_unit, make_site):
    """``perp_unit(NEAR)``: a free men's perpetrator unit at that point."""

    def make(point, **fields):
        values = {"type": UnitType.PERPETRATOR, "bedspaces": 1, "lead_genders": ["male"]}
        values.update(fields)
        return make_unit(site=make_site(lat=point[0], lon=point[1], kind=SiteKind.PERPETRATOR), **values)

    return make


def file(db, user, **changes) -> PerpetratorRequest:
    request = perpetrator.file_request(db.session, act(db, user), request_data(**changes))
    db.session.commit()
    return request


def matched(db, people, unit, **changes) -> PerpetratorRequest:
    request = file(db, people["perp"], **changes)
    perpetrator.match(db.session, act(db, people["manager"]), request.id, unit.id)
    db.session.commit()
    return request


# The state machine -----------------------------------------------------------------------------

def test_the_whole_life_of_a_request_moves_the_unit_status_along(db, people, victim, perp_unit):
    unit = perp_unit(FAR)
    request = matched(db, people, unit)
    assert request.state == PerpetratorState.MATCHED
    assert db.session.get(Unit, unit.id).status == UnitStatus.OFFERED
    perpetrator.accept(db.session, act(db, people["perp"]), request.id)
    perpetrator.move_in(db.session, act(db, people["manager"]), request.id, TODAY)
    db.session.commit()
    assert db.session.get(Unit, unit.id).status == UnitStatus.OCCUPIED
    perpetrator.move_out(db.session, act(db, people["manager"]), request.id, TODAY, note="moved to family")
    db.session.commit()
    assert db.session.get(Unit, unit.id).status == UnitStatus.VOID
    events = [(e.from_state, e.to_state) for e in db.session.get(PerpetratorRequest, request.id).events]
    assert events == [(None, "filed"), ("filed", "matched"), ("matched", "accepted"), ("accepted", "moved_in"),
                      ("moved_in", "moved_out")]


@pytest.mark.parametrize("path, illegal", [
    ((), "accepted"),                                  # filed -> accepted: not matched yet
    ((), "moved_in"),
    (("matched",), "moved_in"),                        # not accepted yet
    (("matched", "accepted", "moved_in"), "withdrawn"),  # too late to withdraw
    (("withdrawn",), "stopped"),                       # finished
    (("matched", "accepted", "moved_in", "moved_out"), "stopped"),
])
def test_illegal_moves_raise_transition_error(db, people, victim, perp_unit, path, illegal):
    unit = perp_unit(FAR)
    request = file(db, people["perp"])
    manager, perp, worker = act(db, people["manager"]), act(db, people["perp"]), act(db, people["worker"])
    steps = {"matched": lambda: perpetrator.match(db.session, manager, request.id, unit.id),
             "accepted": lambda: perpetrator.accept(db.session, perp, request.id),
             "moved_in": lambda: perpetrator.move_in(db.session, manager, request.id, TODAY),
             "moved_out": lambda: perpetrator.move_out(db.session, manager, request.id, TODAY),
             "withdrawn": lambda: perpetrator.withdraw(db.session, perp, request.id),
             "stopped": lambda: perpetrator.flag_unsafe(db.session, worker, request.id, "unsafe")}
    for step in path:
        steps[step]()
    db.session.commit()
    before = db.session.get(PerpetratorRequest, request.id).state
    with pytest.raises(TransitionError):
        steps[illegal]()
    db.session.rollback()
    assert db.session.get(PerpetratorRequest, request.id).state == before


def test_every_state_has_its_moves_listed():
    assert set(perpetrator.TRANSITIONS) == set(PerpetratorState)
    for state in (PerpetratorState.MOVED_OUT, PerpetratorState.STOPPED, PerpetratorState.WITHDRAWN):
        assert perpetrator.TRANSITIONS[state] == frozenset()


def test_filing_names_every_problem_at_once(db, people):
    with pytest.raises(ValidationError) as caught:
        perpetrator.file_request(db.session, act(db, people["perp"]), request_data(
            reference="not a reference", birth_date=TODAY - timedelta(days=365 * 10), gender="x", mappa_level="9",
            needs=["jetpack"], needed_from=None, exclusion_zones=[{"type": "Point", "coordinates": [1, 2]}],
            colour="blue"))
    fields = {p.field for p in caught.value.problems}
    assert {"victim_reference", "birth_date", "gender", "mappa_level", "needs/0", "needed_from",
            "exclusion_zones/0", "colour"} <= fields
    assert db.session.scalar(select(PerpetratorRequest.id)) is None


def test_two_live_requests_cannot_hold_one_unit(db, people, victim, perp_unit):
    from sqlalchemy.exc import IntegrityError

    unit = perp_unit(FAR)
    first = matched(db, people, unit)
    second = file(db, people["perp"])
    with pytest.raises(Exception):  # the unit is not free: Conflict from the service
        perpetrator.match(db.session, act(db, people["manager"]), second.id, unit.id)
    db.session.rollback()
    # and the database refuses it even if the status check were bypassed
    row = db.session.get(PerpetratorRequest, second.id)
    row.unit_id, row.state = unit.id, PerpetratorState.MATCHED
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(PerpetratorRequest, first.id).unit_id == unit.id


# Scoping ---------------------------------------------------------------------------------------

def test_another_services_request_is_not_found(client, login, token_for, db, people, victim):
    mine = file(db, people["perp"])
    theirs = file(db, people["other_perp"])
    login(people["perp"])
    assert client.get(f"/perpetrator/requests/{mine.id}").status_code == 200
    assert client.get(f"/perpetrator/requests/{theirs.id}").status_code == 404
    headers = token_for(people["perp"])
    assert client.get(f"/api/v1/perpetrator-requests/{theirs.id}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/perpetrator-requests/{theirs.id}/withdraw", headers=headers).status_code == 404
    listed = client.get("/api/v1/perpetrator-requests", headers=headers).get_json()
    assert [r["id"] for r in listed] == [mine.id]
    with pytest.raises(NotFound):
        perpetrator.own_request(db.session, act(db, people["perp"]), theirs.id)


def test_the_perpetrator_service_may_not_reach_the_housing_side(client, token_for, db, people, victim):
    mine = file(db, people["perp"])
    headers = token_for(people["perp"])
    for url in (f"/api/v1/perpetrator-queue/{mine.id}", "/api/v1/perpetrator-queue",
                f"/api/v1/perpetrator-queue/{mine.id}/suggestions", f"/api/v1/households/{victim.id}/perpetrator-requests"):
        assert client.get(url, headers=headers).status_code == 403, url


def _normalise(text: str, request_id: int, reference: str) -> str:
    import re

    text = text.replace(reference, "REFERENCE").replace(f"/{request_id}", "/ID").replace(f"Request {request_id}", "Request ID")
    text = re.sub(r'"id": ?%d' % request_id, '"id": ID', text)
    text = re.sub(r'(csrf_token"[^>]*value="|csrf-token" content=")[^"]+', r"\1TOKEN", text)
    return re.sub(r"\d{2} \w{3} \d{4} \d{2}:\d{2}|\d{4}-\d{2}-\d{2}T[\d:.+]+", "TIME", text)


def test_a_reference_that_links_to_nothing_answers_exactly_like_one_that_links(app, client, login, token_for, db,
                                                                               people, victim):
    login(people["perp"])
    headers = token_for(people["perp"])
    api_client = app.test_client()  # a token request drops the cookie session: keep the two apart
    answers = {}
    for reference in (VICTIM_REFERENCE, "FVS-99999"):
        page = client.get("/perpetrator/requests/new")
        token = csrf_token_from(page.get_data(as_text=True))
        form = {"victim_reference": reference, "birth_date": years_ago(40).isoformat(), "gender": "male",
                "mappa_level": "none", "needed_from": TODAY.isoformat(), "csrf_token": token}
        filed = client.post("/perpetrator/requests/new", data=form)
        assert filed.status_code == 302
        request_id = int(filed.headers["Location"].rsplit("/", 1)[1])
        bad = client.post("/perpetrator/requests/new", data={**form, "gender": ""})
        api = api_client.post("/api/v1/perpetrator-requests", headers=headers, json={
            "victim_reference": reference, "birth_date": years_ago(40).isoformat(), "gender": "male",
            "needed_from": TODAY.isoformat()})
        bad_api = api_client.post("/api/v1/perpetrator-requests", headers=headers, json={
            "victim_reference": reference, "birth_date": "1990-01-01", "gender": "male", "needed_from": "2199-01-01"})
        answers[reference] = [
            (filed.status_code, "", ""),
            (bad.status_code, _normalise(bad.get_data(as_text=True), request_id, reference), ""),
            (api.status_code, _normalise(api.get_data(as_text=True), api.get_json()["id"], reference), ""),
            (bad_api.status_code, _normalise(bad_api.get_data(as_text=True), 0, reference), ""),
            *[(r.status_code, _normalise(r.get_data(as_text=True), request_id, reference), url)
              for url in (f"/perpetrator/requests/{request_id}", f"/api/v1/perpetrator-requests/{request_id}",
                          f"/perpetrator/requests/{request_id}/address")
              for r in [api_client.get(url, headers=headers) if "/api/" in url else client.get(url)]],
        ]
    linked, unlinked = answers[VICTIM_REFERENCE], answers["FVS-99999"]
    assert [a[0] for a in linked] == [302, 422, 201, 422, 200, 200, 404]
    assert [(a[0], a[1]) for a in linked] == [(a[0], a[1]) for a in unlinked]
    # only the server knows the link
    found = {r.victim_reference: r.household_id for r in db.session.scalars(select(PerpetratorRequest))}
    assert found[VICTIM_REFERENCE] == victim.id and found["FVS-99999"] is None


# Safety: the distance, both ways -------------------------------------------------------------------

def test_suggestions_and_matches_keep_the_perpetrator_from_every_victim_place(db, people, victim, perp_unit,
                                                                             make_unit, make_site):
    near_home = perp_unit(NEAR)
    near_school = perp_unit(NEAR_SCHOOL)
    refuge = make_unit(site=make_site(lat=52.40, lon=-0.80))  # where the victim is placed now
    placements.make_offer(db.session, act(db, people["worker"]), victim.id, refuge.id)
    db.session.commit()
    near_refuge = perp_unit((52.41, -0.80))
    women_only = perp_unit(FAR, lead_genders=["female"])
    good = perp_unit((52.9548, -1.1581))
    request = file(db, people["perp"])
    answer = perpetrator.suggest_units(db.session, act(db, people["manager"]), request.id).suggestions
    assert [s.unit.id for s in answer.items] == [good.id]
    assert answer.considered == 5  # perpetrator units only; the refuge was never considered
    for unit in (near_home, near_school, near_refuge, women_only):
        with pytest.raises(ValidationError):
            perpetrator.match(db.session, act(db, people["manager"]), request.id, unit.id)
        db.session.rollback()
    with pytest.raises(ValidationError, match="only a perpetrator unit"):
        perpetrator.match(db.session, act(db, people["manager"]), request.id, refuge.id)
    db.session.rollback()
    perpetrator.match(db.session, act(db, people["manager"]), request.id, good.id)
    db.session.commit()
    assert db.session.get(Unit, good.id).status == UnitStatus.OFFERED
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.record_type == "perpetrator_request",
                                                         AuditEvent.detail == "filed->matched")) is not None


def test_a_raised_distance_rules_out_more(db, people, victim, perp_unit):
    unit = perp_unit(FAR)  # 15.7 km from home
    request = file(db, people["perp"])
    perpetrator.set_safe_km(db.session, act(db, people["worker"]), request.id, 20)
    db.session.commit()
    with pytest.raises(ValidationError, match="Too close"):
        perpetrator.match(db.session, act(db, people["manager"]), request.id, unit.id)
    db.session.rollback()
    with pytest.raises(ValidationError):
        perpetrator.set_safe_km(db.session, act(db, people["worker"]), request.id, 5)  # only raised


def test_the_victims_later_suggestions_and_offers_keep_away_from_the_perpetrators_unit(db, people, perp_unit,
                                                                                      make_household, make_unit,
                                                                                      make_site):
    # The victim has no home point on file (stayed with family): only the perpetrator's unit constrains.
    victim = make_household(reference=VICTIM_REFERENCE)
    unit = perp_unit(FAR)
    matched(db, people, unit)
    close = make_unit(site=make_site(lat=FAR[0] + 0.02, lon=FAR[1]))  # 2.2 km from the perpetrator
    away = make_unit(site=make_site(lat=LEICESTER[0], lon=LEICESTER[1]))
    answer = matching.suggest(db.session, victim)
    assert [s.unit.id for s in answer.items] == [away.id]
    with pytest.raises(ValidationError, match="Too close"):
        placements.make_offer(db.session, act(db, people["worker"]), victim.id, close.id)
    db.session.rollback()
    placement = placements.make_offer(db.session, act(db, people["worker"]), victim.id, away.id)
    assert placement.state == PlacementState.OFFERED
    assert geodesic(FAR, LEICESTER).km >= perpetrator.DEFAULT_SAFE_KM


def test_a_batch_run_for_victims_keeps_them_from_the_perpetrators_unit(db, people, perp_unit, make_household,
                                                                      make_unit, make_site):
    victim = make_household(reference=VICTIM_REFERENCE)
    matched(db, people, perp_unit(FAR))
    make_unit(site=make_site(lat=FAR[0] + 0.02, lon=FAR[1]))
    answer = matching.solve_batch(db.session, [victim], time_limit=5)
    assert answer.proposals == []


@pytest.fixture
def contested(victim, perp_unit, make_unit, make_site):
    """A victim and one perpetrator unit, where the victim's best unit is too near that unit.

    On a line south of the victim's school: the victim's best unit 2.5 km from the school, the only
    perpetrator unit 11 km from the school (kept 10 km from every victim place) but only 8.5 km from
    that best unit; the victim's other unit is far away.
    """
    from geopy.distance import distance as along

    def south_of_school(km: float) -> tuple[float, float]:
        point = along(kilometers=km).destination(SCHOOL, bearing=180)
        return point.latitude, point.longitude

    lat, lon = south_of_school(2.5)
    best = make_unit(site=make_site(lat=lat, lon=lon))
    other = make_unit(site=make_site(lat=53.2, lon=-0.5))
    perp = perp_unit(south_of_school(11))
    assert geodesic(south_of_school(11), south_of_school(2.5)).km < perpetrator.DEFAULT_SAFE_KM
    assert min(geodesic(south_of_school(11), p).km for p in (SCHOOL, LEICESTER)) > perpetrator.DEFAULT_SAFE_KM
    return {"victim": victim, "best": best, "other": other, "perp": perp}


def _run(db, people):
    run = placements.start_batch(db.session, act(db, people["manager"]))
    placements.execute_batch(db.session, run.id, time_limit=10)
    db.session.commit()
    return run


def test_a_batch_run_matches_filed_requests_kept_apart_from_their_victim(db, people, contested):
    request = file(db, people["perp"])
    run = _run(db, people)
    # Both placed (the engine's second level) only if the victim takes the other unit: apart, both ways.
    assert run.proposals == [{"household_id": contested["victim"].id, "unit_id": contested["other"].id,
                              "fit": run.proposals[0]["fit"], "why": run.proposals[0]["why"]}]
    assert [(p["request_id"], p["unit_id"]) for p in run.perpetrator_proposals] == [(request.id, contested["perp"].id)]
    assert run.perpetrator_unplaced == {} and run.objective["placed"] == 2


def test_without_a_link_the_victim_takes_the_best_unit(db, people, contested):
    """The control: a request for someone else's victim is not kept apart from this victim."""
    request = file(db, people["perp"], reference="FVS-55555")
    run = _run(db, people)
    assert [p["unit_id"] for p in run.proposals] == [contested["best"].id]
    assert [p["request_id"] for p in run.perpetrator_proposals] == [request.id]


def test_approving_a_run_offers_to_the_victim_then_matches_the_request(client, login, db, people, contested):
    request = file(db, people["perp"])
    run = _run(db, people)
    login(people["manager"])
    page = client.get(f"/matching/batch/{run.id}").get_data(as_text=True)
    assert f'name="request_ids" value="{request.id}"' in page and "1 perpetrator accommodation requests" in page
    done = client.post(f"/matching/batch/{run.id}/approve", data={
        "csrf_token": csrf_token_from(page), "household_ids": [contested["victim"].id], "request_ids": [request.id],
        "approve_selected": "Approve the ticked proposals"})
    assert done.status_code == 200 and "1 perpetrator request matched." in done.get_data(as_text=True)
    row = db.session.get(PerpetratorRequest, request.id)
    db.session.refresh(row)
    assert row.state == PerpetratorState.MATCHED and row.unit_id == contested["perp"].id
    offered = db.session.scalar(select(Placement).where(Placement.household_id == contested["victim"].id))
    assert offered.unit_id == contested["other"].id and offered.state == PlacementState.OFFERED


def test_a_request_proposal_that_has_become_unsafe_is_refused_at_approval(client, token_for, db, people, contested):
    """The victim was offered the best unit by hand after the run: the match is checked again and refused."""
    request = file(db, people["perp"])
    run = _run(db, people)
    placements.make_offer(db.session, act(db, people["worker"]), contested["victim"].id, contested["best"].id)
    db.session.commit()
    headers = token_for(people["manager"])
    answer = client.post(f"/api/v1/match-runs/{run.id}/approve", headers=headers, json={"request_ids": [request.id]})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["offers"] == [] and body["matched"] == []
    assert [r["request_id"] for r in body["refused_requests"]] == [request.id]
    assert db.session.get(PerpetratorRequest, request.id).state == PerpetratorState.FILED
    unknown = client.post(f"/api/v1/match-runs/{run.id}/approve", headers=headers, json={"request_ids": [request.id + 1]})
    assert unknown.status_code == 422 and "request_ids" in unknown.get_json()["errors"]["json"]


def test_many_victims_are_read_in_one_query(db, people, perp_unit, victim):
    """A batch run asks for every waiting case at once: past 500 cases the live requests are read whole."""
    from types import SimpleNamespace

    matched(db, people, perp_unit(FAR))
    crowd = [SimpleNamespace(id=10_000 + i, reference=f"FVS-{i:05d}") for i in range(600)]
    for victims in ([victim], [*crowd, victim]):
        places = perpetrator.avoid_places_for_victims(db.session, victims)
        assert list(places) == [victim.id] and places[victim.id][0]["label"] == perpetrator.PERPETRATOR_UNIT


def test_a_perpetrator_unit_can_never_be_offered_to_a_victim_by_hand(db, people, victim, perp_unit):
    unit = perp_unit((52.9548, -1.1581), lead_genders=["female", "male"], bedspaces=4)
    with pytest.raises(ValidationError, match="Type of unit"):
        placements.make_offer(db.session, act(db, people["worker"]), victim.id, unit.id)
    db.session.rollback()
    manager = act(db, people["manager"])
    with pytest.raises(ValidationError, match="Type of unit"):
        placements.make_offer(db.session, manager, victim.id, unit.id, override_reason="a manager insists")
    db.session.rollback()
    assert db.session.get(Unit, unit.id).status == UnitStatus.AVAILABLE


# Flagging unsafe ----------------------------------------------------------------------------------

@pytest.mark.parametrize("steps, unit_after", [((), UnitStatus.AVAILABLE), (("accept",), UnitStatus.AVAILABLE),
                                               (("accept", "move_in"), UnitStatus.VOID)])
def test_flag_unsafe_stops_the_request_and_frees_the_unit(app, client, login, db, people, victim, perp_unit, steps,
                                                          unit_after):
    unit = perp_unit(FAR)
    request = matched(db, people, unit)
    if "accept" in steps:
        perpetrator.accept(db.session, act(db, people["perp"]), request.id)
    if "move_in" in steps:
        perpetrator.move_in(db.session, act(db, people["manager"]), request.id, TODAY)
    db.session.commit()
    login(people["worker"])
    case = client.get(f"/households/{victim.id}").get_data(as_text=True)
    assert f"Request {request.id}" in case and "Perpetrator accommodation requests" in case
    page = client.get(f"/perpetrator/queue/{request.id}")
    token = csrf_token_from(page.get_data(as_text=True))
    empty = client.post(f"/perpetrator/queue/{request.id}/flag-unsafe", data={"reason": "", "csrf_token": token})
    assert empty.status_code == 422
    done = client.post(f"/perpetrator/queue/{request.id}/flag-unsafe",
                       data={"reason": "victim now works nearby", "csrf_token": token})
    assert done.status_code == 302
    row = db.session.get(PerpetratorRequest, request.id)
    db.session.refresh(row)
    assert row.state == PerpetratorState.STOPPED and row.stopped_by_id == people["worker"].id
    assert db.session.get(Unit, unit.id).status == unit_after
    # the unit is no longer held: another request may be matched to it once it is free again
    assert perpetrator.avoid_places_for_victims(db.session, [db.session.get(type(victim), victim.id)]) == {}
    # the perpetrator service sees that it stopped, never why
    perp_client = app.test_client()
    login(people["perp"], the_client=perp_client)
    mine = perp_client.get(f"/perpetrator/requests/{request.id}").get_data(as_text=True)
    assert "Stopped by the Safe Home service" in mine and "works nearby" not in mine


def test_a_worker_without_the_victims_case_cannot_see_the_request(app, client, login, db, people):
    request = file(db, people["perp"], reference="FVS-55555")  # links to no case
    login(people["worker"])
    assert client.get(f"/perpetrator/queue/{request.id}").status_code == 404
    manager_client = app.test_client()
    login(people["manager"], the_client=manager_client)
    assert manager_client.get(f"/perpetrator/queue/{request.id}").status_code == 200


# Pages and the API end to end ------------------------------------------------------------------------

def test_manager_queue_match_page_and_api(client, login, token_for, db, people, victim, perp_unit):
    unit = perp_unit(FAR)
    request = file(db, people["perp"])
    login(people["manager"])
    assert f"Request {request.id}" in client.get("/perpetrator/queue").get_data(as_text=True)
    page = client.get(f"/perpetrator/queue/{request.id}/match")
    assert page.status_code == 200 and f"unit {unit.id}" in page.get_data(as_text=True)
    token = csrf_token_from(page.get_data(as_text=True))
    assert client.post(f"/perpetrator/queue/{request.id}/match",
                       data={"unit_id": 999999, "csrf_token": token}).status_code == 422
    assert client.post(f"/perpetrator/queue/{request.id}/match",
                       data={"unit_id": unit.id, "csrf_token": token}).status_code == 302
    headers = token_for(people["manager"])
    body = client.get(f"/api/v1/perpetrator-queue/{request.id}", headers=headers).get_json()
    assert body["state"] == "matched" and body["household_id"] == victim.id and body["safe_km"] == 10.0
    assert client.post(f"/api/v1/perpetrator-queue/{request.id}/accept", headers=headers).status_code == 200
    moved = client.post(f"/api/v1/perpetrator-queue/{request.id}/move-in", headers=headers,
                        json={"moved_in_on": TODAY.isoformat()})
    assert moved.status_code == 200 and moved.get_json()["state"] == "moved_in"
    assert client.post(f"/api/v1/perpetrator-queue/{request.id}/move-in", headers=headers,
                       json={"moved_in_on": "soon"}).status_code == 422
    # the perpetrator service now sees the unit and may open its address (audited)
    perp_headers = token_for(people["perp"])
    mine = client.get(f"/api/v1/perpetrator-requests/{request.id}", headers=perp_headers).get_json()
    assert mine["unit"] == {"name": unit.name, "type": "perpetrator", "area": "Leicester"}
    assert set(mine) & {"household_id", "safe_km", "stop_reason", "unit_id"} == set()
    address = client.get(f"/api/v1/perpetrator-requests/{request.id}/unit-address", headers=perp_headers)
    assert address.status_code == 200 and address.get_json()["postcode"] == "LE1 1AA"
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "view_address",
                                                         AuditEvent.user_id == people["perp"].id)) is not None


def test_the_perpetrator_service_files_through_its_pages(client, login, db, people, make_area):
    area = make_area(52.6, -1.1, name="Exclusion ward")
    login(people["perp"])
    page = client.get("/perpetrator/requests/new")
    token = csrf_token_from(page.get_data(as_text=True))
    wrong = client.post("/perpetrator/requests/new", data={"victim_reference": "", "csrf_token": token})
    assert wrong.status_code == 422
    html = wrong.get_data(as_text=True)
    assert "is required" in html
    done = client.post("/perpetrator/requests/new", follow_redirects=True, data={
        "victim_reference": "fvs-123", "birth_date": "1980-02-03", "gender": "male", "mappa_level": "1",
        "marac": "y", "needs": ["step_free"], "excluded_area_ids": [str(area.id)],
        "needed_from": TODAY.isoformat(), "csrf_token": token})
    assert done.status_code == 200
    text = done.get_data(as_text=True)
    assert "FVS-123" in text and "Exclusion ward" in text and "Filed, waiting for a match" in text
    assert "My open requests" in client.get("/dashboard").get_data(as_text=True)


def test_quarterly_count_of_perpetrators_found_accommodation(db, people, victim, perp_unit):
    first = matched(db, people, perp_unit(FAR))
    second = matched(db, people, perp_unit((52.9548, -1.1581)))
    for request, day in ((first, date(2025, 2, 10)), (second, date(2025, 4, 2))):
        row = db.session.get(PerpetratorRequest, request.id)
        row.state, row.moved_in_on = PerpetratorState.MOVED_IN, day
    db.session.commit()
    assert perpetrator.count_found_accommodation(db.session, date(2025, 1, 1), date(2025, 3, 31)) == 1
    assert perpetrator.count_found_accommodation(db.session, date(2025, 4, 1), date(2025, 6, 30)) == 1
    assert perpetrator.count_found_accommodation(db.session, date(2024, 10, 1), date(2024, 12, 31)) == 0
    # the quarterly return counts it under the council's words (financial year 2024: Q4 is January-March 2025)
    from safehome.services.reports_base import Quarter
    from safehome.services.reports_return import output_counts

    assert output_counts(db.session, Quarter(2024, 4))["perpetrators_accommodated"] == 1
    assert output_counts(db.session, Quarter(2025, 1))["perpetrators_accommodated"] == 1
    assert output_counts(db.session, Quarter(2024, 3))["perpetrators_accommodated"] == 0
