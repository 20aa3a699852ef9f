"""The quarterly performance return: every output the council names, and the outcomes against targets.

Outputs
-------
Each output is a function registered with ``@output(key)`` that returns the
rows it counts as ``SELECT household_id, reference`` (one row per thing
counted). The return counts all of them in ONE statement of scalar
subqueries, and the drill-down lists the distinct cases of the same rows, so
a figure and its list cannot disagree. ``OUTPUT_NAMES`` is the council's list,
in the council's order and words; docs/reports.md has the same definitions as
a table.

Which day puts a record in a quarter: its London calendar day (see
``Quarter``): a timestamp (``received_at``, ``opened_at``, a status change's
``at``) is compared with the quarter's London midnights; a day in a
person's life (moved in, fire-safety checked, answered) with the quarter's
first and last days.

Outcomes
--------
Percent of the households measured: a household is measured for a quarter
when it has an exit measure of that kind dated in the quarter (its latest
one, if several); "feels safer" and "increased confidence" compare that exit
score with the household's first intake score of the same kind (households
without an intake score are not measured), and count a higher score;
"satisfied" counts an exit score of ``outcomes.SATISFIED_FROM`` (4) or 5;
"maintained independent living" and "moved on to independent living" count a
yes. Timely move-on: of the households who moved on from temporary
accommodation in the quarter under a move-on plan, those who moved on by the
plan's target date.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Integer, Select, and_, case, cast, func, literal, null, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from safehome.codes import (
    TEMPORARY_UNIT_TYPES,
    CaseStatus,
    HousingOptionsKind,
    HousingOptionsState,
    OtherHousingSolution,
    OutcomeMeasureKind,
    OutcomeStage,
)
from safehome.models import (
    CaseStatusChange,
    Household,
    HousingOptionsRequest,
    MoveOnPlan,
    OutcomeMeasure,
    Placement,
    Referral,
    SanctuaryInstall,
    Unit,
)
from safehome.services.outcomes import SATISFIED_FROM
from safehome.services.reports_base import (
    COUNT,
    PERCENT,
    SCORE,
    TARGET,
    ChartSpec,
    Cell,
    Quarter,
    Report,
    Row,
    Table,
    drill,
    drill_args,
    no_cases,
)

K = OutcomeMeasureKind

# The council's outputs, in its order and its words (Lot 2, section 8).
OUTPUT_NAMES: dict[str, str] = {
    "referrals": "Number of referrals",
    "cases_opened": "Number of cases opened",
    "own_homes_secured": "Number of own homes secured",
    "perpetrators_accommodated": "Number of perpetrators found alternative accommodation",
    "homelessness_applications": "Number of homelessness applications",
    "housing_transfers": "Number of housing transfers",
    "private_rentals": "Number of private rentals secured",
    "cases_closed": "Number of cases closed",
    "placements_secured": "Number of temporary supported accommodation placements secured",
    "repeat_referrals": "Number of repeat referrals",
    "other_solutions": "Number of other housing solutions secured (detail)",
}
OutputRows = Callable[[Quarter], Select]
OUTPUTS: dict[str, OutputRows] = {}


def output(key: str):
    """Register (or replace) the rows an output counts: ``(quarter) -> SELECT household_id, reference``.

    Another area's module plugs its figure in by decorating one function with
    the output's key; the last registration wins.
    """
    if key not in OUTPUT_NAMES:
        raise KeyError(f"not an output of the return: {key}")

    def register(func: OutputRows) -> OutputRows:
        OUTPUTS[key] = func
        drill(key)(lambda quarter, _args, func=func: _cases_of(func(quarter)))
        return func
    return register


def _cases_of(rows: Select) -> Select:
    sub = rows.subquery()
    return select(sub.c.household_id, sub.c.reference).distinct()


def _at_in(column, quarter: Quarter):
    return and_(column >= quarter.start_at, column < quarter.end_at)


def _day_in(column, quarter: Quarter):
    return and_(column >= quarter.start, column <= quarter.end)


def _case_changes(quarter: Quarter, column, status: CaseStatus) -> Select:
    """Cases whose ``column`` (opened or closed) or a history row of ``status`` falls in the quarter, once each.

    One pass over the cases, each found by either index (``column``'s, or the history's by status and
    time, which holds the case): no union of two lists to sort and merge.
    """
    changed = select(CaseStatusChange.household_id).where(CaseStatusChange.status == status,
                                                          _at_in(CaseStatusChange.at, quarter))
    return select(Household.id.label("household_id"), Household.reference).where(
        or_(_at_in(column, quarter), Household.id.in_(changed)))


@output("referrals")
def referrals(quarter: Quarter) -> Select:
    """Every referral received in the quarter (``Referral.received_at``), including one that joined an
    open case and a repeat: each referral counts once."""
    return select(Referral.household_id, Referral.reference).where(_at_in(Referral.received_at, quarter))


@output("cases_opened")
def cases_opened(quarter: Quarter) -> Select:
    """Cases opened in the quarter: first opened (``Household.opened_at``) or reopened (a
    ``CaseStatusChange`` to open) in it. A case counts once however often it opened in the quarter;
    a case reopened in a later quarter counts in that quarter too."""
    return _case_changes(quarter, Household.opened_at, CaseStatus.OPEN)


@output("cases_closed")
def cases_closed(quarter: Quarter) -> Select:
    """Cases closed in the quarter: a close recorded in the case's history (``CaseStatusChange``) or its
    current close date (``Household.closed_at``) in the quarter. A case closed and later reopened still
    counts in the quarter it closed; a case closed twice in one quarter counts once."""
    return _case_changes(quarter, Household.closed_at, CaseStatus.CLOSED)


@output("own_homes_secured")
def own_homes_secured(quarter: Quarter) -> Select:
    """Sanctuary installs that became an own home secured in the quarter: installed, and fire-safety checked
    (``fire_checked_on``, the last step) in it, as ``sanctuary.is_own_home_secured`` says."""
    return (select(SanctuaryInstall.household_id, Household.reference).join(Household)
            .where(SanctuaryInstall.installed_on.is_not(None), _day_in(SanctuaryInstall.fire_checked_on, quarter)))


@output("perpetrators_accommodated")
def perpetrators_accommodated(quarter: Quarter) -> Select:
    """Perpetrators found alternative accommodation. This figure is filled by the perpetrator module, which
    registers its own function under this key with ``@output("perpetrators_accommodated")`` (returning
    ``household_id`` of the victim's case, or NULL, and a ``reference``); until it does, no rows: 0."""
    return no_cases()


def _confirmed(kind: HousingOptionsKind, quarter: Quarter) -> Select:
    return (select(HousingOptionsRequest.household_id, Household.reference).join(Household)
            .where(HousingOptionsRequest.kind == kind, HousingOptionsRequest.state == HousingOptionsState.CONFIRMED,
                   _day_in(HousingOptionsRequest.answered_on, quarter)))


@output("homelessness_applications")
def homelessness_applications(quarter: Quarter) -> Select:
    """Homelessness applications confirmed by Housing Options with their answer dated in the quarter
    (``answered_on``); requests refused, withdrawn or still waiting do not count."""
    return _confirmed(HousingOptionsKind.HOMELESSNESS_APPLICATION, quarter)


@output("housing_transfers")
def housing_transfers(quarter: Quarter) -> Select:
    """Housing transfers confirmed by Housing Options, answered in the quarter."""
    return _confirmed(HousingOptionsKind.HOUSING_TRANSFER, quarter)


@output("private_rentals")
def private_rentals(quarter: Quarter) -> Select:
    """Private rentals secured: Housing Options requests for help into a private rental confirmed in the quarter."""
    return _confirmed(HousingOptionsKind.PRIVATE_RENTAL, quarter)


@output("other_solutions")
def other_solutions(quarter: Quarter) -> Select:
    """Other housing solutions secured: requests of kind "other" confirmed in the quarter; the detail the
    council asks for is each request's code (``other_solution``, counted in ``other_solution_counts``),
    never the worker's free-text ``other_detail``."""
    return _confirmed(HousingOptionsKind.OTHER, quarter)


@output("placements_secured")
def placements_secured(quarter: Quarter) -> Select:
    """Temporary supported accommodation placements secured: households who moved into a refuge, emergency,
    supported or dispersed unit with the move-in day (``Placement.moved_in_on``) in the quarter."""
    return (select(Placement.household_id, Household.reference)
            .join(Household, Household.id == Placement.household_id).join(Unit, Unit.id == Placement.unit_id)
            .where(_day_in(Placement.moved_in_on, quarter), Unit.type.in_(TEMPORARY_UNIT_TYPES)))


@output("repeat_referrals")
def repeat_referrals(quarter: Quarter) -> Select:
    """Referrals received in the quarter that repeat an earlier referral of the same reference within
    12 months (``Referral.is_repeat``, set when the referral was taken, as services/referrals.py says).
    A referral counts, not a person: a reference referred three times in a year counts twice."""
    return referrals(quarter).where(Referral.is_repeat.is_(True))


def output_counts(session: Session, quarter: Quarter, keys: Iterable[str] = OUTPUT_NAMES) -> dict[str, int]:
    """The outputs for the quarter (every one, or those of ``keys``), from one statement of counting subqueries."""
    keys = list(keys)
    columns = [select(func.count()).select_from(OUTPUTS[key](quarter).subquery()).scalar_subquery().label(key)
               for key in keys]
    row = session.execute(select(*columns)).one()
    return {key: int(value or 0) for key, value in zip(keys, row)}


def other_solution_counts(session: Session, quarter: Quarter) -> dict[OtherHousingSolution, int]:
    """How many other housing solutions were secured of each coded kind (only codes: no free text is read)."""
    code = HousingOptionsRequest.other_solution
    return dict(session.execute(
        select(code, func.count()).where(
            HousingOptionsRequest.kind == HousingOptionsKind.OTHER,
            HousingOptionsRequest.state == HousingOptionsState.CONFIRMED,
            _day_in(HousingOptionsRequest.answered_on, quarter))
        .group_by(code)).all())


@drill("other_solution")
def _other_solution_cases(quarter: Quarter, args: dict) -> Select:
    return _cases_of(other_solutions(quarter).where(HousingOptionsRequest.other_solution == args.get("solution")))


# Outcomes --------------------------------------------------------------------------------

# The council's targets (Lot 2, section 8); the others are "baseline to be ascertained".
TARGETS = {K.CONFIDENCE: 75, K.SATISFACTION: 85}
OUTCOME_NAMES = {
    K.FEELS_SAFE: "Victim feels safer at home (exit against intake)",
    "timely_move_on": "Timely move on where there has been disruption to own home",
    K.CONFIDENCE: "Victim has increased confidence in independent living",
    K.MAINTAINED_INDEPENDENT: "Maintained independent living",
    K.MOVED_ON_INDEPENDENT: "Moved on to independent living",
    K.SATISFACTION: "Victims satisfied with support offered in relation to accommodation options",
}
COMPARED = (K.FEELS_SAFE, K.CONFIDENCE)  # exit score against the intake score


@dataclass(frozen=True)
class Outcome:
    key: str
    name: str
    measured: int
    achieved: int
    target: int | None
    intake_mean: float | None = None
    exit_mean: float | None = None

    @property
    def percent(self) -> int | None:
        return round(100 * self.achieved / self.measured) if self.measured else None


def _measured(kind: OutcomeMeasureKind, quarter: Quarter):
    """Per household measured for ``kind`` in the quarter: its latest exit score/answer there and,
    for the compared kinds, its first intake score. A subquery.

    A window function picks the latest exit in one pass (a correlated "no later exit" test is planned
    against the quarter's index and grows with its square); the first intake is one lookup per exit
    in a covering index (``ix_outcome_measures_household_first``), made inside the windowed subquery
    so that it runs once per row however often the outer query uses the score.
    """
    m = OutcomeMeasure
    if kind in COMPARED:
        intake = aliased(OutcomeMeasure)
        first_intake = (select(intake.score).where(intake.household_id == m.household_id,
                                                   intake.stage == OutcomeStage.INTAKE, intake.kind == kind)
                        .order_by(intake.measured_on, intake.id).limit(1).scalar_subquery())
    else:
        first_intake = cast(null(), Integer)  # not compared: no intake is looked up
    exits = (select(m.household_id, m.score, m.achieved, first_intake.label("intake_score"), func.row_number().over(
        partition_by=m.household_id, order_by=(m.measured_on.desc(), m.id.desc())).label("rank"))
        .where(m.stage == OutcomeStage.EXIT, m.kind == kind, m.measured_on >= quarter.start,
               m.measured_on <= quarter.end)).subquery()
    return (select(exits.c.household_id, exits.c.score.label("exit_score"), exits.c.achieved.label("achieved"),
                   exits.c.intake_score).where(exits.c.rank == 1)).subquery()


def _achieved_clause(kind: OutcomeMeasureKind, sub):
    if kind in COMPARED:
        return sub.c.exit_score > sub.c.intake_score
    if kind == K.SATISFACTION:
        return sub.c.exit_score >= SATISFIED_FROM
    return sub.c.achieved.is_(True)


def _measured_clause(kind: OutcomeMeasureKind, sub):
    return sub.c.intake_score.is_not(None) if kind in COMPARED else literal(True)


def _timely(quarter: Quarter):
    """Moves on from temporary accommodation in the quarter under a plan, and whether by the target date."""
    return (select(MoveOnPlan.household_id, Household.reference,
                   (Placement.moved_out_on <= MoveOnPlan.target_on).label("on_time"))
            .join(Placement, Placement.id == MoveOnPlan.placement_id)
            .join(Household, Household.id == MoveOnPlan.household_id)
            .join(Unit, Unit.id == Placement.unit_id)
            .where(_day_in(Placement.moved_out_on, quarter), Unit.type.in_(TEMPORARY_UNIT_TYPES))).subquery()


def _outcome_row(kind: OutcomeMeasureKind, quarter: Quarter) -> Select:
    """One row for one kind: measured, achieved, average intake and exit scores."""
    sub = _measured(kind, quarter)
    measured = _measured_clause(kind, sub)
    return select(literal(kind.value).label("key"), func.count(case((measured, 1))),
                  func.count(case((and_(measured, _achieved_clause(kind, sub)), 1))),
                  func.avg(case((measured, sub.c.intake_score))), func.avg(case((measured, sub.c.exit_score))))


def outcomes(session: Session, quarter: Quarter) -> list[Outcome]:
    """The council's outcomes for the quarter, in its order, from one statement (a row per outcome)."""
    timely = _timely(quarter)
    rows = [_outcome_row(kind, quarter) for kind in K]
    rows.append(select(literal("timely_move_on"), func.count(), func.count(case((timely.c.on_time.is_(True), 1))),
                       literal(None), literal(None)).select_from(timely))
    found: dict[str, Outcome] = {}
    for key, measured, achieved, intake_mean, exit_mean in session.execute(union_all(*rows)):
        kind = K(key) if key in K.codes() else None
        compared = kind in COMPARED
        found[key] = Outcome(key, OUTCOME_NAMES[kind or key], int(measured or 0), int(achieved or 0),
                             TARGETS.get(kind), _round(intake_mean) if compared else None,
                             _round(exit_mean) if compared else None)
    return [found[key] for key in (k.value if isinstance(k, K) else k for k in OUTCOME_NAMES)]


def _round(value) -> float | None:
    return round(float(value), 1) if value is not None else None


@drill("outcome")
def _outcome_cases(quarter: Quarter, args: dict) -> Select:
    """The households measured for an outcome (``which=achieved``: those who achieved it)."""
    achieved_only = args.get("which") == "achieved"
    if args.get("outcome") == "timely_move_on":
        timely = _timely(quarter)
        query = select(timely.c.household_id, timely.c.reference)
        return (query.where(timely.c.on_time.is_(True)) if achieved_only else query).distinct()
    if args.get("outcome") not in K.codes():
        return no_cases()
    kind = K(args["outcome"])
    sub = _measured(kind, quarter)
    query = (select(sub.c.household_id, Household.reference).join(Household, Household.id == sub.c.household_id)
             .where(_measured_clause(kind, sub)))
    return (query.where(_achieved_clause(kind, sub)) if achieved_only else query).distinct()


# The report ---------------------------------------------------------------------------------

def quarterly_return(session: Session, quarter: Quarter) -> Report:
    """The quarterly performance return: outputs, other housing solutions by coded kind, outcomes."""
    counts = output_counts(session, quarter)
    outputs = Table("outputs", "Outputs", "Output", ["Count"],
                    [Row(name, [Cell(counts[key], COUNT, drill_args(key))], key)
                     for key, name in OUTPUT_NAMES.items()])
    solutions = other_solution_counts(session, quarter)
    # Every code is a row (zeros too), labelled from the code list: free text never becomes a row.
    solution_table = Table(
        "other_solutions", "Other housing solutions secured, by kind", "Other housing solution", ["Count"],
        [Row(solution.label, [Cell(solutions.get(solution, 0), COUNT,
                                   drill_args("other_solution", solution=solution.value))], solution.value)
         for solution in OtherHousingSolution]
        + [Row("Total", [Cell(counts["other_solutions"], COUNT, drill_args("other_solutions"))], "total")],
        col_totals=True)
    rows = []
    for o in outcomes(session, quarter):
        rows.append(Row(o.name, [
            Cell(o.measured, COUNT, drill_args("outcome", outcome=o.key)),
            Cell(o.achieved, COUNT, drill_args("outcome", outcome=o.key, which="achieved")),
            Cell(o.percent, PERCENT), Cell(o.target, TARGET),
            Cell(o.intake_mean, SCORE), Cell(o.exit_mean, SCORE)], o.key))
    outcome_table = Table("outcomes", "Outcomes (percent of those measured)", "Outcome",
                          ["Measured", "Achieved", "Percent", "Target", "Average score at intake",
                           "Average score at exit"], rows,
                          note="Scores run from 1 (not at all) to 5 (completely). A target shown as – is a "
                               "baseline still to be set.")
    charts = [
        ChartSpec("outputs", "bar", f"Outputs, {quarter.short}", "The count of each output in the quarter; "
                  "the outputs table gives the same figures.", "outputs", (0,)),
        ChartSpec("outcomes", "bar", f"Outcomes against targets, {quarter.short}",
                  "For each outcome, the percent achieved of those measured beside its target, where it has one.",
                  "outcomes", (2, 3), unit="%"),
    ]
    return Report("quarterly", "Quarterly performance return", quarter, [outputs, solution_table, outcome_table],
                  charts)


TREND_OUTPUTS = ("referrals", "cases_opened", "cases_closed", "placements_secured", "own_homes_secured")


def trend(session: Session, quarter: Quarter, count: int = 5) -> Table:
    """The headline outputs for this quarter and the ``count - 1`` before it, one row per quarter."""
    rows = []
    # A statement per quarter, of its five outputs only: PostgreSQL runs each in parallel workers.
    for q in quarter.recent(count):
        counts = output_counts(session, q, TREND_OUTPUTS)
        rows.append(Row(q.short, [Cell(counts[key], COUNT,
                                       {**drill_args(key), "year": q.year, "quarter": q.number})
                                  for key in TREND_OUTPUTS], q.slug))
    return Table("trend", f"This quarter against the last {count - 1}", "Quarter",
                 [OUTPUT_NAMES[key].removeprefix("Number of ").capitalize() for key in TREND_OUTPUTS], rows)
