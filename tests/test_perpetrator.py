"""Perpetrator accommodation: the state machine, scoping, the distance kept both ways from the places the
perpetrator knows, the batch's two stages, closing, filing limits, patterns, and the count."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from geopy.distance import geodesic
from sqlalchemy import func, select

from safehome.codes import PerpetratorState, PerpetratorStopReason, PlacementState, SiteKind, UnitStatus, UnitType
from safehome.errors import NotFound, TransitionError, ValidationError
from safehome.models import AuditEvent, Household, PerpetratorRequest, Placement, Unit, User
from safehome.services import Actor, households, matching, perpetrator, placements
from tests.helpers import csrf_token_from, post_form
from tests.placement_fixtures import *  # noqa: F401,F403
from tests.placement_fixtures import LEICESTER, TODAY, years_ago

NEAR = (52.6550, -1.1398)    # 2 km from the victim's home
FAR = (52.7721, -1.2062)     # 15.7 km from it
SCHOOL = (52.5000, -1.3000)  # a place the victim goes that the perpetrator knows, 18.7 km from home
NEAR_SCHOOL = (52.5100, -1.3000)
NEW_JOB = (52.7500, -0.7000)  # a place the victim goes that the perpetrator does not know
NEAR_NEW_JOB = (52.7600, -0.7000)
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
    """The victim's open case: the home in Leicester the perpetrator left, the school further out he knows,
    and a new job he does not know."""
    return make_household(reference=VICTIM_REFERENCE, home_location={"lat": LEICESTER[0], "lon": LEICESTER[1]},
                          prefer=[{"label": "school", "lat": SCHOOL[0], "lon": SCHOOL[1], "km": 3, "weight": 3,
                                   "known_to_perpetrator": True},
                                  {"label": "new job", "lat": NEW_JOB[0], "lon": NEW_JOB[1], "km": 5, "weight": 2}])


@pytest.fixture
def perp_unit(make_unit, make_site):
    """``perp_unit(NEAR)``: a free men's perpetrator unit at that point."""

    def make(point, **fields):
        values = {"type": UnitType.PERPETRATOR, "bedspaces": 1, "lead_genders": ["male"]}
        values.update(fields)
        return make_unit(site=make_site(lat=point[0], lon=point[1], kind=SiteKind.PERPETRATOR), **values)

    return make


def file(db, user, **changes) -> PerpetratorRequest:
    request = perpetrator.file_request(db.session, act(db, user), request_data(**changes),
                                       limits=perpetrator.NO_LIMITS)
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
            colour="blue"), limits=perpetrator.NO_LIMITS)
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


# Which places the perpetrator knows -----------------------------------------------------------------

def test_the_case_forms_carry_what_the_perpetrator_knows(client, db, people, login):
    """The home is known unless unticked; a place to stay near is secret unless ticked; both come back on edit."""
    from tests.test_households_pages import FORM

    login(people["worker"])
    blank = client.get("/households/new").get_data(as_text=True)
    assert re.search(r'<input checked id="home_known_to_perpetrator"', blank)
    assert 'name="prefer-0-known_to_perpetrator"' in blank
    assert not re.search(r'<input checked id="prefer-0-known_to_perpetrator"', blank)
    made = post_form(client, "/households/new", {**FORM, "prefer-0-known_to_perpetrator": "y"})
    assert made.status_code == 302, made.get_data(as_text=True)
    household = db.session.scalar(select(Household).where(Household.reference == FORM["reference"]))
    assert household.home_known_to_perpetrator is False  # left unticked
    assert households.known_places(household) == [{"kind": "prefer", "lat": 52.63, "lon": -1.13}]
    edit = client.get(f"/households/{household.id}/edit").get_data(as_text=True)
    assert re.search(r'<input checked id="prefer-0-known_to_perpetrator"', edit)
    assert not re.search(r'<input checked id="home_known_to_perpetrator"', edit)
    case = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert re.search(r'id="known-to-perpetrator">1 place to stay near: a perpetrator request linked', case)


# Safety: the distance, both ways -------------------------------------------------------------------

def test_suggestions_and_matches_keep_the_perpetrator_from_every_place_he_knows_and_only_those(
        db, people, victim, perp_unit, make_unit, make_site):
    """Rewritten for issue 15: the victim's secret places (where they are placed, a new job) no longer rule a
    unit out for the linked request (they would tell the perpetrator side where they are); known ones do."""
    from geopy.distance import distance as along

    near_home = perp_unit(NEAR)
    near_school = perp_unit(NEAR_SCHOOL)
    refuge = make_unit(site=make_site(lat=52.40, lon=-0.80))  # where the victim is placed now
    placements.make_offer(db.session, act(db, people["worker"]), victim.id, refuge.id)
    db.session.commit()
    beside_refuge = along(kilometers=7).destination((52.40, -0.80), bearing=90)  # past the inventory's 5 km
    near_refuge = perp_unit((beside_refuge.latitude, beside_refuge.longitude))
    near_new_job = perp_unit(NEAR_NEW_JOB)
    women_only = perp_unit(FAR, lead_genders=["female"])
    good = perp_unit((52.9548, -1.1581))
    request = file(db, people["perp"])
    answer = perpetrator.suggest_units(db.session, act(db, people["manager"]), request.id).suggestions
    assert {s.unit.id for s in answer.items} == {near_refuge.id, near_new_job.id, good.id}
    assert answer.considered == 6  # perpetrator units only; the refuge was never considered
    assert "2 units too close to places to avoid" in answer.summary  # the home and the school he knows
    for unit in (near_home, near_school, women_only):
        with pytest.raises(ValidationError):
            perpetrator.match(db.session, act(db, people["manager"]), request.id, unit.id)
        db.session.rollback()
    with pytest.raises(ValidationError, match="only a perpetrator unit"):
        perpetrator.match(db.session, act(db, people["manager"]), request.id, refuge.id)
    db.session.rollback()
    perpetrator.match(db.session, act(db, people["manager"]), request.id, near_new_job.id)
    db.session.commit()
    assert db.session.get(Unit, near_new_job.id).status == UnitStatus.OFFERED
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.record_type == "perpetrator_request",
                                                         AuditEvent.detail == "filed->matched")) is not None


def test_a_home_the_perpetrator_does_not_know_keeps_nothing_away(client, db, people, victim, perp_unit, token_for,
                                                                 login):
    """The housing worker marks the home secret (over the API) and a known place to stay near (over the form
    data's shape): only what is known to the perpetrator constrains the linked request; the case page says so."""
    near_home, near_school = perp_unit(NEAR), perp_unit(NEAR_SCHOOL)
    request = file(db, people["perp"])
    manager = act(db, people["manager"])
    ruled_out = {near_home.id, near_school.id}
    assert not ruled_out & {s.unit.id for s in perpetrator.suggest_units(
        db.session, manager, request.id).suggestions.items}
    headers = token_for(people["worker"])
    changed = client.patch(f"/api/v1/households/{victim.id}", headers=headers, json={
        "home_known_to_perpetrator": False,
        "prefer": [{"label": "school", "lat": SCHOOL[0], "lon": SCHOOL[1], "km": 3, "known_to_perpetrator": False}]})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["home_known_to_perpetrator"] is False
    db.session.expire_all()
    assert ruled_out <= {s.unit.id for s in perpetrator.suggest_units(
        db.session, manager, request.id).suggestions.items}
    wrong = client.patch(f"/api/v1/households/{victim.id}", headers=headers, json={
        "home_known_to_perpetrator": "maybe", "prefer": [{"label": "school", "lat": SCHOOL[0], "lon": SCHOOL[1],
                                                         "km": 3, "known_to_perpetrator": "maybe"}]})
    assert wrong.status_code == 422 and set(wrong.get_json()["errors"]["json"]) == {"home_known_to_perpetrator",
                                                                                     "prefer"}
    login(people["worker"])
    case = client.get(f"/households/{victim.id}").get_data(as_text=True)
    assert "no place: every place of this household is secret" in case
    places = client.get(f"/households/{victim.id}/places").get_data(as_text=True)
    assert "Secret from the perpetrator." in places and "secret from the perpetrator" in places


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
    perpetrator unit 11 km from the school (kept 10 km from every place the perpetrator knows) but only
    8.5 km from that best unit; the victim's other unit is far away.
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


def test_a_batch_run_matches_filed_requests_first_and_keeps_their_victim_away(db, people, contested):
    """Rewritten for issue 15: no engine ``apart`` any more; the request is matched first, then the victim
    is kept from the unit proposed to it, so takes the other unit."""
    request = file(db, people["perp"])
    run = _run(db, people)
    assert run.proposals == [{"household_id": contested["victim"].id, "unit_id": contested["other"].id,
                              "fit": run.proposals[0]["fit"], "why": run.proposals[0]["why"]}]
    assert [(p["request_id"], p["unit_id"]) for p in run.perpetrator_proposals] == [(request.id, contested["perp"].id)]
    assert run.perpetrator_unplaced == {} and run.objective["placed"] == 2  # both stages counted


def test_without_a_link_the_victim_takes_the_best_unit(db, people, contested):
    """The control: a request for someone else's victim does not keep this victim away."""
    request = file(db, people["perp"], reference="FVS-55555")
    run = _run(db, people)
    assert [p["unit_id"] for p in run.proposals] == [contested["best"].id]
    assert [p["request_id"] for p in run.perpetrator_proposals] == [request.id]


def test_whether_a_request_is_matched_never_depends_on_where_its_waiting_victim_could_go(db, people, contested):
    """A high-risk victim whose only unit is 8.5 km from the only perpetrator unit, and a standard-risk request
    linked to them. The old run kept the two apart and placed the victim first, so the request stayed filed
    only because of where its victim could go (a secret place). Now the request is matched, as an unlinked one
    would be, and the victim is kept from its unit: the victim is not proposed the unit too near it."""
    victim = contested["victim"]
    victim.set_risk(16, True)
    contested["other"].status = UnitStatus.OUT_OF_USE
    db.session.commit()
    request = file(db, people["perp"], marac=False, mappa_level="none")
    run = _run(db, people)
    assert [(p["request_id"], p["unit_id"]) for p in run.perpetrator_proposals] == [(request.id, contested["perp"].id)]
    assert run.proposals == [] and run.unplaced[str(victim.id)]["reason"] == "no_unit_fits"


def test_approving_a_run_matches_the_request_then_offers_to_the_victim(client, login, db, people, contested):
    """Rewritten for issue 15: the perpetrator match goes first, so the victim's offer is checked against it."""
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
    made = db.session.scalars(select(AuditEvent.record_type).where(AuditEvent.detail.in_(
        ["filed->matched", "source=batch"])).order_by(AuditEvent.id)).all()
    assert made == ["perpetrator_request", "placement"]


def test_a_victims_proposal_that_has_become_unsafe_is_refused_at_approval(client, token_for, db, people, contested,
                                                                        perp_unit):
    """Rewritten for issue 15 (it was the request's proposal that was refused): after the run the request is
    matched by hand to a unit near the victim's proposed one; the victim's offer is checked and refused, and
    the request's match never looked at where the victim would go."""
    from geopy.distance import distance as along

    request = file(db, people["perp"])
    run = _run(db, people)
    beside = along(kilometers=6).destination((53.2, -0.5), bearing=0)  # 6 km from the victim's proposed unit
    perpetrator.match(db.session, act(db, people["manager"]), request.id,
                      perp_unit((beside.latitude, beside.longitude)).id)
    db.session.commit()
    headers = token_for(people["manager"])
    answer = client.post(f"/api/v1/match-runs/{run.id}/approve", headers=headers, json={})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["offers"] == [] and body["matched"] == []
    assert [r["household_id"] for r in body["refused"]] == [contested["victim"].id]
    assert "Too close" in body["refused"][0]["message"]
    assert [r["request_id"] for r in body["refused_requests"]] == [request.id]  # matched already
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


# Closing: flagged unsafe by the victim's worker, or closed by a manager ------------------------------

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
    assert row.stop_reason == PerpetratorStopReason.UNSAFE_FOR_VICTIM and row.stop_note == "victim now works nearby"
    assert db.session.get(Unit, unit.id).status == unit_after
    # the unit is no longer held: another request may be matched to it once it is free again
    assert perpetrator.avoid_places_for_victims(db.session, [db.session.get(type(victim), victim.id)]) == {}
    # the perpetrator service sees that it was closed, never why
    perp_client = app.test_client()
    login(people["perp"], the_client=perp_client)
    mine = perp_client.get(f"/perpetrator/requests/{request.id}").get_data(as_text=True)
    assert "Closed by the Safe Home service" in mine and "works nearby" not in mine and "nsafe" not in mine


def test_a_manager_closes_any_request_with_a_coded_reason(app, client, login, token_for, db, people, perp_unit):
    """A request that links to no case (the victim's worker could never flag it) is closed by a manager."""
    unit = perp_unit(FAR)
    request = matched(db, people, unit, reference="FVS-55555")
    headers = token_for(people["manager"])
    url = f"/api/v1/perpetrator-queue/{request.id}/close"
    assert client.post(url, headers=headers, json={"reason": "whim"}).status_code == 422
    other = client.post(url, headers=headers, json={"reason": "other"})
    assert other.status_code == 422 and "note" in other.get_json()["errors"]["json"]
    assert client.post(url, headers=token_for(people["worker"]), json={"reason": "not_eligible"}).status_code == 403
    assert db.session.get(PerpetratorRequest, request.id).state == PerpetratorState.MATCHED
    closed = client.post(url, headers=headers, json={"reason": "not_eligible", "note": "lives out of area"})
    assert closed.status_code == 200, closed.get_json()
    assert closed.get_json()["stop_reason"] == "not_eligible" and closed.get_json()["stop_note"] == "lives out of area"
    assert db.session.get(Unit, unit.id).status == UnitStatus.AVAILABLE
    login(people["manager"])
    page = client.get(f"/perpetrator/queue/{request.id}").get_data(as_text=True)
    assert "Not eligible (lives out of area)" in page and "Close the request" not in page
    perp = token_for(people["perp"])
    mine = client.get(f"/api/v1/perpetrator-requests/{request.id}", headers=perp).get_json()
    assert mine["state"] == "stopped" and "eligible" not in str(mine) and "lives out of" not in str(mine)
    assert not {"stop_reason", "stop_note", "stopped_by_id", "stopped_at"} & set(mine)
    again = client.post(url, headers=headers, json={"reason": "not_eligible"})
    assert again.status_code == 409


def test_the_manager_closes_through_the_housing_page(client, login, db, people):
    request = file(db, people["perp"], reference="FVS-55555")
    login(people["manager"])
    page = client.get(f"/perpetrator/queue/{request.id}")
    assert "Close the request" in page.get_data(as_text=True)
    token = csrf_token_from(page.get_data(as_text=True))
    wrong = client.post(f"/perpetrator/queue/{request.id}/close", data={"reason": "", "csrf_token": token})
    assert wrong.status_code == 422 and "is required" in wrong.get_data(as_text=True)
    done = client.post(f"/perpetrator/queue/{request.id}/close",
                       data={"reason": "duplicate_or_pattern", "note": "", "csrf_token": token})
    assert done.status_code == 302
    row = db.session.get(PerpetratorRequest, request.id)
    db.session.refresh(row)
    assert row.state == PerpetratorState.STOPPED and row.stop_reason == PerpetratorStopReason.DUPLICATE_OR_PATTERN


def test_a_worker_without_the_victims_case_cannot_see_the_request(app, client, login, db, people):
    request = file(db, people["perp"], reference="FVS-55555")  # links to no case
    login(people["worker"])
    assert client.get(f"/perpetrator/queue/{request.id}").status_code == 404
    manager_client = app.test_client()
    login(people["manager"], the_client=manager_client)
    assert manager_client.get(f"/perpetrator/queue/{request.id}").status_code == 200


# Filing limits and patterns ---------------------------------------------------------------------------

def test_filing_is_limited_per_worker_and_the_refusal_is_the_same_for_every_reference(app, client, login, token_for,
                                                                                      db, people, victim):
    headers = token_for(people["perp"])
    api_data = {"birth_date": years_ago(40).isoformat(), "gender": "male", "needed_from": TODAY.isoformat()}
    per_day = app.config["PERPETRATOR_REQUESTS_PER_DAY"]
    assert per_day == 5  # the default setting
    for n in range(per_day):
        answer = client.post("/api/v1/perpetrator-requests", headers=headers,
                             json={**api_data, "victim_reference": f"FVS-{n:05d}"})
        assert answer.status_code == 201
    refusals = [client.post("/api/v1/perpetrator-requests", headers=headers,
                            json={**api_data, "victim_reference": reference})
                for reference in (VICTIM_REFERENCE, "FVS-99999")]
    assert [r.status_code for r in refusals] == [429, 429]
    assert refusals[0].get_json() == refusals[1].get_json()
    assert "filed 5 requests in the last 24 hours" in refusals[0].get_json()["message"]
    assert db.session.scalar(select(func.count()).select_from(PerpetratorRequest)) == per_day
    # another worker is not held back by this one's filings; the form says why it refuses
    assert perpetrator.count_own_open(db.session, people["other_perp"]) == 0
    login(people["perp"])
    token = csrf_token_from(client.get("/perpetrator/requests/new").get_data(as_text=True))
    page = client.post("/perpetrator/requests/new", data={
        "victim_reference": "FVS-1", "birth_date": "1980-02-03", "gender": "male", "mappa_level": "none",
        "needed_from": TODAY.isoformat(), "csrf_token": token})
    assert page.status_code == 429 and "the most one worker may file" in page.get_data(as_text=True)


def test_the_limits_count_a_rolling_day_and_the_requests_waiting(db, people):
    from datetime import datetime, timezone

    worker = act(db, people["perp"])
    start = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    limits = perpetrator.FilingLimits(per_day=2, waiting=3)

    def file_at(hours: float, reference: str = "FVS-1"):
        request = perpetrator.file_request(db.session, worker, request_data(reference, needed_from=start.date()),
                                           limits=limits, now=start + timedelta(hours=hours))
        db.session.commit()
        return request

    first, _ = file_at(0), file_at(1)
    with pytest.raises(perpetrator.FilingLimitReached, match=r"after 03 Mar 2026 09:00 \(UK time\)"):
        file_at(23.9)
    db.session.rollback()
    file_at(24.1)  # the first has left the 24 hours
    with pytest.raises(perpetrator.FilingLimitReached, match="3 requests waiting"):
        file_at(48)
    db.session.rollback()
    perpetrator.withdraw(db.session, worker, first.id)
    db.session.commit()
    assert file_at(48).state == PerpetratorState.FILED


def test_patterns_are_flagged_to_managers_only(client, login, token_for, db, people):
    """The same client under two victim references; one reference withdrawn and filed again three times."""
    same_client = [file(db, people["perp"], reference=reference, client_reference="PS-0042",
                        birth_date=years_ago(30 + n)) for n, reference in enumerate(("FVS-10001", "FVS-10002"))]
    refiled = []
    for n in range(perpetrator.PATTERN_WITHDRAWALS + 1):
        refiled.append(file(db, people["other_perp"], reference="FVS-20001", birth_date=years_ago(50 + n)))
        perpetrator.withdraw(db.session, act(db, people["other_perp"]), refiled[-1].id)
        db.session.commit()
    refiled.append(file(db, people["other_perp"], reference="FVS-20001", birth_date=years_ago(60)))
    file(db, people["perp"], reference="FVS-30001", birth_date=years_ago(70))  # nothing odd
    flags = client.get("/api/v1/perpetrator-queue/patterns", headers=token_for(people["manager"])).get_json()
    assert sorted((f["pattern"], tuple(r["id"] for r in f["requests"]), tuple(f["references"])) for f in flags) == [
        ("refiled", tuple(r.id for r in refiled), ("FVS-20001",)),
        ("same_client", tuple(r.id for r in same_client), ("FVS-10001", "FVS-10002"))]
    for role in ("perp", "worker"):
        assert client.get("/api/v1/perpetrator-queue/patterns", headers=token_for(people[role])).status_code == 403
    login(people["manager"])
    queue = client.get("/perpetrator/queue").get_data(as_text=True)
    assert "Patterns to review (2)" in queue and queue.count(">pattern</span>") == len(same_client) + len(refiled)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r'>2</span>\s*<span class="panel-title">Perpetrator request patterns to review', dashboard)
    # what the perpetrator side sees of its flagged requests is what it saw before
    perp = token_for(people["perp"])
    mine = client.get(f"/api/v1/perpetrator-requests/{same_client[0].id}", headers=perp).get_json()
    assert "pattern" not in str(mine)


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
