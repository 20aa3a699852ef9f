"""Sanctuary installs: security works on the household's own home so they can stay safely.

The life of an install is one path (``TRANSITIONS``); each step records its
day, and the step's own facts (the DASH score relied on, who consented, who
surveyed, the fire service's check). Reviews fall due 3 and 6 calendar
months after installation (``timeliness.add_months``: a day past the end of
a shorter month becomes its last day), and missed ones surface in work
lists. An install that is installed and fire-safety checked is an "own home
secured" in the quarterly return.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safehome.codes import (
    AuditAction,
    CaseStatus,
    ConsentFrom,
    SanctuaryReviewStage,
    SanctuaryState,
    SanctuaryWorkKind,
    Surveyor,
)
from safehome.errors import FieldProblem, NotFound, TransitionError, ValidationError
from safehome.models import Household, SanctuaryInstall, SanctuaryReview, SanctuaryWork
from safehome.services import Actor, audit
from safehome.services.cases import household_for, require_journey_role
from safehome.services.timeliness import add_months, today_uk

S = SanctuaryState

# The one table of allowed moves. Withdrawn is possible until the works are in; after that an
# install ends only by taking the equipment out.
TRANSITIONS: dict[SanctuaryState, frozenset[SanctuaryState]] = {
    S.REQUESTED: frozenset({S.RISK_CHECKED, S.WITHDRAWN}),
    S.RISK_CHECKED: frozenset({S.CONSENT, S.WITHDRAWN}),
    S.CONSENT: frozenset({S.SURVEYED, S.WITHDRAWN}),
    S.SURVEYED: frozenset({S.WORKS_ORDERED, S.WITHDRAWN}),
    S.WORKS_ORDERED: frozenset({S.INSTALLED, S.WITHDRAWN}),
    S.INSTALLED: frozenset({S.FIRE_SAFETY_CHECKED, S.ENDED}),
    S.FIRE_SAFETY_CHECKED: frozenset({S.REVIEWED_3M, S.ENDED}),
    S.REVIEWED_3M: frozenset({S.REVIEWED_6M, S.ENDED}),
    S.REVIEWED_6M: frozenset({S.ENDED}),
    S.ENDED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

# The column holding each step's day: a step may not be dated before the step before it.
STEP_DATE = {
    S.REQUESTED: "requested_on", S.RISK_CHECKED: "risk_checked_on", S.CONSENT: "consent_on",
    S.SURVEYED: "surveyed_on", S.WORKS_ORDERED: "works_ordered_on", S.INSTALLED: "installed_on",
    S.FIRE_SAFETY_CHECKED: "fire_checked_on", S.ENDED: "ended_on", S.WITHDRAWN: "withdrawn_on",
}
REVIEW_STEPS = {S.REVIEWED_3M: SanctuaryReviewStage.THREE_MONTHS, S.REVIEWED_6M: SanctuaryReviewStage.SIX_MONTHS}
REVIEW_MONTHS = {SanctuaryReviewStage.THREE_MONTHS: 3, SanctuaryReviewStage.SIX_MONTHS: 6}
SECURED_STATES = frozenset({S.FIRE_SAFETY_CHECKED, S.REVIEWED_3M, S.REVIEWED_6M, S.ENDED})
LIVE_STATES = frozenset(TRANSITIONS) - {S.ENDED, S.WITHDRAWN}
# Works can be ordered once the home is surveyed, and added while the install is in place.
WORKS_OPEN_STATES = frozenset({S.SURVEYED, S.WORKS_ORDERED, S.INSTALLED, S.FIRE_SAFETY_CHECKED,
                               S.REVIEWED_3M, S.REVIEWED_6M})
MAX_COST = Decimal("9999999.99")


def check_transition(current: SanctuaryState, wanted: SanctuaryState) -> None:
    """TransitionError naming both states unless ``wanted`` may follow ``current``."""
    if wanted not in TRANSITIONS[current]:
        allowed = ", ".join(s.label for s in S if s in TRANSITIONS[current]) or "nothing: it is finished"
        raise TransitionError(f"A sanctuary install that is '{current.label}' cannot become '{wanted.label}'. "
                              f"Next can be: {allowed}.")


def last_step_day(install: SanctuaryInstall) -> date:
    """The latest day recorded on the install (a new step may not be dated before it)."""
    days = [getattr(install, column) for column in STEP_DATE.values() if getattr(install, column) is not None]
    days += [r.done_on for r in install.reviews if r.done_on is not None]
    return max(days)


def get_install(session: Session, actor: Actor, install_id: int) -> SanctuaryInstall:
    """One install, if the actor may follow its case; NotFound otherwise."""
    install = session.get(SanctuaryInstall, install_id)
    if install is None:
        raise NotFound("No such sanctuary install.")
    household_for(session, actor, install.household_id)
    return install


def installs_for(session: Session, actor: Actor, household_id: int) -> list[SanctuaryInstall]:
    """The installs of one case, newest first."""
    household_for(session, actor, household_id)
    return list(session.scalars(select(SanctuaryInstall).where(SanctuaryInstall.household_id == household_id)
                                .order_by(SanctuaryInstall.requested_on.desc(), SanctuaryInstall.id.desc())))


def _check_day(problems: list[FieldProblem], on, not_before: date | None, today: date, name: str = "on") -> None:
    if not isinstance(on, date):
        problems.append(FieldProblem(name, "give the date"))
    elif on > today:
        problems.append(FieldProblem(name, "cannot be in the future"))
    elif not_before is not None and on < not_before:
        problems.append(FieldProblem(name, f"cannot be before the last step ({not_before:%d %b %Y})"))


def request_install(session: Session, actor: Actor, household_id: int, requested_on: date | None = None, *,
                    today: date | None = None) -> SanctuaryInstall:
    """Start a sanctuary install for an open case (only one live install per case)."""
    household = household_for(session, actor, household_id)
    today = today or today_uk()
    requested_on = requested_on or today
    problems: list[FieldProblem] = []
    _check_day(problems, requested_on, None, today, "requested_on")
    if problems:
        raise ValidationError("The sanctuary install was not requested.", problems)
    if household.status != CaseStatus.OPEN:
        raise TransitionError("This case is closed: reopen it before requesting a sanctuary install.")
    live = session.scalar(select(SanctuaryInstall.id).where(SanctuaryInstall.household_id == household_id,
                                                            SanctuaryInstall.state.in_(LIVE_STATES)))
    if live is not None:
        raise TransitionError("This case already has a sanctuary install in progress.")
    install = SanctuaryInstall(household_id=household_id, state=S.REQUESTED, requested_on=requested_on,
                               requested_by_id=actor.user_id)
    session.add(install)
    session.flush()
    audit.record(session, actor, AuditAction.CREATE, "sanctuary_install", install.id, "state=requested")
    return install


def advance(session: Session, actor: Actor, install_id: int, to: str, data: dict | None = None, *,
            today: date | None = None) -> SanctuaryInstall:
    """Move an install to its next step, recording that step's facts.

    ``data`` holds ``on`` (the day of the step) and, by step: ``consent_from``
    (consent), ``surveyed_by`` (surveyed), ``fire_checked_by`` (fire-safety
    checked), ``equipment_working`` (reviews), ``equipment_removed`` (ended,
    must be true). Risk checked needs a DASH score on the case; works ordered
    needs at least one item of work; installed marks every item not yet fitted
    as fitted that day and sets the review due dates.
    """
    install = get_install(session, actor, install_id)
    try:
        wanted = S(to)
    except ValueError:
        raise ValidationError.one("to", "is not a sanctuary install step") from None
    check_transition(install.state, wanted)
    data = data or {}
    today = today or today_uk()
    on = data.get("on")
    problems: list[FieldProblem] = []
    _check_day(problems, on, last_step_day(install), today)
    step = _STEPS.get(wanted)
    if step is not None:
        step(session, install, data, problems)
    if problems:
        raise ValidationError("The sanctuary install did not move on.", problems)
    if wanted in STEP_DATE:
        setattr(install, STEP_DATE[wanted], on)
    if wanted in REVIEW_STEPS:
        review = next(r for r in install.reviews if r.stage == REVIEW_STEPS[wanted])
        review.done_on, review.done_by_id = on, actor.user_id
        review.equipment_working = data.get("equipment_working")
    if wanted == S.INSTALLED:
        for work in install.works:
            work.fitted_on = work.fitted_on or on
        install.reviews = [SanctuaryReview(stage=stage, due_on=add_months(on, months))
                           for stage, months in REVIEW_MONTHS.items()]
    install.state = wanted
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, "sanctuary_install", install.id, f"state={wanted.value}")
    return install


def _risk_checked(session, install, data, problems) -> None:
    household = session.get(Household, install.household_id)
    if household.dash_score is None:
        problems.append(FieldProblem("dash_score", "no DASH score on the case: record the risk assessment first"))
    install.risk_dash_score = household.dash_score


def _consent(session, install, data, problems) -> None:
    if data.get("consent_from") not in ConsentFrom.codes():
        problems.append(FieldProblem("consent_from", "say who gave consent (the owner or the landlord)"))
    else:
        install.consent_from = ConsentFrom(data["consent_from"])


def _surveyed(session, install, data, problems) -> None:
    if data.get("surveyed_by") not in Surveyor.codes():
        problems.append(FieldProblem("surveyed_by", "say who surveyed the home (police or crime-prevention officer)"))
    else:
        install.surveyed_by = Surveyor(data["surveyed_by"])


def _works_ordered(session, install, data, problems) -> None:
    if not install.works:
        problems.append(FieldProblem("works", "add at least one item of work before ordering"))


def _fire_checked(session, install, data, problems) -> None:
    by = (data.get("fire_checked_by") or "").strip()
    if not by or len(by) > 120:
        problems.append(FieldProblem("fire_checked_by", "name the fire service station or officer (up to 120 characters)"))
    else:
        install.fire_checked_by = by


def _ended(session, install, data, problems) -> None:
    if data.get("equipment_removed") is not True:
        problems.append(FieldProblem("equipment_removed", "confirm the equipment has been removed"))
    else:
        install.equipment_removed = True


_STEPS = {S.RISK_CHECKED: _risk_checked, S.CONSENT: _consent, S.SURVEYED: _surveyed,
          S.WORKS_ORDERED: _works_ordered, S.FIRE_SAFETY_CHECKED: _fire_checked, S.ENDED: _ended}


def add_work(session: Session, actor: Actor, install_id: int, *, kind: str | None, contractor: str | None,
             ordered_on: date | None, cost, fitted_on: date | None = None,
             today: date | None = None) -> SanctuaryWork:
    """Add an item of work (kind, contractor, dates, cost) to a surveyed or installed install."""
    install = get_install(session, actor, install_id)
    today = today or today_uk()
    problems: list[FieldProblem] = []
    if kind not in SanctuaryWorkKind.codes():
        problems.append(FieldProblem("kind", "choose the kind of work"))
    contractor = (contractor or "").strip()
    if not contractor or len(contractor) > 120:
        problems.append(FieldProblem("contractor", "name the contractor (up to 120 characters)"))
    _check_day(problems, ordered_on, install.surveyed_on, today, "ordered_on")
    if fitted_on is not None:
        _check_day(problems, fitted_on, ordered_on if isinstance(ordered_on, date) else None, today, "fitted_on")
    amount = _money(problems, cost)
    if problems:
        raise ValidationError("The item of work was not added.", problems)
    if install.state not in WORKS_OPEN_STATES:
        raise TransitionError(f"Works can be added once the home is surveyed and while the install is in place; "
                              f"this one is '{install.state.label}'.")
    work = SanctuaryWork(kind=SanctuaryWorkKind(kind), contractor=contractor, ordered_on=ordered_on,
                         fitted_on=fitted_on, cost=amount, created_by_id=actor.user_id)
    install.works.append(work)
    session.flush()
    audit.record(session, actor, AuditAction.CREATE, "sanctuary_work", work.id, f"install={install.id} kind={kind}")
    return work


def _money(problems: list[FieldProblem], cost) -> Decimal | None:
    try:
        amount = Decimal(str(cost)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        problems.append(FieldProblem("cost", "give the cost in pounds, for example 120.50"))
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_COST:
        problems.append(FieldProblem("cost", "must be between 0 and 9,999,999.99"))
        return None
    return amount


# Work lists and the quarterly return ---------------------------------------------

@dataclass(frozen=True)
class DueReview:
    """A review on the work list: only what the list shows (the list runs to thousands, so no records load)."""

    install_id: int
    reference: str  # the case's
    stage: SanctuaryReviewStage
    due_on: date
    days_overdue: int  # 0 or less: not yet missed


def reviews_due(session: Session, today: date | None = None, *, within_days: int = 0,
                limit: int | None = None) -> list[DueReview]:
    """Reviews not yet done on live installs, due by ``today + within_days``, the longest overdue first
    (the first ``limit`` of them, if given).

    A review is missed once its due day has passed (``days_overdue > 0``).
    """
    today = today or today_uk()
    rows = session.execute(_reviews_due(today, within_days).order_by(SanctuaryReview.due_on, SanctuaryReview.id)
                           .limit(limit))
    return [DueReview(install_id, reference, stage, due_on, (today - due_on).days)
            for install_id, reference, stage, due_on in rows]


def _reviews_due(today: date, within_days: int):
    return (select(SanctuaryInstall.id, Household.reference, SanctuaryReview.stage, SanctuaryReview.due_on)
            .join(SanctuaryReview.install).join(SanctuaryInstall.household)
            .where(SanctuaryReview.done_on.is_(None), SanctuaryInstall.state.in_(LIVE_STATES),
                   SanctuaryReview.due_on <= today + timedelta(days=within_days)))


def missed_reviews_count(session: Session, today: date | None = None) -> int:
    """How many reviews of live installs are past their due day and not done."""
    today = today or today_uk()
    return session.scalar(
        select(func.count()).select_from(SanctuaryReview).join(SanctuaryInstall)
        .where(SanctuaryReview.done_on.is_(None), SanctuaryInstall.state.in_(LIVE_STATES),
               SanctuaryReview.due_on < today)) or 0


@dataclass(frozen=True)
class InstallInProgress:
    """An install on the work list: only what the list shows."""

    id: int
    reference: str  # the case's
    requested_on: date
    state: SanctuaryState


def installs_in_progress(session: Session, limit: int | None = None) -> list[InstallInProgress]:
    """Live installs not yet complete (before the fire-safety check), oldest request first
    (the first ``limit`` of them, if given)."""
    rows = session.execute(_in_progress().order_by(SanctuaryInstall.requested_on, SanctuaryInstall.id).limit(limit))
    return [InstallInProgress(*row) for row in rows]


def _in_progress():
    return (select(SanctuaryInstall.id, Household.reference, SanctuaryInstall.requested_on, SanctuaryInstall.state)
            .join(SanctuaryInstall.household).where(SanctuaryInstall.state.in_(LIVE_STATES - SECURED_STATES)))


def is_own_home_secured(install: SanctuaryInstall) -> bool:
    """Installed and fire-safety checked: an own home secured."""
    return install.installed_on is not None and install.fire_checked_on is not None


# Each list of the work list shows this many rows unless every row is asked for: at national scale
# either list runs to a thousand rows or more, and drawing them all costs ~50 ms a page.
WORK_LIST_LENGTH = 100


@dataclass(frozen=True)
class WorkList:
    in_progress: list[InstallInProgress]
    reviews: list[DueReview]  # missed, and due within the next fortnight
    in_progress_total: int  # how many there are in all (the lists may show the first few)
    reviews_total: int


def work_list(session: Session, actor: Actor, today: date | None = None, *, within_days: int = 14,
              length: int | None = WORK_LIST_LENGTH) -> WorkList:
    """The sanctuary work list: installs not yet complete, and reviews missed or soon due, the first
    ``length`` of each (None: all) with how many there are in all."""
    require_journey_role(actor)
    today = today or today_uk()
    totals = session.execute(select(*(select(func.count()).select_from(query.subquery()).scalar_subquery()
                                      for query in (_in_progress(), _reviews_due(today, within_days))))).one()
    return WorkList(installs_in_progress(session, length), reviews_due(session, today, within_days=within_days,
                                                                      limit=length), *totals)
