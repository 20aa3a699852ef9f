"""No double booking: many offers and acceptances of one unit at the same moment, exactly one wins.

Each attempt is a real request through the app (its own app context, database
session and connection), released together by a barrier. On PostgreSQL the
row locks and the partial unique index decide; on SQLite one writer at a time.
"""
from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import func, select

from safehome.codes import PlacementState, UnitStatus
from safehome.models import Placement, PlacementEvent, UnitStatusChange
from tests.placement_fixtures import *  # noqa: F401,F403

ATTEMPTS = 24


def _fire(app, calls) -> list:
    """Run each (method, url, headers, json) at once from its own thread; the answers' statuses and bodies."""
    barrier = threading.Barrier(len(calls))
    answers = [None] * len(calls)

    def attempt(i, url, headers, body):
        client = app.test_client()
        barrier.wait(timeout=30)
        response = client.post(url, headers=headers, json=body)
        answers[i] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=attempt, args=(i, *call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(a is not None for a in answers), "an attempt did not finish"
    return answers


def _race(app, db, make_user, token_for, make_unit, make_household):
    workers = [make_user("housing_worker") for _ in range(ATTEMPTS)]
    headers = [token_for(w) for w in workers]
    unit = make_unit()
    households = [make_household() for _ in range(ATTEMPTS)]

    # Round 1: every worker offers the one unit to a different household at the same moment.
    offers = _fire(app, [("/api/v1/placements", headers[i], {"household_id": households[i].id, "unit_id": unit.id})
                         for i in range(ATTEMPTS)])
    won = [body for status, body in offers if status == 201]
    lost = [(status, body) for status, body in offers if status != 201]
    assert len(won) == 1, offers
    assert all(status == 409 and body["message"] for status, body in lost), lost
    placement_id = won[0]["id"]

    # Round 2: every worker accepts that one offer at the same moment.
    accepts = _fire(app, [(f"/api/v1/placements/{placement_id}/accept", headers[i], {}) for i in range(ATTEMPTS)])
    assert sorted(status for status, _ in accepts) == [200] + [409] * (ATTEMPTS - 1), accepts
    assert all("accepted" in body["message"] for status, body in accepts if status == 409)

    # Nothing half-written: one placement, its three events, one unit status change.
    db.session.expire_all()
    rows = list(db.session.scalars(select(Placement).where(Placement.unit_id == unit.id)))
    assert [(p.id, p.state) for p in rows] == [(placement_id, PlacementState.ACCEPTED)]
    events = db.session.scalars(select(PlacementEvent.to_state).where(PlacementEvent.placement_id == placement_id)
                                .order_by(PlacementEvent.id)).all()
    assert events == [PlacementState.SUGGESTED, PlacementState.OFFERED, PlacementState.ACCEPTED]
    assert db.session.scalar(select(func.count()).select_from(PlacementEvent)) == 3
    changes = db.session.scalars(select(UnitStatusChange).where(UnitStatusChange.unit_id == unit.id)).all()
    assert [(c.from_status, c.to_status) for c in changes] == [(UnitStatus.AVAILABLE, UnitStatus.OFFERED)]
    db.session.refresh(unit)
    assert unit.status == UnitStatus.OFFERED


def test_one_winner_of_many_at_once(app, db, make_user, token_for, make_unit, make_household):
    """Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL (the ``app`` fixture's databases)."""
    _race(app, db, make_user, token_for, make_unit, make_household)


@pytest.mark.postgres_only
def test_the_race_has_postgresql():
    """The race above must also run on PostgreSQL: skipped only locally without a database, failed in CI."""
    if not os.environ.get("TEST_DATABASE_URL"):
        if os.environ.get("CI"):
            pytest.fail("CI is set but TEST_DATABASE_URL is not: the PostgreSQL race would not run")
        pytest.skip("no PostgreSQL here: set TEST_DATABASE_URL to run the race on it")
    from tests.conftest import DATABASES

    assert "postgresql" in DATABASES
