"""The placement state machine, offers and their hold, decisions, moving in and out, and the unit following."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from safehome.codes import AuditAction, DeclineReason, PlacementState, UnitStatus
from safehome.errors import Conflict, NotFound, TransitionError, ValidationError
from safehome.models import AuditEvent, Placement, PlacementEvent, UnitStatusChange
from safehome.services import Actor, placements
from safehome.services.placements import TRANSITIONS
from tests.placement_fixtures import *  # noqa: F401,F403

P = PlacementState
NOW = datetime(2030, 3, 2, 10, 0, tzinfo=timezone.utc)  # a fixed "now", injected


@pytest.fixture
def worker(make_user):
    return Actor(make_user("housing_worker"))


@pytest.fixture
def manager(make_user):
    return Actor(make_user("manager"))


@pytest.fixture
def offer(db, worker, make_unit, make_household):
    """``offer()``: a fresh household offered a fresh unit at NOW; returns the placement."""

    def make(household=None, unit=None, actor=None, **kwargs) -> Placement:
        household = household or make_household()
        unit = unit or make_unit()
        placement = placements.make_offer(db.session, actor or worker, household.id, unit.id, now=NOW, **kwargs)
        db.session.commit()
        return placement

    return make


def _states(db, placement) -> list[tuple]:
    return [(e.from_state, e.to_state) for e in db.session.scalars(
        select(PlacementEvent).where(PlacementEvent.placement_id == placement.id).order_by(PlacementEvent.id))]


def _unit_status(db, placement) -> UnitStatus:
    db.session.refresh(placement.unit)
    return placement.unit.status


# The table itself -------------------------------------------------------------------------------

def test_transition_table_lists_every_state_and_only_these_moves():
    assert set(TRANSITIONS) == set(PlacementState)
    assert TRANSITIONS[P.SUGGESTED] == {P.OFFERED, P.WITHDRAWN}
    assert TRANSITIONS[P.OFFERED] == {P.ACCEPTED, P.DECLINED, P.LAPSED, P.WITHDRAWN}
    assert TRANSITIONS[P.ACCEPTED] == {P.MOVED_IN, P.WITHDRAWN}
    assert TRANSITIONS[P.MOVED_IN] == {P.MOVED_OUT}
    for final in (P.DECLINED, P.LAPSED, P.WITHDRAWN, P.MOVED_OUT):
        assert TRANSITIONS[final] == frozenset()


# Each path through the machine, the unit following ---------------------------------------------

def test_offer_holds_the_unit_and_writes_the_story(db, offer):
    placement = offer()
    assert placement.state == P.OFFERED
    assert placement.expires_at == NOW + timedelta(hours=24)
    assert _states(db, placement) == [(None, P.SUGGESTED), (P.SUGGESTED, P.OFFERED)]
    assert _unit_status(db, placement) == UnitStatus.OFFERED
    change = db.session.scalars(select(UnitStatusChange).where(UnitStatusChange.unit_id == placement.unit_id)).one()
    assert (change.from_status, change.to_status) == (UnitStatus.AVAILABLE, UnitStatus.OFFERED)


def test_accept_move_in_move_out(db, worker, offer):
    placement = offer()
    placements.accept(db.session, worker, placement.id, now=NOW + timedelta(hours=1))
    db.session.commit()
    assert placement.state == P.ACCEPTED and _unit_status(db, placement) == UnitStatus.OFFERED
    moved_in = date(2030, 3, 3)
    placements.move_in(db.session, worker, placement.id, moved_in, now=NOW + timedelta(days=2))
    db.session.commit()
    assert placement.moved_in_on == moved_in and _unit_status(db, placement) == UnitStatus.OCCUPIED
    placements.move_out(db.session, worker, placement.id, moved_out_on=date(2030, 5, 1), planned=True,
                        exit_tenure="council_rent", destination="council flat", now=NOW + timedelta(days=70))
    db.session.commit()
    assert placement.state == P.MOVED_OUT and placement.exit_tenure.value == "council_rent"
    assert placement.move_out_planned is True
    assert _unit_status(db, placement) == UnitStatus.VOID
    assert [to for _, to in _states(db, placement)] == [P.SUGGESTED, P.OFFERED, P.ACCEPTED, P.MOVED_IN, P.MOVED_OUT]


@pytest.mark.parametrize("reason", DeclineReason.codes())
def test_decline_with_each_reason_frees_the_unit(db, worker, offer, reason):
    placement = offer()
    note = "the household wants a different town" if reason == "other" else None
    placements.decline(db.session, worker, placement.id, reason=reason, decision_by="household", note=note, now=NOW)
    db.session.commit()
    assert placement.state == P.DECLINED and placement.decline_reason.value == reason
    assert placement.decision_by.value == "household"
    assert _unit_status(db, placement) == UnitStatus.AVAILABLE


def test_decline_needs_a_reason_whose_decision_and_text_for_other(db, worker, offer):
    placement = offer()
    with pytest.raises(ValidationError) as caught:
        placements.decline(db.session, worker, placement.id, reason="other", decision_by="nobody", now=NOW)
    assert set(caught.value.as_dict()) == {"decision_by", "note"}
    with pytest.raises(ValidationError) as caught:
        placements.decline(db.session, worker, placement.id, reason="bored", decision_by="provider", now=NOW)
    assert set(caught.value.as_dict()) == {"reason"}


def test_provider_decision_is_recorded(db, worker, offer):
    placement = offer()
    placements.decline(db.session, worker, placement.id, reason="provider_refused", decision_by="provider", now=NOW)
    assert placement.decision_by.value == "provider"


@pytest.mark.parametrize("after_accept", [False, True])
def test_withdraw_frees_the_unit(db, worker, offer, after_accept):
    placement = offer()
    if after_accept:
        placements.accept(db.session, worker, placement.id, now=NOW)
    placements.withdraw(db.session, worker, placement.id, note="the household moved away", now=NOW)
    db.session.commit()
    assert placement.state == P.WITHDRAWN and _unit_status(db, placement) == UnitStatus.AVAILABLE


# Every illegal move is refused with a clear 409 ----------------------------------------------------

def _to_state(db, worker, placement, state):
    """Drive a fresh offered placement to ``state`` by legal moves."""
    steps = {
        P.OFFERED: [],
        P.ACCEPTED: [lambda: placements.accept(db.session, worker, placement.id, now=NOW)],
        P.DECLINED: [lambda: placements.decline(db.session, worker, placement.id, reason="area_unsafe",
                                                decision_by="household", now=NOW)],
        P.WITHDRAWN: [lambda: placements.withdraw(db.session, worker, placement.id, now=NOW)],
        P.LAPSED: [lambda: placements.lapse_expired(db.session, NOW + timedelta(hours=25))],
        P.MOVED_IN: [lambda: placements.accept(db.session, worker, placement.id, now=NOW),
                     lambda: placements.move_in(db.session, worker, placement.id, date(2030, 3, 2),
                                                now=NOW + timedelta(days=1))],
    }
    steps[P.MOVED_OUT] = steps[P.MOVED_IN] + [
        lambda: placements.move_out(db.session, worker, placement.id, moved_out_on=date(2030, 3, 4), planned=False,
                                    exit_tenure="unknown", now=NOW + timedelta(days=5))]
    for step in steps[state]:
        step()
    db.session.commit()
    assert placement.state == state


ACTIONS = {
    P.ACCEPTED: lambda db, w, p: placements.accept(db.session, w, p.id, now=NOW + timedelta(hours=1)),
    P.DECLINED: lambda db, w, p: placements.decline(db.session, w, p.id, reason="area_unsafe",
                                                    decision_by="household", now=NOW + timedelta(hours=1)),
    P.WITHDRAWN: lambda db, w, p: placements.withdraw(db.session, w, p.id, now=NOW + timedelta(hours=1)),
    P.MOVED_IN: lambda db, w, p: placements.move_in(db.session, w, p.id, date(2030, 3, 2),
                                                    now=NOW + timedelta(hours=1)),
    P.MOVED_OUT: lambda db, w, p: placements.move_out(db.session, w, p.id, moved_out_on=date(2030, 3, 2),
                                                      planned=True, exit_tenure="unknown",
                                                      now=NOW + timedelta(hours=1)),
}
ILLEGAL = [(start, to) for start in (P.OFFERED, P.ACCEPTED, P.DECLINED, P.LAPSED, P.WITHDRAWN, P.MOVED_IN, P.MOVED_OUT)
           for to in ACTIONS if to not in TRANSITIONS[start]]


@pytest.mark.parametrize(("start", "to"), ILLEGAL, ids=[f"{a.value}->{b.value}" for a, b in ILLEGAL])
def test_illegal_move_is_refused_and_changes_nothing(db, worker, offer, start, to):
    placement = offer()
    _to_state(db, worker, placement, start)
    events_before = len(_states(db, placement))
    unit_before = _unit_status(db, placement)
    with pytest.raises(TransitionError) as caught:
        ACTIONS[to](db, worker, placement)
    db.session.rollback()
    assert caught.value.status == 409
    assert start.label.lower() in caught.value.message
    db.session.refresh(placement)
    assert placement.state == start and len(_states(db, placement)) == events_before
    assert _unit_status(db, placement) == unit_before


# The hold and the lapse --------------------------------------------------------------------------

def test_offer_lapses_after_its_hold_and_not_before(db, offer):
    placement = offer(hold_hours=24)
    assert placements.lapse_expired(db.session, NOW + timedelta(hours=23, minutes=59)) == 0
    assert placement.state == P.OFFERED
    assert placements.lapse_expired(db.session, NOW + timedelta(hours=24)) == 1
    db.session.commit()
    assert placement.state == P.LAPSED and _unit_status(db, placement) == UnitStatus.AVAILABLE
    lapse = db.session.scalars(select(PlacementEvent).where(PlacementEvent.to_state == P.LAPSED)).one()
    assert lapse.by_user_id is None  # the system lapsed it


def test_accepting_an_expired_offer_lapses_it_first(db, worker, offer):
    placement = offer()
    with pytest.raises(TransitionError, match="lapsed"):
        placements.accept(db.session, worker, placement.id, now=NOW + timedelta(hours=25))


def test_reading_a_household_lapses_its_expired_offers(db, worker, offer):
    placement = offer()
    listed = placements.placements_of_household(db.session, worker, placement.household_id,
                                                now=NOW + timedelta(days=2))
    assert [p.state for p in listed] == [P.LAPSED]


def test_hold_comes_from_the_setting(db, offer):
    placement = offer(hold_hours=48)
    assert placement.expires_at == NOW + timedelta(hours=48)


def test_lapse_offers_command(app, db, offer, runner):
    placement = offer(hold_hours=1)
    db.session.execute(Placement.__table__.update().values(expires_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
    db.session.commit()
    result = runner.invoke(args=["lapse-offers"])
    assert result.exit_code == 0, result.output
    assert "1 offer lapsed" in result.output
    db.session.refresh(placement)
    assert placement.state == P.LAPSED


# One live offer per household; a manager may allow more ------------------------------------------

def test_second_live_offer_needs_a_manager(db, worker, manager, offer, make_unit, make_household):
    household = make_household()
    first = offer(household=household)
    second_unit = make_unit()
    with pytest.raises(Conflict, match="already holds a live offer"):
        placements.make_offer(db.session, worker, household.id, second_unit.id, now=NOW)
    db.session.rollback()
    with pytest.raises(ValidationError) as caught:
        placements.make_offer(db.session, worker, household.id, second_unit.id, now=NOW,
                              override_reason="two options for the family")
    assert "override_reason" in caught.value.as_dict()
    db.session.rollback()
    second = placements.make_offer(db.session, manager, household.id, second_unit.id, now=NOW,
                                   override_reason="two options for the family")
    db.session.commit()
    assert second.override_reason == "two options for the family"
    override = db.session.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.OVERRIDE)).one()
    assert override.record_id == second.id and "second_offer" in override.detail
    # Accepting one withdraws the other, and its unit is free again.
    placements.accept(db.session, worker, second.id, now=NOW)
    db.session.commit()
    db.session.refresh(first)
    assert first.state == P.WITHDRAWN and _unit_status(db, first) == UnitStatus.AVAILABLE


def test_unit_already_offered_is_refused(db, worker, offer, make_household):
    placement = offer()
    with pytest.raises(Conflict, match="not free"):
        placements.make_offer(db.session, worker, make_household().id, placement.unit_id, now=NOW)


def test_closed_case_cannot_be_offered(db, worker, make_unit, make_household):
    household = make_household(status="closed")
    with pytest.raises(Conflict, match="closed"):
        placements.make_offer(db.session, worker, household.id, make_unit().id, now=NOW)


def test_offer_to_unknown_household_or_unit(db, worker, make_household):
    with pytest.raises(NotFound):
        placements.make_offer(db.session, worker, 999999, 1, now=NOW)
    with pytest.raises(ValidationError) as caught:
        placements.make_offer(db.session, worker, make_household().id, 999999, now=NOW)
    assert "unit_id" in caught.value.as_dict()


# Moving in and out: dates and fields ---------------------------------------------------------------

def test_move_in_date_cannot_be_future_or_before_the_offer(db, worker, offer):
    placement = offer()
    placements.accept(db.session, worker, placement.id, now=NOW)
    for day in (date(2030, 3, 10), date(2030, 2, 1), "not a date"):
        with pytest.raises(ValidationError) as caught:
            placements.move_in(db.session, worker, placement.id, day, now=NOW + timedelta(days=1))
        assert "moved_in_on" in caught.value.as_dict()


def test_move_out_names_every_bad_field(db, worker, offer):
    placement = offer()
    _to_state(db, worker, placement, P.MOVED_IN)
    with pytest.raises(ValidationError) as caught:
        placements.move_out(db.session, worker, placement.id, moved_out_on=date(2030, 3, 1), planned="maybe",
                            exit_tenure="castle", destination="x" * 201, now=NOW + timedelta(days=9))
    assert set(caught.value.as_dict()) == {"moved_out_on", "planned", "exit_tenure", "destination"}
