"""Work lists for housing workers: what needs doing next about placements.

A housing worker sees their own caseload and the unassigned cases; a manager
sees everyone's. Each list is short and ordered by urgency.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from safehome.codes import Risk, Role
from safehome.models import Household, Placement, Unit
from safehome.models.base import utcnow
from safehome.services import Actor
from safehome.services.placements import P, lapse_expired, waiting_households

LAPSE_WARNING = timedelta(hours=6)  # an offer lapsing within this is "about to lapse"
LIST_LENGTH = 10


def caseload(user) -> ColumnElement[bool]:
    """A housing worker's own cases and the unassigned ones; everyone else every case."""
    if user is not None and user.role == Role.HOUSING_WORKER:
        return or_(Household.worker_id == user.id, Household.worker_id.is_(None))
    return true()


@dataclass(frozen=True)
class WorkLists:
    lapsing: list[Placement]          # offers about to lapse, soonest first
    moves_due: list[Placement]        # accepted offers waiting to move in, oldest acceptance first
    waiting_longest: list[Household]  # open cases with no live placement, longest wait first
    high_risk_unplaced: list[Household]
    counts: dict[str, int]


def _placements(state, user):
    return (select(Placement).join(Household, Household.id == Placement.household_id)
            .where(Placement.state == state, caseload(user))
            .options(selectinload(Placement.household), selectinload(Placement.unit).selectinload(Unit.site)))


def _count(session: Session, query) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def _queries(user, now: datetime) -> dict:
    """The four lists' queries, unordered, keyed as in ``WorkLists.counts``."""
    waiting = waiting_households().where(caseload(user))
    return {"lapsing": _placements(P.OFFERED, user).where(Placement.expires_at <= now + LAPSE_WARNING),
            "moves_due": _placements(P.ACCEPTED, user),
            "waiting": waiting,
            "high_risk_unplaced": waiting.where(Household.risk == Risk.HIGH)}


def work_counts(session: Session, actor: Actor, now: datetime | None = None) -> dict[str, int]:
    """How long each work list is (for the dashboard), offers past their hold lapsed first."""
    now = now or utcnow()
    lapse_expired(session, now)
    return {key: _count(session, query) for key, query in _queries(actor.user, now).items()}


def work_lists(session: Session, actor: Actor, now: datetime | None = None, length: int = LIST_LENGTH) -> WorkLists:
    """The four work lists for the actor, most urgent first (offers past their hold lapsed first)."""
    now = now or utcnow()
    counts = work_counts(session, actor, now)
    q = _queries(actor.user, now)
    by_wait = (Household.waiting_since.is_(None), Household.waiting_since, Household.opened_at, Household.id)
    return WorkLists(
        lapsing=list(session.scalars(q["lapsing"].order_by(Placement.expires_at).limit(length))),
        moves_due=list(session.scalars(q["moves_due"].order_by(Placement.decided_at, Placement.id).limit(length))),
        waiting_longest=list(session.scalars(q["waiting"].order_by(*by_wait).limit(length))),
        high_risk_unplaced=list(session.scalars(q["high_risk_unplaced"].order_by(*by_wait).limit(length))),
        counts=counts,
    )
