"""Move-on: from temporary accommodation to a settled home, and how long it takes.

Every household living in a temporary unit (refuge, emergency, supported,
dispersed) gets a move-on plan tied to that placement: a target date, the
day they were ready, what blocks them, and the day they moved on with where
to and the tenure at exit. Timeliness is counted in calendar days from
moving in to moving on (``date`` arithmetic: a stay across a clock change or
29 February counts each calendar day once).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safehome.codes import TEMPORARY_UNIT_TYPES, AuditAction, MoveOnBlocker, PlacementState, UnitType
from safehome.errors import Conflict, FieldProblem, NotFound, TransitionError, ValidationError
from safehome.models import Household, MoveOnBlock, MoveOnPlan, Placement, Unit
from safehome.services import Actor, audit, placements
from safehome.services.cases import household_for, require_journey_role
from safehome.services.timeliness import today_uk

DETAIL_MAX = 200


def temporary_placement(session: Session, household_id: int) -> Placement | None:
    """The household's current stay in temporary accommodation (a moved-in placement in a temporary unit)."""
    return session.scalar(select(Placement).join(Unit).where(
        Placement.household_id == household_id, Placement.state == PlacementState.MOVED_IN,
        Unit.type.in_(TEMPORARY_UNIT_TYPES)).order_by(Placement.moved_in_on.desc()))


def get_plan(session: Session, actor: Actor, plan_id: int) -> MoveOnPlan:
    """One plan, if the actor may follow its case; NotFound otherwise."""
    plan = session.get(MoveOnPlan, plan_id)
    if plan is None:
        raise NotFound("No such move-on plan.")
    household_for(session, actor, plan.household_id)
    return plan


def plans_for(session: Session, actor: Actor, household_id: int) -> list[MoveOnPlan]:
    """The move-on plans of one case, newest first."""
    household_for(session, actor, household_id)
    return list(session.scalars(select(MoveOnPlan).where(MoveOnPlan.household_id == household_id)
                                .order_by(MoveOnPlan.id.desc())))


def _check_day(problems: list[FieldProblem], name: str, on, not_before: date | None, today: date, *,
               future_ok: bool = False) -> None:
    if not isinstance(on, date):
        problems.append(FieldProblem(name, "give the date"))
    elif not future_ok and on > today:
        problems.append(FieldProblem(name, "cannot be in the future"))
    elif not_before is not None and on < not_before:
        problems.append(FieldProblem(name, f"cannot be before moving in ({not_before:%d %b %Y})"))


def create_plan(session: Session, actor: Actor, household_id: int, target_on: date | None,
                ready_on: date | None = None, *, today: date | None = None) -> MoveOnPlan:
    """Start the move-on plan for the household's current stay in temporary accommodation."""
    household_for(session, actor, household_id)
    placement = temporary_placement(session, household_id)
    if placement is None:
        raise TransitionError("This household is not living in temporary accommodation, so it needs no move-on plan.")
    today = today or today_uk()
    problems: list[FieldProblem] = []
    _check_day(problems, "target_on", target_on, placement.moved_in_on, today, future_ok=True)
    if ready_on is not None:
        _check_day(problems, "ready_on", ready_on, placement.moved_in_on, today)
    if problems:
        raise ValidationError("The move-on plan was not made.", problems)
    if session.scalar(select(MoveOnPlan.id).where(MoveOnPlan.placement_id == placement.id)) is not None:
        raise Conflict("This stay already has a move-on plan.")
    plan = MoveOnPlan(household_id=household_id, placement_id=placement.id, target_on=target_on,
                      ready_on=ready_on, created_by_id=actor.user_id)
    session.add(plan)
    session.flush()
    audit.record(session, actor, AuditAction.CREATE, "move_on_plan", plan.id, f"placement={placement.id}")
    return plan


def _open_plan(session: Session, actor: Actor, plan_id: int) -> MoveOnPlan:
    plan = get_plan(session, actor, plan_id)
    if plan.moved_on_on is not None:
        raise TransitionError("This household has moved on: the plan is finished.")
    return plan


def update_plan(session: Session, actor: Actor, plan_id: int, *, target_on: date | None,
                ready_on: date | None, today: date | None = None) -> MoveOnPlan:
    """Change the target date and the day the household was ready to move (None: not ready yet)."""
    plan = _open_plan(session, actor, plan_id)
    today = today or today_uk()
    moved_in = plan.placement.moved_in_on
    problems: list[FieldProblem] = []
    _check_day(problems, "target_on", target_on, moved_in, today, future_ok=True)
    if ready_on is not None:
        _check_day(problems, "ready_on", ready_on, moved_in, today)
    if problems:
        raise ValidationError("The move-on plan was not changed.", problems)
    plan.target_on, plan.ready_on = target_on, ready_on
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, "move_on_plan", plan.id, "target and ready dates")
    return plan


def add_blocker(session: Session, actor: Actor, plan_id: int, reason: str | None, since: date | None,
                detail: str | None = None, *, today: date | None = None) -> MoveOnBlock:
    """Record what stops the household moving on, from a day."""
    plan = _open_plan(session, actor, plan_id)
    today = today or today_uk()
    problems: list[FieldProblem] = []
    if reason not in MoveOnBlocker.codes():
        problems.append(FieldProblem("reason", "choose what blocks the move"))
    detail = (detail or "").strip() or None
    if reason == MoveOnBlocker.OTHER and detail is None:
        problems.append(FieldProblem("detail", "say what blocks the move, when it is 'Other'"))
    elif detail is not None and len(detail) > DETAIL_MAX:
        problems.append(FieldProblem("detail", f"must be at most {DETAIL_MAX} characters"))
    _check_day(problems, "since", since, plan.placement.moved_in_on, today)
    if problems:
        raise ValidationError("The blocking reason was not added.", problems)
    if any(b.reason == reason and b.cleared_on is None for b in plan.blockers):
        raise Conflict("That blocking reason is already open on this plan.")
    block = MoveOnBlock(reason=MoveOnBlocker(reason), detail=detail, since=since, created_by_id=actor.user_id)
    plan.blockers.append(block)
    session.flush()
    audit.record(session, actor, AuditAction.CREATE, "move_on_block", block.id, f"plan={plan.id} reason={reason}")
    return block


def clear_blocker(session: Session, actor: Actor, block_id: int, cleared_on: date | None, *,
                  plan_id: int | None = None, today: date | None = None) -> MoveOnBlock:
    """Mark a blocking reason as resolved on a day (``plan_id``: it must be that plan's)."""
    block = session.get(MoveOnBlock, block_id)
    if block is None or (plan_id is not None and block.plan_id != plan_id):
        raise NotFound("No such blocking reason.")
    _open_plan(session, actor, block.plan_id)
    if block.cleared_on is not None:
        raise TransitionError("That blocking reason is already cleared.")
    problems: list[FieldProblem] = []
    _check_day(problems, "cleared_on", cleared_on, block.since, today or today_uk())
    if problems:
        raise ValidationError("The blocking reason was not cleared.", problems)
    block.cleared_on = cleared_on
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, "move_on_block", block.id, "cleared")
    return block


def record_moved_on(session: Session, actor: Actor, plan_id: int, *, moved_on_on, destination: str | None,
                    tenure_at_exit: str | None, planned, note: str | None = None,
                    now: datetime | None = None) -> MoveOnPlan:
    """Record the move on: the placement moves out (the day, planned or not, where to without an
    address, the tenure at exit: ``placements.move_out`` checks them) and open blocking reasons clear that day.

    ``now`` (default: the clock) is when this is recorded: the day moved on may not be after it.
    """
    plan = _open_plan(session, actor, plan_id)
    problems: list[FieldProblem] = []
    destination = (destination or "").strip() or None
    if destination is None:
        problems.append(FieldProblem("destination", "say where to (the kind of place and area, never an address)"))
    try:
        placements.move_out(session, actor, plan.placement_id, moved_out_on=moved_on_on, planned=planned,
                            exit_tenure=tenure_at_exit, destination=destination, note=note, now=now)
    except ValidationError as exc:
        problems.extend(FieldProblem(_PLACEMENT_FIELDS.get(p.field, p.field), p.message) for p in exc.problems)
    if problems:
        raise ValidationError("The move on was not recorded.", problems)
    for block in plan.open_blockers:
        block.cleared_on = max(plan.moved_on_on, block.since)
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, "move_on_plan", plan.id,
                 f"moved on tenure={tenure_at_exit} planned={planned}")
    return plan


# The placement's names for the move-on facts, as this area's forms and API name them.
_PLACEMENT_FIELDS = {"moved_out_on": "moved_on_on", "exit_tenure": "tenure_at_exit"}


# Timeliness: the manager's view and the work lists --------------------------------

@dataclass(frozen=True)
class Stay:
    """One plan's timeline in calendar days; ``days`` runs to the move on, or to today if still there."""

    plan: MoveOnPlan
    household: Household
    unit_type: UnitType
    moved_in_on: date
    target_days: int
    days: int
    moved_on: bool

    @property
    def days_over(self) -> int:
        """Days beyond the target (0 or less: within it)."""
        return self.days - self.target_days

    @property
    def on_time(self) -> bool:
        return self.days_over <= 0


def stay_of(target_on: date, moved_in_on: date, moved_on_on: date | None, today: date) -> tuple[int, int]:
    """(target days, days so far) from moving in: to the target date, and to the move on (or today).

    Calendar days by ``date`` subtraction: in on 28 March 2026, on after the clocks
    went forward (29 March), out on 30 March is 2 days; in on 28 February 2028, out on
    1 March 2028 is 2 days (29 February counts).
    """
    return (target_on - moved_in_on).days, ((moved_on_on or today) - moved_in_on).days


def _stays_query(*where):
    return (select(MoveOnPlan, Household, Placement, Unit.type)
            .join(Household, Household.id == MoveOnPlan.household_id)
            .join(Placement, Placement.id == MoveOnPlan.placement_id)
            .join(Unit, Unit.id == Placement.unit_id)
            .where(*where))


def _stays(session: Session, today: date, query) -> list[Stay]:
    result = []
    for plan, household, placement, unit_type in session.execute(query):
        target_days, days = stay_of(plan.target_on, placement.moved_in_on, placement.moved_out_on, today)
        result.append(Stay(plan, household, unit_type, placement.moved_in_on, target_days, days,
                           placement.moved_out_on is not None))
    return result


def stays(session: Session, today: date | None = None) -> list[Stay]:
    """Every move-on plan with its timeline."""
    return _stays(session, today or today_uk(), _stays_query().order_by(MoveOnPlan.id))


def _over_target(today: date) -> tuple:
    """Still in temporary accommodation and past the target day: days so far exceed the target
    days exactly when today is after the target date (both count from the same move in).

    A plan's stay is one moved in (``create_plan``) that leaves only by moving out, so "still in" is
    its state: an index finds the few stays in progress, where "not moved out" would also read every
    declined or lapsed offer (tens of thousands nationally).
    """
    return Placement.state == PlacementState.MOVED_IN, MoveOnPlan.target_on < today


def over_target(session: Session, today: date | None = None) -> list[Stay]:
    """Households still in temporary accommodation past their target date, longest over first."""
    today = today or today_uk()
    # Longest over first is the earliest target date; the database picks them, not a loop over every plan.
    query = _stays_query(*_over_target(today)).order_by(MoveOnPlan.target_on, MoveOnPlan.id)
    return _stays(session, today, query)


def over_target_count(session: Session, today: date | None = None) -> int:
    """How many households are still in temporary accommodation past their target date."""
    stays_over = _stays_query(*_over_target(today or today_uk())).subquery()
    return session.scalar(select(func.count()).select_from(stays_over)) or 0


@dataclass(frozen=True)
class TypeTimeliness:
    unit_type: UnitType
    moved_on: int
    on_time: int
    mean_days: float | None  # moving in to moving on, for those who moved on
    mean_target_days: float | None
    still_waiting: int
    waiting_over_target: int

    @property
    def on_time_percent(self) -> int | None:
        return round(100 * self.on_time / self.moved_on) if self.moved_on else None


def timeliness_by_unit_type(session: Session, today: date | None = None, *, start: date | None = None,
                            end: date | None = None) -> list[TypeTimeliness]:
    """Move-on timeliness for each temporary unit type: moves on in [start, end] (any day if not given)
    against their targets, and who is still waiting."""
    groups: dict[UnitType, list[Stay]] = defaultdict(list)
    for stay in stays(session, today):
        groups[stay.unit_type].append(stay)
    result = []
    for unit_type in UnitType:
        if unit_type not in TEMPORARY_UNIT_TYPES:
            continue
        group = groups.get(unit_type, [])
        done = [s for s in group if s.moved_on and (start is None or s.plan.moved_on_on >= start)
                and (end is None or s.plan.moved_on_on <= end)]
        waiting = [s for s in group if not s.moved_on]
        result.append(TypeTimeliness(
            unit_type=unit_type, moved_on=len(done), on_time=sum(1 for s in done if s.on_time),
            mean_days=round(sum(s.days for s in done) / len(done), 1) if done else None,
            mean_target_days=round(sum(s.target_days for s in done) / len(done), 1) if done else None,
            still_waiting=len(waiting), waiting_over_target=sum(1 for s in waiting if not s.on_time)))
    return result


def without_plan(session: Session) -> list[Placement]:
    """Stays in temporary accommodation that have no move-on plan yet (oldest move in first)."""
    return list(session.scalars(
        select(Placement).join(Unit).where(
            Placement.state == PlacementState.MOVED_IN, Unit.type.in_(TEMPORARY_UNIT_TYPES),
            ~Placement.id.in_(select(MoveOnPlan.placement_id)))
        .order_by(Placement.moved_in_on, Placement.id)))


@dataclass(frozen=True)
class WorkList:
    over_target: list[Stay]
    without_plan: list[Placement]


def work_list(session: Session, actor: Actor, today: date | None = None) -> WorkList:
    """The move-on work list: households past their target, longest over first, and stays with no plan."""
    require_journey_role(actor)
    return WorkList(over_target(session, today), without_plan(session))
