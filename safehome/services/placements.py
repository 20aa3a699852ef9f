"""Placements: offers, decisions, moving in and out, and the batch match's approval.

The state machine
-----------------
``TRANSITIONS`` below is the one list of allowed moves (``codes.PlacementState``)::

    suggested -> offered | withdrawn        (an offer is made; or a proposal dropped)
    offered   -> accepted | declined | lapsed | withdrawn
    accepted  -> moved_in | withdrawn
    moved_in  -> moved_out

Any other move raises ``TransitionError`` (409). Every move writes a
``PlacementEvent`` (who, when, from, to, note), and the unit's status follows
on its own through ``inventory.change_status(..., by_placement=True)``
(``UNIT_FOLLOWS``): offered while an offer is out or accepted, occupied on
moving in, void on moving out (while it is made ready), available again when an
offer is declined, lapses or is withdrawn.

No double booking: the database allows one live placement per unit (a partial
unique index), and the offer and decision paths lock the household and unit
rows first (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite, which has one
writer at a time, by taking the write lock before reading), always in that
order, so a second request waits and then sees the first one's result.

Offers lapse on their own: every path that reads or changes placements first
lapses offers past their hold (``lapse_expired``), in the same transaction, and
``flask lapse-offers`` does it from cron.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Select, event, false, select, text
from sqlalchemy.orm import Session, scoped_session, selectinload

from safehome.codes import (
    LIVE_PLACEMENT_STATES,
    AuditAction,
    CaseStatus,
    DecisionBy,
    DeclineReason,
    MatchRunStatus,
    PlacementSource,
    PlacementState,
    Role,
    Tenure,
    UnitStatus,
    UnitType,
)
from safehome.errors import Conflict, FieldProblem, NotFound, TransitionError, ValidationError
from safehome.models import Household, MatchRun, PerpetratorRequest, Placement, PlacementEvent, Site, Unit, User
from safehome.models.base import utcnow
from safehome.permissions import Permission, can
from safehome.services import SYSTEM, Actor, access, audit, inventory, matching, perpetrator
from safehome.services.timeliness import today_uk

log = logging.getLogger(__name__)

P = PlacementState
TRANSITIONS: dict[PlacementState, frozenset[PlacementState]] = {
    P.SUGGESTED: frozenset({P.OFFERED, P.WITHDRAWN}),
    P.OFFERED: frozenset({P.ACCEPTED, P.DECLINED, P.LAPSED, P.WITHDRAWN}),
    P.ACCEPTED: frozenset({P.MOVED_IN, P.WITHDRAWN}),
    P.MOVED_IN: frozenset({P.MOVED_OUT}),
    P.DECLINED: frozenset(),
    P.LAPSED: frozenset(),
    P.WITHDRAWN: frozenset(),
    P.MOVED_OUT: frozenset(),
}
# The unit's status after each move (a suggestion never held the unit, so dropping one changes nothing).
UNIT_FOLLOWS: dict[PlacementState, UnitStatus] = {
    P.OFFERED: UnitStatus.OFFERED,
    P.DECLINED: UnitStatus.AVAILABLE,
    P.LAPSED: UnitStatus.AVAILABLE,
    P.WITHDRAWN: UnitStatus.AVAILABLE,
    P.MOVED_IN: UnitStatus.OCCUPIED,
    P.MOVED_OUT: UnitStatus.VOID,
}
# Offered and accepted placements are "offers" for the one-live-offer rule; moved in is a home.
OFFER_STATES = (P.OFFERED, P.ACCEPTED)
VERB = {P.OFFERED: "offered", P.ACCEPTED: "accepted", P.DECLINED: "declined", P.LAPSED: "lapsed",
        P.WITHDRAWN: "withdrawn", P.MOVED_IN: "moved into", P.MOVED_OUT: "moved out of"}
NOTE_MAX = 2000
DESTINATION_MAX = 200
DEFAULT_HOLD_HOURS = 24


# Scoping and locks -----------------------------------------------------------------------------

def scope_placements(query: Select, user) -> Select:
    """Limit a query on ``Placement`` to what the user may see: providers their own units' placements."""
    if user is None:
        return query.where(false())
    if user.role in (Role.HOUSING_WORKER, Role.MANAGER):
        return query
    if user.role == Role.PROVIDER:
        own = select(Unit.id).join(Site, Site.id == Unit.site_id).where(
            Site.provider_id == access.provider_scope(user))
        return query.where(Placement.unit_id.in_(own))
    return query.where(Placement.household_id.in_(select(Household.id).where(access.household_scope(user))))


def get_placement(session: Session, actor: Actor, placement_id: int, now: datetime | None = None) -> Placement:
    """A placement the actor may see (offers past their hold lapsed first), or NotFound."""
    lapse_expired(session, now)
    placement = None
    if isinstance(placement_id, int) and 1 <= placement_id <= access.MAX_ID:
        placement = session.scalar(scope_placements(select(Placement).where(Placement.id == placement_id),
                                                    actor.user))
    if placement is None:
        raise NotFound("No such placement.")
    return placement


def _take_write_lock(session: Session) -> None:
    """SQLite: start writing now, so every read after this sees the last committed state.

    SQLite has one writer at a time; a transaction that read first and wrote later could
    act on a stale read. A write that touches no row takes the lock (waiting its turn).
    """
    session.execute(text("UPDATE placements SET id = id WHERE 1 = 0"))


def _lock(session: Session, model, record_id: int):
    """The row, locked until commit (PostgreSQL FOR UPDATE), re-read from the database."""
    if session.get_bind().dialect.name != "postgresql":
        _take_write_lock(session)
    return session.get(model, record_id, with_for_update=True, populate_existing=True)


# The one place a placement moves -----------------------------------------------------------

def _move(session: Session, actor: Actor, placement: Placement, to: PlacementState, note: str | None = None,
          now: datetime | None = None) -> None:
    """Move a placement along TRANSITIONS, write its event, and let the unit's status follow."""
    old = placement.state
    if to not in TRANSITIONS[old]:
        raise TransitionError(
            f"This placement is {old.label.lower()}: it cannot be {VERB.get(to, to.value)} now.",
            [FieldProblem("state", f"cannot go from {old.value} to {to.value}")])
    placement.state = to
    session.add(PlacementEvent(placement_id=placement.id, household_id=placement.household_id, at=now or utcnow(),
                               by_user_id=actor.user_id, from_state=old, to_state=to, note=note))
    if to in UNIT_FOLLOWS and not (old == P.SUGGESTED and to == P.WITHDRAWN):
        inventory.change_status(session, actor, placement.unit, UNIT_FOLLOWS[to],
                                note=f"placement {placement.id} {to.value}", by_placement=True,
                                today=today_uk(now))
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, "placement", placement.id, f"{old.value}->{to.value}")


def lapse_expired(session: Session, now: datetime | None = None) -> int:
    """Lapse every offer past its hold; the units become available. Returns how many lapsed."""
    now = now or utcnow()
    query = select(Placement.id).where(Placement.state == P.OFFERED, Placement.expires_at <= now)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # one that another request holds is its to settle
    ids = list(session.scalars(query))
    for placement_id in ids:
        placement = session.get(Placement, placement_id)
        _move(session, SYSTEM, placement, P.LAPSED, "the offer was not answered within its hold", now)
    return len(ids)


# Offers ----------------------------------------------------------------------------------------

def _clean_note(problems: list[FieldProblem], note: str | None, name: str = "note") -> str | None:
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        problems.append(FieldProblem(name, f"must be at most {NOTE_MAX} characters"))
    return note


def _only_note(note: str | None, refused: str) -> str | None:
    """A change whose only input is an optional note: the cleaned note, or ValidationError."""
    problems: list[FieldProblem] = []
    note = _clean_note(problems, note)
    if problems:
        raise ValidationError(refused, problems)
    return note


def may_override(actor: Actor) -> bool:
    return actor.user is not None and can(actor.user.role, Permission.PLACEMENT_OVERRIDE)


def live_offers(session: Session, household_id: int) -> list[Placement]:
    return list(session.scalars(select(Placement).where(Placement.household_id == household_id,
                                                        Placement.state.in_(OFFER_STATES))))


def make_offer(session: Session, actor: Actor, household_id: int, unit_id: int, *,
               source: PlacementSource = PlacementSource.HAND, override_reason: str | None = None,
               match_run_id: int | None = None, hold_hours: int = DEFAULT_HOLD_HOURS,
               now: datetime | None = None) -> Placement:
    """Offer a unit to a household, holding it for ``hold_hours``.

    Checked by the engine's hard rules exactly as a suggested unit is (a breach is a
    ValidationError naming the rule); a unit that misses the household's preferences while
    another free unit meets them, or a second live offer, needs a manager's override with a
    reason (audited). Raises NotFound, Conflict (unit not free, case closed, second offer),
    ValidationError.
    """
    now = now or utcnow()
    household = access.get_household_for(session, actor.user, household_id)
    if not isinstance(unit_id, int) or not 1 <= unit_id <= access.MAX_ID:
        raise ValidationError.one("unit_id", "no such unit")
    lapse_expired(session, now)
    household = _lock(session, Household, household.id)
    unit = _lock(session, Unit, unit_id)
    if unit is None:
        raise ValidationError.one("unit_id", "no such unit")
    problems: list[FieldProblem] = []
    override_reason = _clean_note(problems, override_reason, "override_reason")
    if override_reason and not may_override(actor):
        problems.append(FieldProblem("override_reason", "only a manager may override a preference"))
    if problems:
        raise ValidationError("The offer was not made.", problems)
    if household.status != CaseStatus.OPEN:
        raise Conflict("This case is closed: reopen it before making an offer.")
    if unit.retired_at is not None or unit.status != UnitStatus.AVAILABLE:
        raise Conflict(f"This unit is not free (it is {unit.status.label.lower()}).",
                       [FieldProblem("unit_id", "is not available")])
    check = matching.check_offer(session, household, unit, today_uk(now))
    if check.breaches:
        raise ValidationError("This unit breaks the rules for this household: "
                              + "; ".join(message for _, message in check.breaches) + ".",
                              [FieldProblem("unit_id", message) for _, message in check.breaches])
    overridden = []
    if check.soft and source != PlacementSource.BATCH:
        if not override_reason:
            raise ValidationError(
                "This unit " + check.soft[0] + ". A manager may override this with a reason.",
                [FieldProblem("override_reason", "a manager's reason is needed: the unit " + check.soft[0])])
        overridden.append(matching.SOFT_RULE)
    if live_offers(session, household.id):
        if not override_reason:
            raise Conflict("This household already holds a live offer. A manager may allow a second one.",
                           [FieldProblem("household_id", "already holds a live offer")])
        overridden.append("second_offer")
    placement = Placement(household_id=household.id, unit_id=unit.id, unit=unit, state=P.SUGGESTED, source=source,
                          match_run_id=match_run_id, fit=check.fit, why=list(check.why),
                          override_reason=override_reason if overridden else None,
                          overridden_by_id=actor.user_id if overridden else None)
    session.add(placement)
    session.flush()
    session.add(PlacementEvent(placement_id=placement.id, household_id=household.id, at=now,
                               by_user_id=actor.user_id, from_state=None, to_state=P.SUGGESTED,
                               note=source.label + (f" (run {match_run_id})" if match_run_id else "")))
    audit.record(session, actor, AuditAction.CREATE, "placement", placement.id, f"source={source.value}")
    placement.offered_at = now
    placement.offered_by_id = actor.user_id
    placement.expires_at = now + timedelta(hours=hold_hours)
    _move(session, actor, placement, P.OFFERED, f"held for {hold_hours} hours", now)
    if overridden:
        audit.record(session, actor, AuditAction.OVERRIDE, "placement", placement.id,
                     "overrode " + ",".join(overridden))
    return placement


def _placement_for_change(session: Session, actor: Actor, placement_id: int, now: datetime) -> Placement:
    """The placement, with its household and unit locked (in the offer path's order), re-read."""
    placement = get_placement(session, actor, placement_id, now)
    _lock(session, Household, placement.household_id)
    _lock(session, Unit, placement.unit_id)
    return _lock(session, Placement, placement.id)


# Decisions -------------------------------------------------------------------------------------

def accept(session: Session, actor: Actor, placement_id: int, note: str | None = None,
           now: datetime | None = None) -> Placement:
    """The household accepts the offer; its other live offers are withdrawn."""
    now = now or utcnow()
    note = _only_note(note, "The offer was not accepted.")
    placement = _placement_for_change(session, actor, placement_id, now)
    _move(session, actor, placement, P.ACCEPTED, note, now)
    placement.decided_at = now
    placement.decision_by = DecisionBy.HOUSEHOLD
    for other in live_offers(session, placement.household_id):
        if other.id != placement.id:
            _lock(session, Unit, other.unit_id)
            _move(session, actor, other, P.WITHDRAWN, f"another offer (placement {placement.id}) was accepted", now)
    session.flush()
    return placement


def decline(session: Session, actor: Actor, placement_id: int, *, reason: str | None, decision_by: str | None,
            note: str | None = None, now: datetime | None = None) -> Placement:
    """The offer is declined, by the household or the provider, for a coded reason ("other" needs a note)."""
    now = now or utcnow()
    problems: list[FieldProblem] = []
    if reason not in DeclineReason.codes():
        problems.append(FieldProblem("reason", "choose a reason"))
    if decision_by not in DecisionBy.codes():
        problems.append(FieldProblem("decision_by", "say whose decision it was"))
    note = _clean_note(problems, note)
    if reason == DeclineReason.OTHER and not note:
        problems.append(FieldProblem("note", "say what the other reason is"))
    if problems:
        raise ValidationError("The decline was not recorded.", problems)
    placement = _placement_for_change(session, actor, placement_id, now)
    _move(session, actor, placement, P.DECLINED, note, now)
    placement.decided_at = now
    placement.decision_by = DecisionBy(decision_by)
    placement.decline_reason = DeclineReason(reason)
    placement.decline_note = note
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, "placement", placement.id,
                 f"declined reason={reason} by={decision_by}")
    return placement


def withdraw(session: Session, actor: Actor, placement_id: int, note: str | None = None,
             now: datetime | None = None) -> Placement:
    """Withdraw an offer (or an accepted placement before moving in); the unit is free again."""
    now = now or utcnow()
    note = _only_note(note, "The offer was not withdrawn.")
    placement = _placement_for_change(session, actor, placement_id, now)
    _move(session, actor, placement, P.WITHDRAWN, note, now)
    return placement


# Moving in and out -------------------------------------------------------------------------------

def _day(problems: list[FieldProblem], name: str, value, earliest: date | None, latest: date) -> date | None:
    if isinstance(value, datetime) or not isinstance(value, date):
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                value = None
        else:
            value = None
        if value is None:
            problems.append(FieldProblem(name, "enter a date (YYYY-MM-DD)"))
            return None
    if value > latest:
        problems.append(FieldProblem(name, "cannot be in the future"))
    elif earliest is not None and value < earliest:
        problems.append(FieldProblem(name, f"cannot be before {earliest.isoformat()}"))
    return value


def move_in(session: Session, actor: Actor, placement_id: int, moved_in_on, note: str | None = None,
            now: datetime | None = None) -> Placement:
    """The household moved in on ``moved_in_on`` (not before the offer, not in the future); the unit is occupied."""
    now = now or utcnow()
    placement = get_placement(session, actor, placement_id, now)
    problems: list[FieldProblem] = []
    offered = today_uk(placement.offered_at) if placement.offered_at else None
    day = _day(problems, "moved_in_on", moved_in_on, offered, today_uk(now))
    note = _clean_note(problems, note)
    if problems:
        raise ValidationError("The move-in was not recorded.", problems)
    placement = _placement_for_change(session, actor, placement_id, now)
    _move(session, actor, placement, P.MOVED_IN, note, now)
    placement.moved_in_on = day
    session.flush()
    return placement


def move_out(session: Session, actor: Actor, placement_id: int, *, moved_out_on, planned, exit_tenure: str | None,
             destination: str | None = None, note: str | None = None, now: datetime | None = None) -> Placement:
    """The household moved out: the day, planned or not, where to (the kind of place) and the tenure at exit.

    The unit goes void while it is made ready.
    """
    now = now or utcnow()
    placement = get_placement(session, actor, placement_id, now)
    problems: list[FieldProblem] = []
    day = _day(problems, "moved_out_on", moved_out_on, placement.moved_in_on, today_uk(now))
    if not isinstance(planned, bool):
        problems.append(FieldProblem("planned", "say whether the move was planned"))
    if exit_tenure not in Tenure.codes():
        problems.append(FieldProblem("exit_tenure", "choose the tenure at exit"))
    destination = (destination or "").strip() or None
    if destination is not None and len(destination) > DESTINATION_MAX:
        problems.append(FieldProblem("destination", f"must be at most {DESTINATION_MAX} characters"))
    note = _clean_note(problems, note)
    if problems:
        raise ValidationError("The move-out was not recorded.", problems)
    placement = _placement_for_change(session, actor, placement_id, now)
    _move(session, actor, placement, P.MOVED_OUT, note, now)
    placement.moved_out_on = day
    placement.move_out_planned = planned
    placement.exit_tenure = Tenure(exit_tenure)
    placement.destination = destination
    session.flush()
    return placement


# Reading ---------------------------------------------------------------------------------------------
# What a person is shown is scoped by role here, not in the pages: the service's staff and a provider
# (its own units) get the placements themselves; anyone else who may read a case (Housing Options)
# gets ``CouncilPlacement``, which holds nothing that could find the place.

FULL_VIEW_ROLES = frozenset({Role.HOUSING_WORKER, Role.MANAGER, Role.PROVIDER})


def sees_council_view(actor: Actor) -> bool:
    """Whether the actor is shown placements as ``CouncilPlacement`` (every role but staff and providers)."""
    return actor.user is None or actor.user.role not in FULL_VIEW_ROLES


@dataclass(frozen=True)
class CouncilEvent:
    """A step of a placement's life as the council sees it: who and when, without the worker's note."""

    at: datetime
    placement_id: int
    from_state: PlacementState | None
    to_state: PlacementState
    by_user: User | None  # shown by name; None: the system


@dataclass(frozen=True)
class CouncilPlacement:
    """A placement as Housing Options may see it: what kind of place, in which council, and its life.

    Never the unit (no unit, site or provider name, no unit id), never the engine's fit or reasons
    ("1.3 km from <one of the household's places>"), never a worker's note, decline note or override
    reason: any of them could lead to a refuge.
    """

    id: int
    household_id: int
    state: PlacementState
    unit_type: UnitType
    area: str  # the council the unit is in
    source: PlacementSource
    offered_at: datetime | None
    expires_at: datetime | None
    decided_at: datetime | None
    decision_by: DecisionBy | None
    decline_reason: DeclineReason | None
    moved_in_on: date | None
    moved_out_on: date | None
    move_out_planned: bool | None
    destination: str | None  # the household's next home, the kind of place (as the move-on page shows it)
    exit_tenure: Tenure | None
    events: list[CouncilEvent]

    @property
    def place(self) -> str:
        """The unit as the council may know it: "a refuge place in Leicester"."""
        kind = self.unit_type.label.lower()
        return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} place in {self.area}"


def _council_event(event_: PlacementEvent) -> CouncilEvent:
    return CouncilEvent(event_.at, event_.placement_id, event_.from_state, event_.to_state, event_.by_user)


def _council_placement(placement: Placement) -> CouncilPlacement:
    p = placement
    return CouncilPlacement(
        id=p.id, household_id=p.household_id, state=p.state, unit_type=p.unit.type, area=p.unit.site.area,
        source=p.source, offered_at=p.offered_at, expires_at=p.expires_at, decided_at=p.decided_at,
        decision_by=p.decision_by, decline_reason=p.decline_reason, moved_in_on=p.moved_in_on,
        moved_out_on=p.moved_out_on, move_out_planned=p.move_out_planned, destination=p.destination,
        exit_tenure=p.exit_tenure, events=[_council_event(e) for e in p.events])


def _as_seen(session: Session, actor: Actor, query: Select) -> list[Placement] | list[CouncilPlacement]:
    """The placements of ``query`` (already scoped to the actor) as the actor may see them."""
    if not sees_council_view(actor):
        return list(session.scalars(query))
    query = query.options(selectinload(Placement.unit).selectinload(Unit.site),
                          selectinload(Placement.events).selectinload(PlacementEvent.by_user))
    return [_council_placement(p) for p in session.scalars(query)]


def view_placement(session: Session, actor: Actor, placement_id: int) -> Placement | CouncilPlacement:
    """One placement for a person to read, as their role may see it (``get_placement``'s rules)."""
    placement = get_placement(session, actor, placement_id)
    return _council_placement(placement) if sees_council_view(actor) else placement


def placements_of_household(session: Session, actor: Actor, household_id: int,
                            now: datetime | None = None) -> list[Placement] | list[CouncilPlacement]:
    """The household's placements, newest first (offers past their hold lapsed first), as the actor may
    see them."""
    lapse_expired(session, now)
    query = (select(Placement).where(Placement.household_id == household_id)
             .options(selectinload(Placement.unit).selectinload(Unit.site))
             .order_by(Placement.created_at.desc(), Placement.id.desc()))
    return _as_seen(session, actor, scope_placements(query, actor.user))


def life_story(session: Session, actor: Actor, household_id: int) -> list[PlacementEvent] | list[CouncilEvent]:
    """Every event of the household's placements, in order, as the actor may see them."""
    visible = scope_placements(select(Placement.id).where(Placement.household_id == household_id), actor.user)
    events = list(session.scalars(
        select(PlacementEvent).where(PlacementEvent.household_id == household_id,
                                     PlacementEvent.placement_id.in_(visible))
        .options(selectinload(PlacementEvent.by_user), selectinload(PlacementEvent.placement))
        .order_by(PlacementEvent.at, PlacementEvent.id)))
    return [_council_event(e) for e in events] if sees_council_view(actor) else events


def search(session: Session, actor: Actor, *, household_id: int | None = None, unit_id: int | None = None,
           state: str | None = None, limit: int = 100, offset: int = 0,
           now: datetime | None = None) -> list[Placement] | list[CouncilPlacement]:
    """Placements the actor may see, newest first, filtered, as the actor may see them."""
    lapse_expired(session, now)
    query = select(Placement).order_by(Placement.id.desc())
    if household_id is not None:
        query = query.where(Placement.household_id == household_id)
    if unit_id is not None:
        query = query.where(Placement.unit_id == unit_id)
    if state:
        query = query.where(Placement.state == PlacementState(state))
    return _as_seen(session, actor, scope_placements(query, actor.user).limit(limit).offset(offset))


@dataclass(frozen=True)
class Occupancy:
    """A unit's placements and what its status history adds up to."""

    unit: Unit
    placements: list[Placement]
    history: inventory.UnitHistory


def unit_occupancy(session: Session, actor: Actor, unit_id: int, now: datetime | None = None) -> Occupancy:
    """The unit's occupancy history (placements, newest first), void days and turnaround."""
    lapse_expired(session, now)
    unit = inventory.get_unit(session, actor, unit_id)
    placements = list(session.scalars(
        scope_placements(select(Placement).where(Placement.unit_id == unit.id), actor.user)
        .options(selectinload(Placement.household)).order_by(Placement.created_at.desc(), Placement.id.desc())))
    return Occupancy(unit, placements, inventory.unit_history(session, unit, now=now))


def waiting_households():
    """Open cases with no live placement: who the batch match is for."""
    live = select(Placement.household_id).where(Placement.state.in_(LIVE_PLACEMENT_STATES))
    return select(Household).where(Household.status == CaseStatus.OPEN, Household.id.not_in(live))



# The batch match ------------------------------------------------------------------------------------
# A manager starts a run; the engine works in a background thread with its own app context and
# session (runs take seconds); the page polls its status. Offers go out only when the manager
# approves all or some of the proposals, each through make_offer and its rule check. Filed
# perpetrator-accommodation requests are matched in the same run, first and never from where their
# victims are (matching.solve_batch), approved through perpetrator.match and its own check, and
# the victims are kept from the units proposed to them.

STALE_RUN = timedelta(hours=1)  # a run "running" longer than this died with its process


def start_batch(session: Session, actor: Actor, now: datetime | None = None) -> MatchRun:
    """Record a new batch run (queued). The caller starts the work once this is committed."""
    now = now or utcnow()
    busy = session.scalar(select(MatchRun.id).where(
        MatchRun.status.in_((MatchRunStatus.QUEUED, MatchRunStatus.RUNNING)), MatchRun.started_at > now - STALE_RUN))
    if busy is not None:
        raise Conflict(f"Batch run {busy} is still running: wait for it to finish.")
    run = MatchRun(started_by_id=actor.user_id, started_at=now, status=MatchRunStatus.QUEUED)
    session.add(run)
    session.flush()
    audit.record(session, actor, AuditAction.MATCH_RUN, "match_run", run.id, "batch started")
    return run


def execute_batch(session: Session, run_id: int, *, time_limit: float, now: datetime | None = None) -> MatchRun:
    """Run the engine for a queued run over every waiting household, every filed perpetrator request and
    every free unit; store its answer."""
    now = now or utcnow()
    run = session.get(MatchRun, run_id)
    if run is None or run.status not in (MatchRunStatus.QUEUED, MatchRunStatus.RUNNING):
        raise Conflict("This batch run is not waiting to start.")
    run.status = MatchRunStatus.RUNNING
    lapse_expired(session, now)
    households = list(session.scalars(waiting_households().options(
        selectinload(Household.members), selectinload(Household.excluded_areas)).order_by(Household.id)))
    answer = matching.solve_batch(session, households, time_limit, today_uk(now),
                                  perpetrator.waiting_for_batch(session))
    run.households, run.units = answer.households, answer.units
    run.solver_status, run.objective, run.seconds = answer.status, answer.objective, round(answer.seconds, 3)
    run.proposals, run.unplaced = answer.proposals, answer.unplaced
    run.perpetrator_proposals, run.perpetrator_unplaced = answer.perpetrator_proposals, answer.perpetrator_unplaced
    run.status = MatchRunStatus.DONE
    run.finished_at = utcnow()
    session.flush()
    return run


def mark_running(session: Session, run_id: int) -> None:
    """Show a queued run as running (committed by the caller before the engine starts)."""
    run = session.get(MatchRun, run_id)
    if run is not None and run.status == MatchRunStatus.QUEUED:
        run.status = MatchRunStatus.RUNNING
        session.flush()


def launch_batch(app, session: Session, run_id: int, *, time_limit: float, inline: bool = False) -> None:
    """Run the engine for ``run_id`` once the request that queued it commits.

    A background thread with its own app context and database session does the work and
    commits it (it is its own request boundary); ``inline`` runs it at once in this
    session instead (a setting for tests and the command line).
    """
    if inline:
        execute_batch(session, run_id, time_limit=time_limit)
        return
    real = session() if isinstance(session, scoped_session) else session

    def start(_session) -> None:
        threading.Thread(target=_batch_thread, args=(app, run_id, time_limit), name=f"match-run-{run_id}",
                         daemon=True).start()

    event.listen(real, "after_commit", start, once=True)


def _batch_thread(app, run_id: int, time_limit: float) -> None:
    from safehome.extensions import db

    with app.app_context():
        try:
            mark_running(db.session, run_id)
            db.session.commit()
            execute_batch(db.session, run_id, time_limit=time_limit)
            db.session.commit()
        except Exception as exc:  # the run must end as failed, whatever went wrong; the page says so
            db.session.rollback()
            log.exception("batch run %s failed", run_id)
            fail_batch(db.session, run_id, type(exc).__name__)
            db.session.commit()
        finally:
            db.session.remove()


def fail_batch(session: Session, run_id: int, error: str) -> None:
    """Mark a run failed (``error`` is an exception's type name, never data)."""
    run = session.get(MatchRun, run_id)
    if run is not None:
        run.status = MatchRunStatus.FAILED
        run.error = error[:200]
        run.finished_at = utcnow()
        session.flush()


def get_run(session: Session, run_id: int) -> MatchRun:
    run = session.get(MatchRun, run_id) if isinstance(run_id, int) and 1 <= run_id <= access.MAX_ID else None
    if run is None:
        raise NotFound("No such batch run.")
    return run


def list_runs(session: Session, limit: int = 20) -> list[MatchRun]:
    return list(session.scalars(select(MatchRun).order_by(MatchRun.id.desc()).limit(limit)))


@dataclass(frozen=True)
class RunChanges:
    """What a run proposes differently from the last finished run before it."""

    previous_id: int | None
    new: list[int]        # households proposed a unit now, not before
    moved: list[int]      # households proposed a different unit
    dropped: list[int]    # households proposed a unit before, not now


def run_changes(session: Session, run: MatchRun) -> RunChanges:
    previous = session.scalar(select(MatchRun).where(MatchRun.id < run.id, MatchRun.status == MatchRunStatus.DONE)
                              .order_by(MatchRun.id.desc()).limit(1))
    if previous is None:
        return RunChanges(None, [], [], [])
    before = {p["household_id"]: p["unit_id"] for p in previous.proposals}
    now = {p["household_id"]: p["unit_id"] for p in run.proposals}
    return RunChanges(previous.id, sorted(set(now) - set(before)),
                      sorted(h for h in set(now) & set(before) if now[h] != before[h]),
                      sorted(set(before) - set(now)))


@dataclass(frozen=True)
class Approval:
    offers: list[Placement]
    refused: list[tuple[int, str]]  # (household id, why the offer could not be made)
    matched: list[PerpetratorRequest] = field(default_factory=list)
    refused_requests: list[tuple[int, str]] = field(default_factory=list)  # (request id, why)


def _chosen(proposed: dict, ids: list[int], name: str) -> list[int]:
    """The proposals a manager chose of one kind, each one of this run's."""
    unknown = [i for i in ids if i not in proposed]
    if unknown:
        raise ValidationError.one(name, f"not proposed by this run: {', '.join(map(str, unknown[:10]))}")
    return list(ids)


def approve_batch(session: Session, actor: Actor, run_id: int, household_ids: list[int] | None = None,
                  request_ids: list[int] | None = None, *, hold_hours: int = DEFAULT_HOLD_HOURS,
                  now: datetime | None = None) -> Approval:
    """Approve all (both id lists None) or some proposals of a finished run: the offers go out now.

    Each offer goes through ``make_offer`` and its checks, each perpetrator match through
    ``perpetrator.match`` and its; one that can no longer be made (the unit was taken meanwhile,
    the household got an offer) is reported and the rest still go out. Perpetrator matches go
    first, as in the run: each victim's offer is then checked against the unit just matched to a
    request linked to them, and a request's match never depends on where its victim is.
    """
    now = now or utcnow()
    run = get_run(session, run_id)
    if run.status != MatchRunStatus.DONE:
        raise Conflict("Only a finished batch run can be approved.")
    proposals = {p["household_id"]: p for p in run.proposals}
    matches = {p["request_id"]: p for p in run.perpetrator_proposals}
    everything = household_ids is None and request_ids is None
    chosen = list(proposals) if everything else _chosen(proposals, household_ids or [], "household_ids")
    chosen_requests = list(matches) if everything else _chosen(matches, request_ids or [], "request_ids")
    if not chosen and not chosen_requests:
        raise ValidationError.one("household_ids", "choose proposals of this run")
    offers, refused, matched, refused_requests = [], [], [], []
    for request_id in chosen_requests:
        try:
            matched.append(perpetrator.match(session, actor, request_id, matches[request_id]["unit_id"], now=now))
        except (Conflict, ValidationError, NotFound) as exc:  # TransitionError is a Conflict
            refused_requests.append((request_id, exc.message))
    for household_id in chosen:
        proposal = proposals[household_id]
        try:
            offers.append(make_offer(session, actor, household_id, proposal["unit_id"], source=PlacementSource.BATCH,
                                     match_run_id=run.id, hold_hours=hold_hours, now=now))
        except (Conflict, ValidationError, NotFound) as exc:
            # make_offer checks everything before it writes, so a refusal leaves nothing behind.
            refused.append((household_id, exc.message))
    run.approved_at = now
    run.approved_by_id = actor.user_id
    session.flush()
    audit.record(session, actor, AuditAction.MATCH_RUN, "match_run", run.id,
                 f"approved offers={len(offers)} refused={len(refused)} "
                 f"perpetrator_matches={len(matched)} refused_requests={len(refused_requests)}")
    return Approval(offers, refused, matched, refused_requests)


# Suggestions and reviewing a run ---------------------------------------------------------------

@dataclass(frozen=True)
class HouseholdSuggestions:
    household: Household
    suggestions: matching.SuggestionList


def suggest_for(session: Session, actor: Actor, household_id: int, top: int = 10,
                now: datetime | None = None) -> HouseholdSuggestions:
    """The engine's ranked free units for one case, and why the rest do not fit; the run is audited."""
    household = access.get_household_for(session, actor.user, household_id)
    answer = matching.suggest(session, household, top=top, as_of=today_uk(now))
    audit.record(session, actor, AuditAction.MATCH_RUN, "household", household.id,
                 f"suggestions feasible={answer.feasible} of {answer.considered}")
    return HouseholdSuggestions(household, answer)


@dataclass(frozen=True)
class Proposal:
    household: Household
    unit: Unit
    fit: float | None
    why: list[str]
    changed: str  # "new", "moved" or "" (same as the last run)


@dataclass(frozen=True)
class RequestProposal:
    request: PerpetratorRequest
    unit: Unit
    fit: float | None
    why: list[str]


@dataclass(frozen=True)
class RunReview:
    run: MatchRun
    proposals: list[Proposal]
    unplaced: list[tuple[Household, dict]]
    changes: RunChanges
    request_proposals: list[RequestProposal]
    requests_unplaced: list[tuple[PerpetratorRequest, dict]]


def review_run(session: Session, run_id: int) -> RunReview:
    """A run with its proposals and unplaced households as rows, high risk first, and what changed."""
    run = get_run(session, run_id)
    ids = {p["household_id"] for p in run.proposals} | {int(k) for k in run.unplaced}
    households = {h.id: h for h in session.scalars(select(Household).where(Household.id.in_(ids)))}
    request_ids = {p["request_id"] for p in run.perpetrator_proposals} | {int(k) for k in run.perpetrator_unplaced}
    requests = {r.id: r for r in session.scalars(select(PerpetratorRequest)
                                                 .where(PerpetratorRequest.id.in_(request_ids)))}
    unit_ids = [p["unit_id"] for p in (*run.proposals, *run.perpetrator_proposals)]
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(unit_ids))
                                              .options(selectinload(Unit.site)))}
    changes = run_changes(session, run)
    flag = {**{h: "new" for h in changes.new}, **{h: "moved" for h in changes.moved}}
    risk_first = {"high": 0, "medium": 1, "standard": 2}
    proposals = sorted(
        (Proposal(households[p["household_id"]], units[p["unit_id"]], p.get("fit"), p.get("why") or [],
                  flag.get(p["household_id"], "") if changes.previous_id else "")
         for p in run.proposals if p["household_id"] in households and p["unit_id"] in units),
        key=lambda p: (risk_first[p.household.risk.value], p.household.id))
    unplaced = sorted(((households[int(k)], v) for k, v in run.unplaced.items() if int(k) in households),
                      key=lambda hv: (risk_first[hv[0].risk.value], hv[0].id))
    request_proposals = [RequestProposal(requests[p["request_id"]], units[p["unit_id"]], p.get("fit"),
                                         p.get("why") or [])
                         for p in sorted(run.perpetrator_proposals, key=lambda p: p["request_id"])
                         if p["request_id"] in requests and p["unit_id"] in units]
    requests_unplaced = [(requests[int(k)], v) for k, v in sorted(run.perpetrator_unplaced.items(),
                                                                  key=lambda kv: int(kv[0])) if int(k) in requests]
    return RunReview(run, proposals, unplaced, changes, request_proposals, requests_unplaced)
