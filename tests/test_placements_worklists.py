"""Work lists: offers about to lapse, moves due, households waiting longest, high-risk households not placed."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from safehome.codes import CaseStatus
from safehome.services import Actor, placements, worklists
from tests.placement_fixtures import *  # noqa: F401,F403
from tests.placement_fixtures import TODAY

NOW = datetime(2030, 3, 2, 10, 0, tzinfo=timezone.utc)


def test_work_lists_of_a_housing_worker(db, make_user, make_household, make_unit):
    me, colleague = make_user("housing_worker"), make_user("housing_worker")
    actor = Actor(me)
    soon = make_household(worker=me)
    accepted = make_household(worker=me)
    long_wait = make_household(worker=me, waiting_since=TODAY - timedelta(days=90))
    high = make_household(worker=me, risk="high")
    make_household(worker=colleague, risk="high", waiting_since=TODAY - timedelta(days=200))  # not my case
    lapsing = placements.make_offer(db.session, actor, soon.id, make_unit().id, hold_hours=4, now=NOW)
    later = placements.make_offer(db.session, actor, accepted.id, make_unit().id, hold_hours=24, now=NOW)
    placements.accept(db.session, actor, later.id, now=NOW)
    lists = worklists.work_lists(db.session, actor, now=NOW + timedelta(minutes=5))
    assert [p.id for p in lists.lapsing] == [lapsing.id]
    assert [p.id for p in lists.moves_due] == [later.id]
    assert [h.id for h in lists.waiting_longest] == [long_wait.id, high.id]
    assert [h.id for h in lists.high_risk_unplaced] == [high.id]
    assert lists.counts == {"lapsing": 1, "moves_due": 1, "waiting": 2, "high_risk_unplaced": 1}
    # A manager sees every caseload; the colleague's high-risk case is the longest wait.
    manager = worklists.work_lists(db.session, Actor(make_user("manager")), now=NOW + timedelta(minutes=5))
    assert manager.counts["high_risk_unplaced"] == 2 and manager.waiting_longest[0].worker_id == colleague.id
    # Once the hold has passed the offer lapses and the household waits again.
    after = worklists.work_counts(db.session, actor, now=NOW + timedelta(hours=5))
    assert after == {"lapsing": 0, "moves_due": 1, "waiting": 3, "high_risk_unplaced": 1}


def test_counts_are_the_lists_lengths_and_never_waiting_cases_come_last(db, make_user, make_household, make_unit):
    """The counts (open cases less those placed, part by part of the caseload) are the lists' lengths."""
    me, colleague = make_user("housing_worker"), make_user("housing_worker")
    actor = Actor(me)
    mine = make_household(worker=me, waiting_since=TODAY - timedelta(days=9))
    unassigned = make_household(risk="high", waiting_since=TODAY - timedelta(days=30))
    never = make_household(worker=me, risk="high", waiting_since=None)  # sorts after every waiting case
    placed = make_household(risk="high")
    make_household(worker=colleague)
    make_household(worker=me, status=CaseStatus.CLOSED)
    offer = placements.make_offer(db.session, actor, placed.id, make_unit().id, hold_hours=48, now=NOW)
    placements.accept(db.session, actor, offer.id, now=NOW)
    lists = worklists.work_lists(db.session, actor, now=NOW, length=100)
    assert [h.id for h in lists.waiting_longest] == [unassigned.id, mine.id, never.id]
    assert [h.id for h in lists.high_risk_unplaced] == [unassigned.id, never.id]
    assert lists.counts == {"lapsing": 0, "moves_due": 1, "waiting": 3, "high_risk_unplaced": 2}
    manager = worklists.work_lists(db.session, Actor(make_user("manager")), now=NOW, length=100)
    assert manager.counts == {"lapsing": 0, "moves_due": 1, "waiting": 4, "high_risk_unplaced": 2}
    assert len(manager.waiting_longest) == 4 and manager.waiting_longest[-1].id == never.id
