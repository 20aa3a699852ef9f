"""A case's life beyond the referral: closing with a reason, reopening, and what each role sees of the journey.

A closed case keeps its referrals, so a new referral of the same reference
within 12 months is still found as a repeat by ``services/referrals.py``;
closing and reopening only change the case's status and dates, and add a
row to its history (``CaseStatusChange``), so the quarter's "cases closed"
still counts a case that was later reopened.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from safehome.codes import AuditAction, CaseStatus, CloseReason, Role
from safehome.errors import Conflict, FieldProblem, NotFound, TransitionError, ValidationError
from safehome.models import CaseStatusChange, Household, HousingOptionsRequest, MoveOnPlan, OutcomeMeasure, SanctuaryInstall
from safehome.models.base import utcnow
from safehome.services import Actor, access, audit

# Roles that follow the whole journey of every case (the manager read-only, by permission).
JOURNEY_ROLES = frozenset({Role.HOUSING_WORKER, Role.MANAGER})
NOTE_MAX = 2000


def household_for(session: Session, actor: Actor, household_id: int, *,
                  housing_options: bool = False) -> Household:
    """The household, if the actor may follow its journey; NotFound otherwise.

    Housing workers and managers see every case. A Housing Options officer
    reaches a case only for its Housing Options part (``housing_options=True``)
    and only if it was sent to Housing Options (``access.household_scope``);
    nobody else reaches the journey (a provider sees its resident's case page,
    not their sanctuary, Housing Options or move-on records).
    """
    role = actor.user.role if actor.user is not None else None
    if role not in JOURNEY_ROLES and not (housing_options and role == Role.HOUSING_OPTIONS):
        raise NotFound("No such case.")
    return access.get_household_for(session, actor.user, household_id)


def require_journey_role(actor: Actor) -> None:
    """NotFound unless the actor follows every case's journey (the work lists are for them)."""
    if actor.user is None or actor.user.role not in JOURNEY_ROLES:
        raise NotFound("No such page.")


def check_note(problems: list[FieldProblem], note: str | None, name: str = "note") -> str | None:
    """A stripped free-text note (or None), adding a problem if it is too long."""
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        problems.append(FieldProblem(name, f"must be at most {NOTE_MAX} characters"))
    return note


def close_case(session: Session, actor: Actor, household_id: int, reason: str | None,
               note: str | None = None) -> Household:
    """Close an open case, recording why (a ``CloseReason`` code)."""
    household = household_for(session, actor, household_id)
    problems: list[FieldProblem] = []
    if reason not in CloseReason.codes():
        problems.append(FieldProblem("reason", "choose why the case is closed"))
    note = check_note(problems, note)
    if reason == CloseReason.OTHER and note is None:
        problems.append(FieldProblem("note", "say why, when the reason is 'Other'"))
    if problems:
        raise ValidationError("The case was not closed.", problems)
    if household.status != CaseStatus.OPEN:
        raise TransitionError("This case is already closed.")
    now = utcnow()
    household.status = CaseStatus.CLOSED
    household.closed_at = now
    household.close_reason = CloseReason(reason)
    session.add(CaseStatusChange(household_id=household.id, status=CaseStatus.CLOSED, reason=CloseReason(reason),
                                 note=note, at=now, by_user_id=actor.user_id))
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, "household", household.id, f"case closed reason={reason}")
    return household


def reopen_case(session: Session, actor: Actor, household_id: int, note: str | None = None) -> Household:
    """Reopen a closed case: it is open again, with no close date or reason; the history keeps both."""
    household = household_for(session, actor, household_id)
    problems: list[FieldProblem] = []
    note = check_note(problems, note)
    if problems:
        raise ValidationError("The case was not reopened.", problems)
    if household.status != CaseStatus.CLOSED:
        raise TransitionError("This case is open: only a closed case can be reopened.")
    # A reference has one open case at a time: a new referral joins it (services/referrals.py).
    other_open = session.scalar(select(Household.id).where(Household.reference == household.reference,
                                                           Household.status == CaseStatus.OPEN))
    if other_open is not None:
        raise Conflict("Another case of the same reference is open: add to that case instead.")
    now = utcnow()
    household.status = CaseStatus.OPEN
    household.closed_at = None
    household.close_reason = None
    household.reopened_at = now
    session.add(CaseStatusChange(household_id=household.id, status=CaseStatus.OPEN, note=note, at=now,
                                 by_user_id=actor.user_id))
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, "household", household.id, "case reopened")
    return household


def status_history(session: Session, household_id: int) -> list[CaseStatusChange]:
    """Every close and reopen of a case, oldest first."""
    return list(session.scalars(select(CaseStatusChange).where(CaseStatusChange.household_id == household_id)
                                .order_by(CaseStatusChange.at, CaseStatusChange.id)))


@dataclass
class JourneySummary:
    """What the case page shows of the journey, already cut to what the role may see."""

    sanctuary_installs: list[SanctuaryInstall] = field(default_factory=list)
    housing_options: list[HousingOptionsRequest] = field(default_factory=list)
    move_on_plans: list[MoveOnPlan] = field(default_factory=list)
    outcomes: list[OutcomeMeasure] = field(default_factory=list)
    history: list[CaseStatusChange] = field(default_factory=list)
    full: bool = False  # False: a Housing Options officer, who sees only the Housing Options section


def journey_summary(session: Session, actor: Actor, household: Household) -> JourneySummary:
    """The journey sections of one case for the case page (nothing for roles that may not follow it)."""
    from safehome.services.housing_options import requests_for_household

    role = actor.user.role if actor.user is not None else None
    if role == Role.HOUSING_OPTIONS:
        return JourneySummary(housing_options=requests_for_household(session, household.id))
    if role not in JOURNEY_ROLES:
        return JourneySummary()

    def rows(model, order):
        return list(session.scalars(select(model).where(model.household_id == household.id).order_by(*order)))

    return JourneySummary(
        sanctuary_installs=rows(SanctuaryInstall, [SanctuaryInstall.requested_on.desc(), SanctuaryInstall.id.desc()]),
        housing_options=requests_for_household(session, household.id),
        move_on_plans=rows(MoveOnPlan, [MoveOnPlan.id.desc()]),
        outcomes=rows(OutcomeMeasure, [OutcomeMeasure.measured_on, OutcomeMeasure.id]),
        history=status_history(session, household.id),
        full=True,
    )
