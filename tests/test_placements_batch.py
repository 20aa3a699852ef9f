"""The batch match end to end on a small world: run (in the background), review, approve, offers out."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from safehome.codes import AuditAction, MatchRunStatus, PlacementState, UnitStatus
from safehome.models import AuditEvent, MatchRun, Placement
from safehome.services import Actor, placements
from tests.helpers import post_form
from tests.placement_fixtures import *  # noqa: F401,F403


def wait_for_run(client, run_id: int, headers=None, timeout: float = 60.0) -> dict:
    """Poll the run's JSON status until it ends (bounded), without sleeping blindly."""
    pause = threading.Event()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/match-runs/{run_id}", headers=headers).get_json()
        if body["status"] in ("done", "failed"):
            return body
        pause.wait(0.05)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


@pytest.fixture
def world(make_household, make_unit, make_site):
    """Three waiting households (one high risk) and two free units: one household must wait."""
    far = make_site(lat=53.2, lon=-0.5)
    high = make_household(risk="high")
    family = make_household(members=[(30, "female"), (15, "male")])
    single = make_household()
    units = [make_unit(site=far, max_male_age=12), make_unit(site=far, bedspaces=1)]
    return {"high": high, "family": family, "single": single, "units": units}


def test_batch_runs_in_the_background_and_is_approved(client, db, make_user, token_for, world):
    manager = make_user("manager")
    headers = token_for(manager)
    started = client.post("/api/v1/match-runs", headers=headers)
    assert started.status_code == 202
    run = wait_for_run(client, started.get_json()["id"], headers)
    assert run["status"] == "done" and run["households"] == 3 and run["units"] == 2
    proposed = {p["household_id"] for p in run["proposals"]}
    # High risk first; the boy of 15 cannot go to the unit with a limit of 12, and the other is for one person.
    assert world["high"].id in proposed and world["family"].id not in proposed
    assert run["unplaced"][str(world["family"].id)]["reason"] == "no_unit_fits"
    assert run["objective"]["high_risk_placed"] == 1
    # Nothing is offered until a manager approves.
    assert db.session.scalar(select(Placement.id)) is None
    approved = client.post(f"/api/v1/match-runs/{run['id']}/approve", headers=headers,
                           json={"household_ids": [world["high"].id]})
    assert approved.status_code == 200, approved.get_json()
    offers = approved.get_json()["offers"]
    assert [o["household_id"] for o in offers] == [world["high"].id] and offers[0]["source"] == "batch"
    placement = db.session.get(Placement, offers[0]["id"])
    assert placement.state == PlacementState.OFFERED and placement.match_run_id == run["id"]
    db.session.refresh(placement.unit)
    assert placement.unit.status == UnitStatus.OFFERED
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.MATCH_RUN)).all()


def test_second_run_shows_what_changed_and_skips_placed_households(app, db, make_user, world, make_unit):
    manager = Actor(make_user("manager"))
    first = placements.start_batch(db.session, manager)
    placements.execute_batch(db.session, first.id, time_limit=10)
    placements.approve_batch(db.session, manager, first.id)
    db.session.commit()
    make_unit()  # a new unit in Leicester: now the single household can also go somewhere
    second = placements.start_batch(db.session, manager)
    placements.execute_batch(db.session, second.id, time_limit=10)
    db.session.commit()
    review = placements.review_run(db.session, second.id)
    assert review.changes.previous_id == first.id
    offered = {p.household_id for p in db.session.scalars(select(Placement))}
    assert not offered & {p.household.id for p in review.proposals}  # households with a live offer do not wait
    assert second.households == 3 - len(offered)


def test_approval_reports_an_offer_that_can_no_longer_be_made(db, make_user, world, make_household):
    manager = Actor(make_user("manager"))
    run = placements.start_batch(db.session, manager)
    placements.execute_batch(db.session, run.id, time_limit=10)
    db.session.commit()
    taken = run.proposals[0]
    worker = Actor(make_user("housing_worker"))
    placements.make_offer(db.session, worker, make_household().id, taken["unit_id"])
    approval = placements.approve_batch(db.session, manager, run.id)
    assert taken["household_id"] in {h for h, _ in approval.refused}
    assert len(approval.offers) == len(run.proposals) - 1


def test_only_one_run_at_a_time(db, make_user):
    manager = Actor(make_user("manager"))
    placements.start_batch(db.session, manager)
    with pytest.raises(Exception, match="still running"):
        placements.start_batch(db.session, manager)


def test_batch_pages_for_a_manager(client, db, login, make_user, world):
    manager = make_user("manager")
    login(manager)
    page = client.get("/matching/batch")
    assert page.status_code == 200 and "Run the batch match" in page.get_data(as_text=True)
    started = post_form(client, "/matching/batch", {}, page="/matching/batch")
    assert started.status_code == 302
    run_id = int(started.headers["Location"].rstrip("/").split("/")[-1])
    assert wait_for_run(client, run_id)["status"] == "done"
    status = client.get(f"/matching/batch/{run_id}/status").get_json()
    assert status == {"id": run_id, "status": "done", "label": "Done", "finished": True}
    html = client.get(f"/matching/batch/{run_id}").get_data(as_text=True)
    assert f"Case {world['high'].id}" in html and "Not placed" in html and "js/placements.js" in html
    approved = post_form(client, f"/matching/batch/{run_id}/approve", {"approve_all": "1"},
                         page=f"/matching/batch/{run_id}")
    assert approved.status_code == 200 and "sent" in approved.get_data(as_text=True)
    assert db.session.scalars(select(MatchRun)).one().approved_at is not None


@pytest.mark.parametrize(("role", "expected"), [("manager", 200), ("housing_worker", 403), ("provider", 403),
                                                ("housing_options", 403), ("admin", 403)])
def test_only_managers_run_the_batch(client, make_user, token_for, role, expected):
    headers = token_for(make_user(role))
    assert client.get("/api/v1/match-runs", headers=headers).status_code == expected
    started = client.post("/api/v1/match-runs", headers=headers)
    assert started.status_code == (202 if expected == 200 else 403)
    if started.status_code == 202:
        assert wait_for_run(client, started.get_json()["id"], headers)["status"] == "done"
