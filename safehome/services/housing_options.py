"""Housing Options: cases sent to the council's housing team, their answer, and the decisions made.

A housing worker sends a case for a homelessness application, a housing
transfer, help into a private rental or another housing solution. The
Housing Options officer works a queue of the requests waiting, confirms or
refuses each (with the day and a reason), and records decisions such as the
duty owed. A Housing Options officer sees only the cases sent to Housing
Options (``sent_to_housing_options``, used by ``services/access.py`` too),
and every look at one is audited. The days from request to answer are
counted in London calendar days (``timeliness.days_between``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, selectinload

from safehome.codes import (
    AuditAction,
    CaseStatus,
    HousingDuty,
    HousingOptionsKind,
    HousingOptionsState,
    OtherHousingSolution,
    Role,
)
from safehome.errors import FieldProblem, NotFound, TransitionError, ValidationError
from safehome.models import Household, HousingOptionsDecision, HousingOptionsRequest
from safehome.services import Actor, audit
from safehome.services.cases import JOURNEY_ROLES, check_note, household_for
from safehome.services.paging import Page
from safehome.services.timeliness import days_between, today_uk, uk_day

H = HousingOptionsState

TRANSITIONS: dict[HousingOptionsState, frozenset[HousingOptionsState]] = {
    H.REQUESTED: frozenset({H.CONFIRMED, H.REFUSED, H.WITHDRAWN}),
    H.CONFIRMED: frozenset(),
    H.REFUSED: frozenset(),
    H.WITHDRAWN: frozenset(),
}
ANSWERED = frozenset({H.CONFIRMED, H.REFUSED})
DETAIL_MAX = 200


def sent_to_housing_options() -> ColumnElement[bool]:
    """A condition on ``Household``: the case has been sent to Housing Options at least once."""
    return Household.id.in_(select(HousingOptionsRequest.household_id))


def check_transition(current: HousingOptionsState, wanted: HousingOptionsState) -> None:
    """TransitionError naming both states unless ``wanted`` may follow ``current``."""
    if wanted not in TRANSITIONS[current]:
        raise TransitionError(f"A Housing Options request that is '{current.label}' cannot become "
                              f"'{wanted.label}'.")


def _may_read(actor: Actor) -> bool:
    role = actor.user.role if actor.user is not None else None
    return role == Role.HOUSING_OPTIONS or role in JOURNEY_ROLES


def send_request(session: Session, actor: Actor, household_id: int, kind: str | None,
                 other_solution: str | None = None, other_detail: str | None = None,
                 note: str | None = None) -> HousingOptionsRequest:
    """Send an open case to Housing Options for one kind of help.

    Another housing solution says which (``other_solution``, a code: the quarterly return counts these)
    and may add the worker's own words (``other_detail``, needed for the code "other"), which stay on the
    case. For the other kinds both are ignored.
    """
    household = household_for(session, actor, household_id)
    problems: list[FieldProblem] = []
    if kind not in HousingOptionsKind.codes():
        problems.append(FieldProblem("kind", "choose what the case is sent for"))
    other_detail = (other_detail or "").strip() or None
    if kind == HousingOptionsKind.OTHER:
        _check_solution(problems, other_solution)
        if other_solution == OtherHousingSolution.OTHER and other_detail is None:
            problems.append(FieldProblem("other_detail", "say what the other housing solution is"))
    if other_detail is not None and len(other_detail) > DETAIL_MAX:
        problems.append(FieldProblem("other_detail", f"must be at most {DETAIL_MAX} characters"))
    note = check_note(problems, note)
    if problems:
        raise ValidationError("The case was not sent to Housing Options.", problems)
    if household.status != CaseStatus.OPEN:
        raise TransitionError("This case is closed: reopen it before sending it to Housing Options.")
    waiting = session.scalar(select(HousingOptionsRequest.id).where(
        HousingOptionsRequest.household_id == household_id, HousingOptionsRequest.kind == kind,
        HousingOptionsRequest.state == H.REQUESTED))
    if waiting is not None:
        raise TransitionError("This case is already waiting for Housing Options for the same kind of help.")
    other = kind == HousingOptionsKind.OTHER
    request = HousingOptionsRequest(household_id=household_id, kind=HousingOptionsKind(kind),
                                    other_solution=OtherHousingSolution(other_solution) if other else None,
                                    other_detail=other_detail if other else None,
                                    note=note, requested_by_id=actor.user_id)
    session.add(request)
    session.flush()
    audit.record(session, actor, AuditAction.CREATE, "housing_options_request", request.id, f"kind={kind}")
    return request


def _check_solution(problems: list[FieldProblem], other_solution) -> None:
    if other_solution not in OtherHousingSolution.codes():
        problems.append(FieldProblem("other_solution", "choose which other housing solution"))


def get_request(session: Session, actor: Actor, request_id: int) -> HousingOptionsRequest:
    """One request, if the actor may see it (every request is one sent to Housing Options)."""
    request = session.get(HousingOptionsRequest, request_id)
    if request is None or not _may_read(actor):
        raise NotFound("No such Housing Options request.")
    return request


def view_request(session: Session, actor: Actor, request_id: int) -> HousingOptionsRequest:
    """One request for a person to read: the look at the case is audited."""
    request = get_request(session, actor, request_id)
    audit.record(session, actor, AuditAction.VIEW_CASE, "household", request.household_id,
                 f"housing_options_request={request.id}")
    return request


QUEUE_PER_PAGE = 100  # nationally the whole history is tens of thousands of requests


def _queue(session: Session, actor: Actor, state: HousingOptionsState | None, query, page: int,
           per_page: int) -> Page:
    """One page of ``query`` (oldest first) as the queue of requests in ``state`` (None: all), with the
    queue's total; the look is audited."""
    if not _may_read(actor):
        raise NotFound("No such queue.")
    counted = select(func.count(HousingOptionsRequest.id))
    if state is not None:
        query = query.where(HousingOptionsRequest.state == state)
        counted = counted.where(HousingOptionsRequest.state == state)
    query = query.order_by(HousingOptionsRequest.requested_at, HousingOptionsRequest.id)
    rows = list(session.execute(query.limit(per_page).offset((page - 1) * per_page)))
    total = session.scalar(counted) or 0
    audit.record(session, actor, AuditAction.VIEW_CASE, "housing_options_queue", None,
                 f"state={state.value if state else 'all'} page={page} n={len(rows)}")
    return Page(rows, total, page, per_page)


def queue(session: Session, actor: Actor, state: HousingOptionsState | None = H.REQUESTED, *, page: int = 1,
          per_page: int = QUEUE_PER_PAGE) -> Page:
    """The Housing Options queue: requests in ``state`` (None: all), oldest first, a page at a time.
    The look is audited."""
    # The API shows each case's reference and each request's decisions: one statement each, not one a request.
    query = select(HousingOptionsRequest).options(selectinload(HousingOptionsRequest.household),
                                                  selectinload(HousingOptionsRequest.decisions))
    found = _queue(session, actor, state, query, page, per_page)
    return replace(found, items=[request for (request,) in found.items])


@dataclass(frozen=True)
class QueueLine:
    """A request as the queue page lists it: only what the page shows (a page loads no records)."""

    id: int
    reference: str  # the case's
    kind: HousingOptionsKind
    other_solution: OtherHousingSolution | None
    other_detail: str | None
    requested_at: datetime
    state: HousingOptionsState
    answered_on: date | None
    days: int  # London calendar days waited so far (or waited, once answered)


def queue_lines(session: Session, actor: Actor, state: HousingOptionsState | None = H.REQUESTED,
                today: date | None = None, *, page: int = 1, per_page: int = QUEUE_PER_PAGE) -> Page:
    """The Housing Options queue for the page, as ``queue`` (the same requests, order and audit)."""
    today = today or today_uk()
    r = HousingOptionsRequest
    query = select(r.id, Household.reference, r.kind, r.other_solution, r.other_detail, r.requested_at, r.state,
                   r.answered_on)
    query = query.join(r.household)
    found = _queue(session, actor, state, query, page, per_page)
    return replace(found, items=[QueueLine(*row, days=days_waiting(row, today)) for row in found.items])


def requests_for_household(session: Session, household_id: int) -> list[HousingOptionsRequest]:
    """Every request of one case, newest first (the caller has checked the case is visible)."""
    return list(session.scalars(select(HousingOptionsRequest)
                                .where(HousingOptionsRequest.household_id == household_id)
                                .order_by(HousingOptionsRequest.requested_at.desc(), HousingOptionsRequest.id.desc())))


def _check_day(problems: list[FieldProblem], name: str, on, request: HousingOptionsRequest, today: date) -> None:
    if not isinstance(on, date):
        problems.append(FieldProblem(name, "give the date"))
    elif on > today:
        problems.append(FieldProblem(name, "cannot be in the future"))
    elif on < uk_day(request.requested_at):
        problems.append(FieldProblem(name, "cannot be before the case was sent"))


def answer(session: Session, actor: Actor, request_id: int, outcome: str | None, on: date | None,
           reason: str | None, *, other_solution: str | None = None,
           today: date | None = None) -> HousingOptionsRequest:
    """Confirm or refuse a waiting request (``outcome`` "confirmed" or "refused"), with the day and why.

    A refusal needs a reason; a confirmation may carry one. Confirming another housing solution may
    say which was secured (``other_solution``, a code), where it differs from the one asked for.
    """
    request = get_request(session, actor, request_id)
    today = today or today_uk()
    problems: list[FieldProblem] = []
    if outcome not in (H.CONFIRMED.value, H.REFUSED.value):
        problems.append(FieldProblem("outcome", "choose confirm or refuse"))
    _check_day(problems, "on", on, request, today)
    reason = check_note(problems, reason, "reason")
    if outcome == H.REFUSED.value and reason is None:
        problems.append(FieldProblem("reason", "say why the request is refused"))
    other_solution = other_solution or None
    if other_solution is not None and request.kind != HousingOptionsKind.OTHER:
        problems.append(FieldProblem("other_solution", "only a request for another housing solution has one"))
    elif other_solution is not None and outcome != H.CONFIRMED.value:
        problems.append(FieldProblem("other_solution", "is said only when confirming"))
    elif other_solution is not None:
        _check_solution(problems, other_solution)
    if problems:
        raise ValidationError("The request was not answered.", problems)
    check_transition(request.state, H(outcome))
    if other_solution is not None:
        request.other_solution = OtherHousingSolution(other_solution)
    request.state = H(outcome)
    request.answered_on, request.answered_by_id, request.answer_reason = on, actor.user_id, reason
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, "housing_options_request", request.id,
                 f"state={outcome}" + (f" other_solution={other_solution}" if other_solution else ""))
    return request


def withdraw(session: Session, actor: Actor, request_id: int) -> HousingOptionsRequest:
    """Withdraw a request Housing Options has not yet answered."""
    request = get_request(session, actor, request_id)
    check_transition(request.state, H.WITHDRAWN)
    request.state = H.WITHDRAWN
    session.flush()
    audit.record(session, actor, AuditAction.UPDATE, "housing_options_request", request.id, "state=withdrawn")
    return request


def record_decision(session: Session, actor: Actor, request_id: int, decision: str | None,
                    decided_on: date | None, note: str | None = None, *,
                    today: date | None = None) -> HousingOptionsDecision:
    """Record a decision (a ``HousingDuty`` code) on an answered request."""
    request = get_request(session, actor, request_id)
    today = today or today_uk()
    problems: list[FieldProblem] = []
    if decision not in HousingDuty.codes():
        problems.append(FieldProblem("decision", "choose the decision"))
    _check_day(problems, "decided_on", decided_on, request, today)
    note = check_note(problems, note)
    if decision == HousingDuty.OTHER and note is None:
        problems.append(FieldProblem("note", "say what was decided, when the decision is 'Other'"))
    if problems:
        raise ValidationError("The decision was not recorded.", problems)
    if request.state not in ANSWERED:
        raise TransitionError(f"Decisions are recorded on a confirmed or refused request; this one is "
                              f"'{request.state.label}'.")
    row = HousingOptionsDecision(decision=HousingDuty(decision), decided_on=decided_on,
                                 decided_by_id=actor.user_id, note=note)
    request.decisions.append(row)
    session.flush()
    audit.record(session, actor, AuditAction.CREATE, "housing_options_decision", row.id,
                 f"request={request.id} decision={decision}")
    return row


# Timeliness and work lists (the reports count answers by kind: reports_housing) ------------------

def days_to_answer(request: HousingOptionsRequest) -> int | None:
    """London calendar days from sending the case to the answer (None while waiting)."""
    if request.answered_on is None:
        return None
    return days_between(request.requested_at, request.answered_on)


def days_waiting(request: HousingOptionsRequest, today: date | None = None) -> int:
    """London calendar days the request has waited so far (or waited, once answered)."""
    return days_between(request.requested_at, request.answered_on or today or today_uk())


def waiting_count(session: Session) -> int:
    """How many requests wait for an answer."""
    return session.scalar(select(func.count()).select_from(HousingOptionsRequest)
                          .where(HousingOptionsRequest.state == H.REQUESTED)) or 0
