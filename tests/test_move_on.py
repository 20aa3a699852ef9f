"""Move-on plans, blocking reasons, the move on, and timeliness with hand-worked dates."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from safehome.codes import PlacementState, UnitType
from safehome.errors import Conflict, NotFound, TransitionError, ValidationError
from safehome.models import MoveOnPlan
from safehome.services import move_on
from safehome.services.timeliness import days_between
from tests.helpers import post_form
from tests.journey_helpers import actor, make_household, make_stay  # noqa: F401

TODAY = date(2026, 11, 20)
NOW = datetime(2029, 1, 1, 12, 0, tzinfo=timezone.utc)  # when a move on is recorded, after every date used


@pytest.fixture
def worker(make_user):
    return make_user("housing_worker")


def _plan(db, worker, make_household, make_stay, unit_type="refuge", moved_in=date(2026, 1, 5),
          target=date(2026, 7, 5)):
    household = make_household()
    make_stay(household, unit_type, moved_in)
    plan = move_on.create_plan(db.session, actor(worker), household.id, target, today=TODAY)
    db.session.commit()
    return plan


def _move(db, worker, plan, on, tenure="council_rent", planned=True):
    move_on.record_moved_on(db.session, actor(worker), plan.id, moved_on_on=on, destination="Council flat, Leicester",
                            tenure_at_exit=tenure, planned=planned, now=NOW)
    db.session.commit()


@pytest.mark.parametrize("moved_in, moved_on, days", [
    (date(2026, 3, 28), date(2026, 3, 30), 2),    # over the spring clock change (29 Mar 2026): a 23-hour day is a day
    (date(2026, 10, 24), date(2026, 10, 26), 2),  # over the autumn change (25 Oct 2026): a 25-hour day is a day
    (date(2028, 2, 28), date(2028, 3, 1), 2),     # 29 Feb 2028 counts
    (date(2027, 12, 1), date(2028, 3, 1), 91),    # 31 + 31 + 29 (leap February)
    (date(2026, 12, 1), date(2027, 3, 1), 90),    # 31 + 31 + 28
])
def test_days_from_moving_in_to_moving_on(db, worker, make_household, make_stay, moved_in, moved_on, days):
    plan = _plan(db, worker, make_household, make_stay, moved_in=moved_in, target=moved_in)
    _move(db, worker, plan, moved_on)
    [stay] = move_on.stays(db.session, TODAY)
    assert stay.days == days and stay.days_over == days and stay.target_days == 0
    assert days_between(moved_in, moved_on) == days


def test_days_between_a_utc_moment_and_a_day_use_the_london_calendar():
    # 23:30 UTC on 28 March 2026 is 23:30 GMT (the 28th); 23:30 UTC on 29 March is 00:30 BST on the 30th.
    assert days_between(datetime(2026, 3, 28, 23, 30, tzinfo=timezone.utc), date(2026, 3, 30)) == 2
    assert days_between(datetime(2026, 3, 29, 23, 30, tzinfo=timezone.utc), date(2026, 3, 30)) == 0
    with pytest.raises(ValueError, match="naive"):
        days_between(datetime(2026, 3, 29, 23, 30), date(2026, 3, 30))


def test_timeliness_by_unit_type_and_the_over_target_list(db, worker, make_household, make_stay):
    # refuge: in 1 Jan, target 31 Mar (89 days), out 30 Mar: 88 days, on time
    a = _plan(db, worker, make_household, make_stay, "refuge", date(2026, 1, 1), date(2026, 3, 31))
    _move(db, worker, a, date(2026, 3, 30))
    # refuge: in 1 Feb, target 1 Mar (28 days), out 1 Apr: 59 days, late by 31
    b = _plan(db, worker, make_household, make_stay, "refuge", date(2026, 2, 1), date(2026, 3, 1))
    _move(db, worker, b, date(2026, 4, 1), planned=False)
    # dispersed, still there: in 1 Oct, target 1 Nov; on 20 Nov: 50 days in, 19 over
    c = _plan(db, worker, make_household, make_stay, "dispersed", date(2026, 10, 1), date(2026, 11, 1))
    # emergency, still there: in 1 Nov, target 10 Nov; 19 days in, 10 over
    d = _plan(db, worker, make_household, make_stay, "emergency", date(2026, 11, 1), date(2026, 11, 10))
    # supported, still there, within target
    _plan(db, worker, make_household, make_stay, "supported", date(2026, 11, 1), date(2027, 5, 1))
    rows = {r.unit_type: r for r in move_on.timeliness_by_unit_type(db.session, TODAY)}
    refuge = rows[UnitType.REFUGE]
    assert (refuge.moved_on, refuge.on_time, refuge.mean_days, refuge.mean_target_days) == (2, 1, 73.5, 58.5)
    assert refuge.on_time_percent == 50
    assert (rows[UnitType.DISPERSED].still_waiting, rows[UnitType.DISPERSED].waiting_over_target) == (1, 1)
    assert rows[UnitType.SUPPORTED].waiting_over_target == 0 and rows[UnitType.SUPPORTED].mean_days is None
    assert UnitType.MOVE_ON not in rows
    late = move_on.over_target(db.session, TODAY)
    assert [(s.plan.id, s.days, s.days_over) for s in late] == [(c.id, 50, 19), (d.id, 19, 10)]
    assert move_on.over_target_count(db.session, TODAY) == 2
    assert move_on.over_target_count(db.session, date(2026, 11, 10)) == 1  # on its target day: not over
    assert [s.plan.id for s in move_on.over_target(db.session, date(2026, 11, 10))] == [c.id]
    in_q1 = {r.unit_type: r for r in move_on.timeliness_by_unit_type(db.session, TODAY, start=date(2026, 1, 1),
                                                                     end=date(2026, 3, 31))}
    assert in_q1[UnitType.REFUGE].moved_on == 1
    assert b.placement.move_out_planned is False and b.placement.state == PlacementState.MOVED_OUT


def test_a_plan_needs_a_stay_in_temporary_accommodation(db, worker, make_household, make_stay):
    household = make_household()
    with pytest.raises(TransitionError, match="not living in temporary"):
        move_on.create_plan(db.session, actor(worker), household.id, date(2026, 6, 1), today=TODAY)
    make_stay(household, "move_on")  # a move-on unit is not temporary accommodation
    with pytest.raises(TransitionError):
        move_on.create_plan(db.session, actor(worker), household.id, date(2026, 6, 1), today=TODAY)
    plan = _plan(db, worker, make_household, make_stay)
    with pytest.raises(Conflict):
        move_on.create_plan(db.session, actor(worker), plan.household_id, date(2026, 8, 1), today=TODAY)


def test_plan_dates_are_checked(db, worker, make_household, make_stay):
    household = make_household()
    make_stay(household, "refuge", date(2026, 5, 1))
    with pytest.raises(ValidationError) as refused:
        move_on.create_plan(db.session, actor(worker), household.id, date(2026, 4, 1), date(2026, 12, 25),
                            today=TODAY)
    assert set(refused.value.as_dict()) == {"target_on", "ready_on"}


def test_blockers_open_and_clear(db, worker, make_household, make_stay):
    plan = _plan(db, worker, make_household, make_stay)
    nrpf = move_on.add_blocker(db.session, actor(worker), plan.id, "nrpf", date(2026, 2, 1), today=TODAY)
    with pytest.raises(Conflict):
        move_on.add_blocker(db.session, actor(worker), plan.id, "nrpf", date(2026, 2, 2), today=TODAY)
    with pytest.raises(ValidationError) as other:
        move_on.add_blocker(db.session, actor(worker), plan.id, "other", None, today=TODAY)
    assert set(other.value.as_dict()) == {"detail", "since"}
    move_on.add_blocker(db.session, actor(worker), plan.id, "school_place", date(2026, 3, 1), today=TODAY)
    with pytest.raises(ValidationError) as early:
        move_on.clear_blocker(db.session, actor(worker), nrpf.id, date(2026, 1, 1), today=TODAY)
    assert "cleared_on" in early.value.as_dict()
    move_on.clear_blocker(db.session, actor(worker), nrpf.id, date(2026, 4, 1), today=TODAY)
    with pytest.raises(TransitionError):
        move_on.clear_blocker(db.session, actor(worker), nrpf.id, date(2026, 4, 1), today=TODAY)
    with pytest.raises(NotFound):
        move_on.clear_blocker(db.session, actor(worker), nrpf.id, date(2026, 4, 1), plan_id=plan.id + 1)
    _move(db, worker, plan, date(2026, 6, 1))
    assert [(b.reason.value, b.cleared_on) for b in plan.blockers] == [
        ("nrpf", date(2026, 4, 1)), ("school_place", date(2026, 6, 1))]
    with pytest.raises(TransitionError, match="moved on"):
        move_on.add_blocker(db.session, actor(worker), plan.id, "rent_arrears", date(2026, 6, 1), today=TODAY)


def test_moved_on_names_every_problem(db, worker, make_household, make_stay):
    plan = _plan(db, worker, make_household, make_stay, moved_in=date(2026, 1, 5))
    with pytest.raises(ValidationError) as refused:
        move_on.record_moved_on(db.session, actor(worker), plan.id, moved_on_on=date(2026, 1, 1), destination=" ",
                                tenure_at_exit="castle", planned=None)
    assert set(refused.value.as_dict()) == {"moved_on_on", "destination", "tenure_at_exit", "planned"}


def test_work_list_and_the_pages(app, client, db, worker, make_household, make_stay, make_user, login):
    household = make_household()
    make_stay(household, "refuge", date(2026, 1, 5))
    login(worker)
    listing = client.get("/move-on/").get_data(as_text=True)
    assert household.reference in listing and "without a move-on plan" in listing
    made = post_form(client, f"/move-on/households/{household.id}/plan", {"target_on": "2026-03-01"},
                     page=f"/cases/{household.id}/journey")
    assert made.status_code == 303
    plan = db.session.query(MoveOnPlan).one()
    assert household.reference in client.get("/move-on/").get_data(as_text=True)  # now past its target
    refused = post_form(client, f"/move-on/{plan.id}/moved-on", {"moved_on_on": "2026-02-01"},
                        page=f"/move-on/{plan.id}", follow=True).get_data(as_text=True)

    assert "destination: say where to" in refused and "tenure at exit" in refused
    assert client.get("/move-on/timeliness").status_code == 403
    manager_client = app.test_client()
    login(make_user("manager"), the_client=manager_client)
    page = manager_client.get("/move-on/timeliness")
    assert page.status_code == 200 and household.reference in page.get_data(as_text=True)


@pytest.mark.parametrize("role, read, write, report", [
    ("housing_worker", 200, 201, 403),
    ("manager", 200, 403, 200),
    ("housing_options", 404, 403, 403),
    ("provider", 404, 403, 403),
    ("perpetrator_service", 403, 403, 403),
    ("admin", 403, 403, 403),
])
def test_api_per_role(client, db, make_household, make_stay, make_user, token_for, role, read, write, report):
    household = make_household()
    make_stay(household, "refuge", date(2026, 1, 5))
    headers = token_for(make_user(role))
    assert client.get(f"/api/v1/households/{household.id}/move-on-plans", headers=headers).status_code == read
    response = client.post(f"/api/v1/households/{household.id}/move-on-plans", headers=headers,
                           json={"target_on": "2026-06-01"})
    assert response.status_code == write
    assert client.get("/api/v1/move-on/timeliness", headers=headers).status_code == report


def test_api_walks_a_plan_to_moved_on(client, db, worker, make_household, make_stay, make_user, token_for):
    household = make_household()
    make_stay(household, "dispersed", date(2026, 3, 28))
    headers = token_for(worker)
    plan = client.post(f"/api/v1/households/{household.id}/move-on-plans", headers=headers,
                       json={"target_on": "2026-03-29", "ready_on": None}).get_json()
    block = client.post(f"/api/v1/move-on-plans/{plan['id']}/blockers", headers=headers,
                        json={"reason": "rent_arrears", "since": "2026-03-28"})
    assert block.status_code == 201
    bad = client.post(f"/api/v1/move-on-plans/{plan['id']}/moved-on", headers=headers,
                      json={"moved_on_on": "2026-03-30", "destination": "x", "tenure_at_exit": "palace",
                            "planned": "perhaps"})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]["json"]) == {"planned"}
    done = client.post(f"/api/v1/move-on-plans/{plan['id']}/moved-on", headers=headers,
                       json={"moved_on_on": "2026-03-30", "destination": "Housing association flat, Leicester",
                             "tenure_at_exit": "ha_rent", "planned": True})
    assert done.status_code == 200
    body = done.get_json()
    assert body["moved_on_on"] == "2026-03-30" and body["tenure_at_exit"] == "ha_rent"
    assert body["blockers"][0]["cleared_on"] == "2026-03-30"
    manager_headers = token_for(make_user("manager"))
    timeliness = client.get("/api/v1/move-on/timeliness", headers=manager_headers).get_json()
    dispersed = next(r for r in timeliness["by_unit_type"] if r["unit_type"] == "dispersed")
    assert (dispersed["moved_on"], dispersed["mean_days"], dispersed["on_time"]) == (1, 2.0, 0)

