"""The housing reports: tenure at entry against exit, move-on timeliness, occupancy and voids, offers.

Definitions (docs/reports.md has them as a table):

- **Tenure**: the cases closed in the quarter (as the return's "cases closed"),
  by tenure at entry (``Household.tenure_at_entry``) against tenure at exit:
  the exit tenure of the household's last move out of a unit
  (``Placement.exit_tenure``, latest ``moved_out_on``); failing that, for a case
  closed as "own home made safe" or with an own home secured by a sanctuary
  install, the tenure at entry (they stayed); otherwise "Not known".
- **Move-on timeliness**: households who moved out of a temporary unit
  (refuge, emergency, supported, dispersed) with the day in the quarter; days
  in temporary accommodation = moved out - moved in, in calendar days. Median
  (the middle value, or the mean of the two middle values) and 90th percentile
  (nearest rank: the smallest value with at least 90% of stays at or below it),
  by unit type. "By target" and "after target" use the stay's move-on plan.
  "Past target at the quarter's end": living in a temporary unit on the
  quarter's last day (or today, for the current quarter) with the plan's
  target date already passed.
- **Occupancy and voids**, by unit type, over the quarter's days: unit-days are
  the days each unit existed (made before, not retired before); occupied days
  are the days of placements from moving in to moving out; void days are the
  time units spent void by their status history. Unit counts are stock, not
  people, and are not suppressed.
- **Offers**: placements offered in the quarter (``offered_at``): accepted
  (answered, and not declined: a later withdrawal still counts the
  acceptance), declined by the household or by the provider, lapsed,
  withdrawn before an answer, still waiting. Acceptance rate = accepted /
  (accepted + declined).
- **Housing Options answers** (a table of the offers report): requests
  confirmed or refused with the answer dated in the quarter
  (``answered_on``), by kind; days from request to answer are London calendar
  days from sending the case to the answer (``housing_options.days_to_answer``,
  the rule the Housing Options pages use); the median and the longest.
"""
from __future__ import annotations

import math
import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased, load_only

from safehome.codes import (
    TEMPORARY_UNIT_TYPES,
    CloseReason,
    DecisionBy,
    DeclineReason,
    HousingOptionsKind,
    HousingOptionsState,
    PlacementState,
    Tenure,
    UnitStatus,
    UnitType,
)
from safehome.models import (
    Household,
    HousingOptionsRequest,
    MoveOnPlan,
    Placement,
    SanctuaryInstall,
    Unit,
    UnitStatusChange,
)
from safehome.services.housing_options import ANSWERED, days_to_answer
from safehome.services.reports_base import (
    COUNT,
    DAYS,
    PERCENT,
    ChartSpec,
    Cell,
    Quarter,
    Report,
    Row,
    Table,
    days_between,
    drill,
    drill_args,
)
from safehome.services.reports_return import cases_closed
from safehome.models.base import utcnow
from safehome.services.timeliness import today_uk, uk_day

STOCK = "stock"  # a count of units, not of people: never suppressed
TEMPORARY = [t for t in UnitType if t in TEMPORARY_UNIT_TYPES]

# Tenure -------------------------------------------------------------------------------------------


def exit_tenure():
    """The tenure at exit of a ``Household`` row (a correlated expression)."""
    last_exit = (select(Placement.exit_tenure).where(Placement.household_id == Household.id,
                                                     Placement.exit_tenure.is_not(None))
                 .order_by(Placement.moved_out_on.desc(), Placement.id.desc()).limit(1).scalar_subquery())
    secured = select(SanctuaryInstall.id).where(SanctuaryInstall.household_id == Household.id,
                                                SanctuaryInstall.installed_on.is_not(None),
                                                SanctuaryInstall.fire_checked_on.is_not(None)).exists()
    stayed = or_(Household.close_reason == CloseReason.OWN_HOME_SECURED, secured)
    return func.coalesce(last_exit, case((stayed, Household.tenure_at_entry), else_=Tenure.UNKNOWN.value))


def _closed_households(quarter: Quarter):
    return Household.id.in_(select(cases_closed(quarter).subquery().c.household_id))


@drill("tenure")
def _tenure_cases(quarter: Quarter, args: dict) -> Select:
    query = select(Household.id.label("household_id"), Household.reference).where(_closed_households(quarter))
    if args.get("entry"):
        query = query.where(Household.tenure_at_entry == args["entry"])
    if args.get("exit"):
        query = query.where(exit_tenure() == args["exit"])
    return query


def tenure_report(session: Session, quarter: Quarter) -> Report:
    """Cases closed in the quarter by tenure at entry (rows) against tenure at exit (columns)."""
    exit_ = exit_tenure().label("exit")
    counts: dict[tuple[str, str], int] = {}
    for entry, out, n in session.execute(select(Household.tenure_at_entry, exit_, func.count())
                                         .where(_closed_households(quarter))
                                         .group_by(Household.tenure_at_entry, exit_)):
        counts[(Tenure(entry).value, Tenure(out).value)] = n
    used = [t for t in Tenure if any(t.value in pair for pair in counts)]
    rows = []
    for entry in used:
        cells = [Cell(counts.get((entry.value, out.value), 0), COUNT,
                      drill_args("tenure", entry=entry.value, exit=out.value)) for out in used]
        cells.append(Cell(sum(c.value for c in cells), COUNT, drill_args("tenure", entry=entry.value)))
        rows.append(Row(entry.label, cells, entry.value))
    totals = [Cell(sum(counts.get((entry.value, out.value), 0) for entry in used), COUNT,
                   drill_args("tenure", exit=out.value)) for out in used]
    totals.append(Cell(sum(counts.values()), COUNT, drill_args("tenure")))
    rows.append(Row("Total", totals, "total"))
    table = Table("tenure", "Tenure at entry (rows) against tenure at exit (columns)", "Tenure at entry",
                  [t.label for t in used] + ["Total"], rows, row_totals=True, col_totals=True,
                  note="Cases closed in the quarter. Tenures no case had are left out.")
    return Report("tenure", "Tenure at entry and exit", quarter, [table])


# Move-on timeliness -------------------------------------------------------------------------------

BINS = [(0, 7, "0-7 days"), (8, 28, "8-28 days"), (29, 56, "29-56 days"), (57, 91, "57-91 days"),
        (92, 182, "92-182 days"), (183, 365, "183-365 days"), (366, None, "Over a year")]


def percentile(values: list[int], share: float) -> int | None:
    """Nearest-rank percentile: the smallest value with at least ``share`` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


def median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def _moves_on(quarter: Quarter) -> Select:
    return (select(Placement.household_id, Household.reference)
            .join(Household, Household.id == Placement.household_id).join(Unit, Unit.id == Placement.unit_id)
            .where(Placement.moved_out_on >= quarter.start, Placement.moved_out_on <= quarter.end,
                   Unit.type.in_(TEMPORARY_UNIT_TYPES)))


def _as_of(quarter: Quarter, today: date | None = None) -> date:
    return min(quarter.end, today or today_uk())


def _past_target(quarter: Quarter, today: date | None = None) -> Select:
    as_of = _as_of(quarter, today)
    return (select(Placement.household_id, Household.reference, Unit.type.label("unit_type"))
            .join(MoveOnPlan, MoveOnPlan.placement_id == Placement.id)
            .join(Household, Household.id == Placement.household_id).join(Unit, Unit.id == Placement.unit_id)
            .where(Unit.type.in_(TEMPORARY_UNIT_TYPES), Placement.moved_in_on <= as_of,
                   or_(Placement.moved_out_on.is_(None), Placement.moved_out_on > as_of),
                   MoveOnPlan.target_on < as_of))


@drill("moved_on")
def _moved_on_cases(quarter: Quarter, args: dict) -> Select:
    query = _moves_on(quarter)
    if args.get("unit_type"):
        query = query.where(Unit.type == args["unit_type"])
    if args.get("target") in ("by", "after"):
        query = query.join(MoveOnPlan, MoveOnPlan.placement_id == Placement.id).where(
            Placement.moved_out_on <= MoveOnPlan.target_on if args["target"] == "by"
            else Placement.moved_out_on > MoveOnPlan.target_on)
    if args.get("bin") in {str(i) for i in range(len(BINS))}:
        low, high, _label = BINS[int(args["bin"])]
        span = days_between(Placement.moved_in_on, Placement.moved_out_on)
        query = query.where(span >= low) if high is None else query.where(span >= low, span <= high)
    return query.distinct()


@drill("past_target")
def _past_target_cases(quarter: Quarter, args: dict) -> Select:
    sub = _past_target(quarter).subquery()
    query = select(sub.c.household_id, sub.c.reference)
    if args.get("unit_type"):
        query = query.where(sub.c.unit_type == args["unit_type"])
    return query.distinct()


def timeliness_report(session: Session, quarter: Quarter, today: date | None = None) -> Report:
    """Days in temporary accommodation for moves on in the quarter, by unit type; who is past target."""
    plan = aliased(MoveOnPlan)
    stays = session.execute(
        select(Unit.type, Placement.moved_in_on, Placement.moved_out_on, plan.target_on)
        .join(Unit, Unit.id == Placement.unit_id).outerjoin(plan, plan.placement_id == Placement.id)
        .where(Placement.moved_out_on >= quarter.start, Placement.moved_out_on <= quarter.end,
               Unit.type.in_(TEMPORARY_UNIT_TYPES))).all()
    past = _past_target(quarter, today).subquery()
    late = dict(session.execute(select(past.c.unit_type, func.count()).group_by(past.c.unit_type)).all())
    days_by_type: dict[UnitType, list[int]] = defaultdict(list)
    by_target: dict[UnitType, int] = defaultdict(int)
    after_target: dict[UnitType, int] = defaultdict(int)
    for unit_type, moved_in, moved_out, target in stays:
        days_by_type[unit_type].append((moved_out - moved_in).days)
        if target is not None:
            if moved_out <= target:
                by_target[unit_type] += 1
            else:
                after_target[unit_type] += 1
    rows = []
    for unit_type in TEMPORARY:
        days = days_by_type.get(unit_type, [])
        rows.append(_timeliness_row(unit_type.label, unit_type.value, days, by_target[unit_type],
                                    after_target[unit_type], late.get(unit_type, 0)))
    all_days = [d for values in days_by_type.values() for d in values]
    rows.append(_timeliness_row("All temporary accommodation", None, all_days, sum(by_target.values()),
                                sum(after_target.values()), sum(late.values())))
    by_type = Table("by_unit_type", "Days in temporary accommodation, by unit type", "Unit type",
                    ["Moved on", "Median days", "90th percentile days", "Moved on by target",
                     "Moved on after target", "Past target at the quarter's end"], rows, col_totals=True,
                    note="Moves out of a temporary unit with the day in the quarter; days from moving in to "
                         "moving out. Targets come from the stay's move-on plan.")
    bins = [0] * len(BINS)
    for d in all_days:
        bins[next(i for i, (low, high, _l) in enumerate(BINS) if d >= low and (high is None or d <= high))] += 1
    distribution = Table("distribution", "How long stays lasted", "Days in temporary accommodation", ["Households"],
                         [Row(label, [Cell(n, COUNT, drill_args("moved_on", bin=str(i)))], str(i))
                          for i, ((_low, _high, label), n) in enumerate(zip(BINS, bins))]
                         + [Row("Total", [Cell(len(all_days), COUNT, drill_args("moved_on"))], "total")],
                         col_totals=True)
    charts = [ChartSpec("distribution", "histogram", f"Days in temporary accommodation, {quarter.short}",
                        "How many households moved on after each length of stay; the table gives the same "
                        "figures.", "distribution", (0,)),
              ChartSpec("median", "bar", f"Median and 90th percentile days, {quarter.short}",
                        "For each temporary unit type, the median and 90th-percentile days from moving in to "
                        "moving on.", "by_unit_type", (1, 2))]
    return Report("timeliness", "Move-on timeliness", quarter, [by_type, distribution], charts)


def _timeliness_row(label: str, unit_type: str | None, days: list[int], by: int, after: int, late: int) -> Row:
    return Row(label, [
        Cell(len(days), COUNT, drill_args("moved_on", unit_type=unit_type)),
        Cell(median(days), DAYS), Cell(percentile(days, 0.9), DAYS),
        Cell(by, COUNT, drill_args("moved_on", unit_type=unit_type, target="by")),
        Cell(after, COUNT, drill_args("moved_on", unit_type=unit_type, target="after")),
        Cell(late, COUNT, drill_args("past_target", unit_type=unit_type))], unit_type or "total")


# Occupancy and voids ----------------------------------------------------------------------------------

def _overlap_days(start: datetime | date, end: datetime | date | None, q_start, q_end) -> float:
    """Days of [start, end) inside [q_start, q_end) (``end`` None: still going)."""
    end = q_end if end is None else min(end, q_end)
    start = max(start, q_start)
    if end <= start:
        return 0.0
    return (end - start).total_seconds() / 86400 if isinstance(start, datetime) else float((end - start).days)


@drill("placed")
def _placed_cases(quarter: Quarter, args: dict) -> Select:
    """Households living in a unit of the type at some time in the quarter."""
    query = (select(Placement.household_id, Household.reference)
             .join(Household, Household.id == Placement.household_id).join(Unit, Unit.id == Placement.unit_id)
             .where(Placement.moved_in_on <= quarter.end,
                    or_(Placement.moved_out_on.is_(None), Placement.moved_out_on >= quarter.start)))
    if args.get("unit_type"):
        query = query.where(Unit.type == args["unit_type"])
    return query.distinct()


def occupancy_report(session: Session, quarter: Quarter, now: datetime | None = None) -> Report:
    """Unit-days, occupied days and void days over the quarter by unit type, and the stock by status now.

    The current quarter is counted up to ``now``.
    """
    now = now or utcnow()
    start_at, end_at = quarter.start_at, min(quarter.end_at, now)
    last_day = min(quarter.next_start, uk_day(now) + timedelta(days=1))  # the day after the last one counted
    unit_days: dict[UnitType, float] = defaultdict(float)
    units: dict[UnitType, int] = defaultdict(int)
    for unit_type, created, retired in session.execute(
            select(Unit.type, Unit.created_at, Unit.retired_at)
            .where(Unit.created_at < end_at, or_(Unit.retired_at.is_(None), Unit.retired_at >= start_at))):
        units[unit_type] += 1
        unit_days[unit_type] += _overlap_days(created, retired, start_at, end_at)
    occupied: dict[UnitType, float] = defaultdict(float)
    households: dict[UnitType, set] = defaultdict(set)
    for unit_type, household_id, moved_in, moved_out in session.execute(
            select(Unit.type, Placement.household_id, Placement.moved_in_on, Placement.moved_out_on)
            .join(Unit, Unit.id == Placement.unit_id)
            .where(Placement.moved_in_on <= quarter.end,
                   or_(Placement.moved_out_on.is_(None), Placement.moved_out_on >= quarter.start))):
        occupied[unit_type] += _overlap_days(moved_in, moved_out, quarter.start, last_day)
        households[unit_type].add(household_id)
    void: dict[UnitType, float] = defaultdict(float)
    following = func.lead(UnitStatusChange.at, type_=UnitStatusChange.at.type).over(
        partition_by=UnitStatusChange.unit_id, order_by=(UnitStatusChange.at, UnitStatusChange.id))
    spans = select(UnitStatusChange.unit_id, UnitStatusChange.to_status, UnitStatusChange.at,
                   following.label("until")).subquery()
    for unit_type, since, until in session.execute(
            select(Unit.type, spans.c.at, spans.c.until).join(Unit, Unit.id == spans.c.unit_id)
            .where(spans.c.to_status == UnitStatus.VOID, spans.c.at < end_at,
                   or_(spans.c.until.is_(None), spans.c.until > start_at))):
        void[unit_type] += _overlap_days(since, until, start_at, end_at)
    stock = dict(((t, s), n) for t, s, n in session.execute(
        select(Unit.type, Unit.status, func.count()).where(Unit.retired_at.is_(None)).group_by(Unit.type, Unit.status)))
    rows, now_rows = [], []
    for unit_type in UnitType:
        possible = unit_days[unit_type]
        rows.append(Row(unit_type.label, [
            Cell(units[unit_type], STOCK), Cell(round(possible, 1), DAYS),
            Cell(len(households[unit_type]), COUNT, drill_args("placed", unit_type=unit_type.value)),
            Cell(round(occupied[unit_type], 1), DAYS), Cell(round(void[unit_type], 1), DAYS),
            Cell(round(100 * occupied[unit_type] / possible) if possible else None, PERCENT),
            Cell(round(100 * void[unit_type] / possible) if possible else None, PERCENT)], unit_type.value))
        now_rows.append(Row(unit_type.label, [Cell(stock.get((unit_type, s), 0), STOCK) for s in UnitStatus],
                            unit_type.value))
    over_quarter = Table("occupancy", "Occupancy and voids over the quarter, by unit type", "Unit type",
                         ["Units", "Unit-days", "Households placed", "Occupied days", "Void days", "Occupancy",
                          "Void share"], rows,
                         note="Unit-days count each day a unit existed in the quarter (to today, for the current "
                              "quarter). Unit counts are stock, not people, and are not suppressed.")
    status_now = Table("stock", "Units by status now", "Unit type", [s.label for s in UnitStatus], now_rows,
                       note="The status of every unit in use today, whatever quarter is shown.")
    charts = [ChartSpec("occupancy", "bar", f"Occupancy and void share, {quarter.short}",
                        "For each unit type, the percent of unit-days occupied and the percent void.",
                        "occupancy", (5, 6), unit="%")]
    return Report("occupancy", "Occupancy and voids", quarter, [over_quarter, status_now], charts)


# Offers ---------------------------------------------------------------------------------------------------

OFFER_OUTCOMES = {
    "accepted": "Accepted",
    "declined_household": "Declined by the household",
    "declined_provider": "Declined by the provider",
    "lapsed": "Lapsed (not answered in time)",
    "withdrawn": "Withdrawn before an answer",
    "waiting": "Waiting for an answer",
}


def _offer_outcome():
    """The outcome code of a ``Placement`` offered (a CASE expression)."""
    return case(
        (Placement.state == PlacementState.DECLINED,
         case((Placement.decision_by == DecisionBy.PROVIDER, "declined_provider"), else_="declined_household")),
        (Placement.state == PlacementState.LAPSED, "lapsed"),
        (Placement.state == PlacementState.OFFERED, "waiting"),
        (Placement.decided_at.is_not(None), "accepted"),
        else_="withdrawn")


def _offered(quarter: Quarter):
    return and_(Placement.offered_at >= quarter.start_at, Placement.offered_at < quarter.end_at)


@drill("offers")
def _offer_cases(quarter: Quarter, args: dict) -> Select:
    query = (select(Placement.household_id, Household.reference)
             .join(Household, Household.id == Placement.household_id).where(_offered(quarter)))
    if args.get("outcome") == "declined":
        query = query.where(Placement.state == PlacementState.DECLINED)
    elif args.get("outcome"):
        query = query.where(_offer_outcome() == args["outcome"])
    if args.get("reason"):
        query = query.where(Placement.decline_reason == args["reason"])
    if args.get("by"):
        query = query.where(Placement.decision_by == args["by"])
    return query.distinct()


def offers_report(session: Session, quarter: Quarter) -> Report:
    """Offers made in the quarter: what became of them, the acceptance rate, and why offers were declined."""
    outcome = _offer_outcome().label("outcome")
    counts = dict(session.execute(select(outcome, func.count()).where(_offered(quarter)).group_by(outcome)).all())
    made = sum(counts.values())
    rows = [Row(label, [Cell(counts.get(key, 0), COUNT, drill_args("offers", outcome=key))], key)
            for key, label in OFFER_OUTCOMES.items()]
    rows.append(Row("Offers made", [Cell(made, COUNT, drill_args("offers"))], "total"))
    outcomes = Table("offers", "What became of the offers made in the quarter", "Outcome", ["Offers"], rows,
                     col_totals=True)
    accepted = counts.get("accepted", 0)
    declined = counts.get("declined_household", 0) + counts.get("declined_provider", 0)
    rate = Table("acceptance", "Acceptance rate", "Offers answered", ["Accepted", "Declined", "Acceptance rate"], [
        Row("Accepted or declined", [
            Cell(accepted, COUNT, drill_args("offers", outcome="accepted")),
            Cell(declined, COUNT, drill_args("offers", outcome="declined")),
            Cell(round(100 * accepted / (accepted + declined)) if accepted + declined else None, PERCENT)])],
        note="Acceptance rate = accepted / (accepted + declined); lapsed and withdrawn offers are left out.")
    by_reason = {(r, b): n for r, b, n in session.execute(
        select(Placement.decline_reason, Placement.decision_by, func.count())
        .where(_offered(quarter), Placement.state == PlacementState.DECLINED)
        .group_by(Placement.decline_reason, Placement.decision_by))}
    reason_rows = []
    for reason in DeclineReason:
        cells = [Cell(by_reason.get((reason, by), 0), COUNT,
                      drill_args("offers", outcome="declined_" + by.value, reason=reason.value)) for by in DecisionBy]
        cells.append(Cell(sum(c.value for c in cells), COUNT, drill_args("offers", outcome="declined",
                                                                        reason=reason.value)))
        reason_rows.append(Row(reason.label, cells, reason.value))
    totals = [Cell(sum(r.cells[i].value for r in reason_rows), COUNT,
                   drill_args("offers", outcome="declined_" + by.value)) for i, by in enumerate(DecisionBy)]
    totals.append(Cell(sum(c.value for c in totals), COUNT, drill_args("offers", outcome="declined")))
    reason_rows.append(Row("Total", totals, "total"))
    reasons = Table("decline_reasons", "Why offers were declined: the household's decisions against the provider's",
                    "Reason", [by.label for by in DecisionBy] + ["Total"], reason_rows, row_totals=True,
                    col_totals=True)
    charts = [ChartSpec("decline_reasons", "bar", f"Decline reasons, {quarter.short}",
                        "For each reason, offers declined by the household and by the provider.",
                        "decline_reasons", (0, 1))]
    return Report("offers", "Offers", quarter, [outcomes, rate, reasons, housing_options_answers(session, quarter)],
                  charts)


# Housing Options answers ----------------------------------------------------------------------------------

def _answered(quarter: Quarter):
    """Housing Options requests confirmed or refused with the answer dated in the quarter."""
    return and_(HousingOptionsRequest.state.in_(ANSWERED), HousingOptionsRequest.answered_on >= quarter.start,
                HousingOptionsRequest.answered_on <= quarter.end)


@drill("housing_options")
def _housing_options_cases(quarter: Quarter, args: dict) -> Select:
    """The cases behind a Housing Options answers figure: of one ``kind`` (else every kind), answered
    ``state`` (confirmed or refused; else both)."""
    query = (select(HousingOptionsRequest.household_id, Household.reference)
             .join(Household, Household.id == HousingOptionsRequest.household_id).where(_answered(quarter)))
    if args.get("kind"):
        query = query.where(HousingOptionsRequest.kind == args["kind"])
    if args.get("state"):
        query = query.where(HousingOptionsRequest.state == args["state"])
    return query.distinct()


def housing_options_answers(session: Session, quarter: Quarter) -> Table:
    """Housing Options requests answered in the quarter, by kind: confirmed, refused, and the median and
    longest days from request to answer."""
    days: dict[HousingOptionsKind, list[int]] = defaultdict(list)
    counts: dict[tuple[HousingOptionsKind, HousingOptionsState], int] = defaultdict(int)
    # The answered set of one quarter is small; the days are London days, counted as the Housing Options
    # pages count them, which SQLite cannot do in SQL.
    for request in session.scalars(
            select(HousingOptionsRequest)
            .options(load_only(HousingOptionsRequest.kind, HousingOptionsRequest.state,
                               HousingOptionsRequest.requested_at, HousingOptionsRequest.answered_on))
            .where(_answered(quarter))):
        days[request.kind].append(days_to_answer(request))
        counts[(request.kind, request.state)] += 1
    rows = [_answers_row(kind.label, kind.value, days[kind], counts[(kind, HousingOptionsState.CONFIRMED)],
                         counts[(kind, HousingOptionsState.REFUSED)]) for kind in HousingOptionsKind]
    rows.append(_answers_row("All kinds", "total", [d for values in days.values() for d in values],
                             sum(r.cells[2].value for r in rows), sum(r.cells[3].value for r in rows)))
    # The counts end each row (answered = confirmed + refused) so suppression protects that sum too.
    return Table("housing_options", "Housing Options: days from sending a case to the answer, by kind",
                 "Kind of help", ["Median days to answer", "Longest days to answer", "Confirmed", "Refused",
                                  "Answered"], rows, row_totals=True, col_totals=True,
                 note="Requests confirmed or refused with the answer dated in the quarter; days are London "
                      "calendar days from the day the case was sent to the day of the answer.")


def _answers_row(label: str, key: str, days: list[int], confirmed: int, refused: int) -> Row:
    kind = None if key == "total" else key
    return Row(label, [Cell(median(days), DAYS), Cell(max(days) if days else None, DAYS),
                       Cell(confirmed, COUNT, drill_args("housing_options", kind=kind,
                                                         state=HousingOptionsState.CONFIRMED.value)),
                       Cell(refused, COUNT, drill_args("housing_options", kind=kind,
                                                       state=HousingOptionsState.REFUSED.value)),
                       Cell(confirmed + refused, COUNT, drill_args("housing_options", kind=kind))], key)
