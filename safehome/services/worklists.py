"""Work lists for housing workers: what needs doing next about placements.

A housing worker sees their own caseload and the unassigned cases; a manager
sees everyone's. Each list is short and ordered by urgency.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, distinct, func, or_, select, true
from sqlalchemy.orm import Session, load_only, selectinload

from safehome.codes import LIVE_PLACEMENT_STATES, CaseStatus, Risk, Role
from safehome.models import Household, Placement, Unit
from safehome.models.base import utcnow
from safehome.services import Actor
from safehome.services.placements import P, lapse_expired, waiting_households

LAPSE_WARNING = timedelta(hours=6)  # an offer lapsing within this is "about to lapse"
LIST_LENGTH = 10
WAITING_COLUMNS = (Household.id, Household.reference, Household.status, Household.risk, Household.worker_id,
                   Household.opened_at, Household.waiting_since)


def caseload_parts(user) -> list[ColumnElement[bool]]:
    """The caseload as conditions no two cases share: a housing worker's own cases, and the unassigned ones."""
    if user is not None and user.role == Role.HOUSING_WORKER:
        return [Household.worker_id == user.id, Household.worker_id.is_(None)]
    return [true()]


def caseload(user) -> ColumnElement[bool]:
    """A housing worker's own cases and the unassigned ones; everyone else every case."""
    return or_(*caseload_parts(user))


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
            .options(selectinload(Placement.unit).selectinload(Unit.site)))  # the list names the unit and site


def _count(query) -> ColumnElement[int]:
    return select(func.count()).select_from(query.order_by(None).subquery()).scalar_subquery()


def _count_waiting(user, *where) -> ColumnElement[int]:
    """How many open cases in the caseload have no live placement (``waiting_households``).

    Counted as the open cases less those with a live placement, and the open cases part by part of
    the caseload (each one range of an index; "in the caseload" or "not in the live placements"
    tested on each of 20,000 open cases costs several times more).
    """
    open_cases = [select(func.count()).select_from(Household)
                  .where(Household.status == CaseStatus.OPEN, part, *where).scalar_subquery()
                  for part in caseload_parts(user)]
    # From the few live placements, each checked against its case (with a join SQLite walks every case).
    in_caseload = select(Household.id).where(Household.id == Placement.household_id,
                                             Household.status == CaseStatus.OPEN, caseload(user), *where)
    placed = select(func.count(distinct(Placement.household_id))).where(
        Placement.state.in_(LIVE_PLACEMENT_STATES), in_caseload.exists())
    return sum(open_cases[1:], open_cases[0]) - placed.scalar_subquery()


def _queries(user, now: datetime) -> dict:
    """The four lists' queries, unordered, keyed as in ``WorkLists.counts``."""
    # The lists show each case and its wait: its lists held as JSON and its sealed places are not read.
    waiting = waiting_households().where(caseload(user)).options(load_only(*WAITING_COLUMNS))
    return {"lapsing": _placements(P.OFFERED, user).where(Placement.expires_at <= now + LAPSE_WARNING),
            "moves_due": _placements(P.ACCEPTED, user),
            "waiting": waiting,
            "high_risk_unplaced": waiting.where(Household.risk == Risk.HIGH)}


def _counts(session: Session, user, queries: dict) -> dict[str, int]:
    """The lists' lengths, in one statement."""
    columns = {"lapsing": _count(queries["lapsing"]), "moves_due": _count(queries["moves_due"]),
               "waiting": _count_waiting(user),
               "high_risk_unplaced": _count_waiting(user, Household.risk == Risk.HIGH)}
    row = session.execute(select(*(column.label(key) for key, column in columns.items()))).one()
    return {key: int(value or 0) for key, value in zip(columns, row)}


def work_counts(session: Session, actor: Actor, now: datetime | None = None) -> dict[str, int]:
    """How long each work list is (for the dashboard), offers past their hold lapsed first."""
    now = now or utcnow()
    lapse_expired(session, now)
    return _counts(session, actor.user, _queries(actor.user, now))


def work_lists(session: Session, actor: Actor, now: datetime | None = None, length: int = LIST_LENGTH) -> WorkLists:
    """The four work lists for the actor, most urgent first (offers past their hold lapsed first)."""
    now = now or utcnow()
    lapse_expired(session, now)
    q = _queries(actor.user, now)  # built once: building them costs as much as running the counts
    counts = _counts(session, actor.user, q)
    # Never-waiting cases last; "ASC NULLS LAST" (not "waiting_since IS NULL") lets the index give the order.
    by_wait = (Household.waiting_since.asc().nulls_last(), Household.opened_at, Household.id)
    return WorkLists(
        lapsing=list(session.scalars(q["lapsing"].order_by(Placement.expires_at).limit(length))),
        moves_due=list(session.scalars(q["moves_due"].order_by(Placement.decided_at, Placement.id).limit(length))),
        waiting_longest=list(session.scalars(q["waiting"].order_by(*by_wait).limit(length))),
        high_risk_unplaced=list(session.scalars(q["high_risk_unplaced"].order_by(*by_wait).limit(length))),
        counts=counts,
    )
