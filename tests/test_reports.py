"""Every figure of the reports against a hand-built set of cases with known answers (tests/reports_data.py)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from safehome.codes import (
    CaseStatus,
    HousingOptionsKind,
    HousingOptionsState,
    OtherHousingSolution,
    OutcomeMeasureKind,
    OutcomeStage,
)
from safehome.errors import ValidationError
from safehome.models import HousingOptionsRequest
from safehome.services import Actor, reports, reports_return
from safehome.services.reports_base import Quarter, suppressed
from safehome.services.reports_housing import housing_options_answers, median, percentile
from tests.reports_data import World, build_world, utc

Q1 = Quarter(2026, 1)


@pytest.fixture
def world(db):
    return build_world(db.session)


@pytest.fixture
def manager(make_user):
    return Actor(make_user("manager"))


def _column(table, col: int = 0) -> dict[str, object]:
    return {row.key or row.label: row.cells[col].value for row in table.rows}


def _refs(db, manager, **args) -> list[str]:
    return [ref for _id, ref in reports.cases_behind(db.session, manager, Q1, args).cases]


# The quarter ----------------------------------------------------------------------------------

def test_quarters_of_the_financial_year():
    assert (Q1.start, Q1.end) == (date(2026, 4, 1), date(2026, 6, 30))
    assert (Quarter(2026, 4).start, Quarter(2026, 4).end) == (date(2027, 1, 1), date(2027, 3, 31))
    # British Summer Time: the quarter starts at 23:00 UTC the day before.
    assert Q1.start_at == datetime(2026, 3, 31, 23, tzinfo=timezone.utc)
    assert Quarter(2026, 3).start_at == datetime(2026, 9, 30, 23, tzinfo=timezone.utc)
    assert Quarter(2026, 4).start_at == datetime(2027, 1, 1, tzinfo=timezone.utc)  # GMT in winter
    assert Quarter.of_day(date(2027, 3, 31)) == Quarter(2026, 4)
    assert Quarter.of_day(date(2026, 4, 1)) == Q1
    assert [q.short for q in Q1.recent(3)] == ["2025/26 Q3", "2025/26 Q4", "2026/27 Q1"]
    assert Q1.label == "2026/27 Q1 (April to June 2026)"


def test_a_quarter_out_of_range_names_its_fields():
    with pytest.raises(ValidationError) as caught:
        Quarter.checked(1999, 5)
    assert set(caught.value.as_dict()) == {"year", "quarter"}


# The quarterly return -----------------------------------------------------------------------------

def test_every_output_by_its_council_name(db, world):
    counts = reports_return.output_counts(db.session, Q1)
    assert counts == {
        "referrals": 3,                  # H2 (00:30 BST 1 April), H3 (23:59 BST 30 June), B; not H1, not H4
        "cases_opened": 4,               # H2, H3, B, and C reopened (once, though opened and reopened)
        "own_homes_secured": 1,          # H2's install fire-checked 12 April
        "perpetrators_accommodated": 0,  # filled by the perpetrator module
        "homelessness_applications": 1,  # confirmed; the refused one does not count
        "housing_transfers": 1,          # confirmed on 30 June
        "private_rentals": 0,            # confirmed on 1 July: Q2
        "cases_closed": 2,               # C (closed twice: once) and D (reopened later: still closed in Q1)
        "placements_secured": 1,         # H2 into a refuge; not H3 (move-on flat), not B (31 March)
        "repeat_referrals": 1,           # B repeats the REP reference within 12 months
        "other_solutions": 3,
    }
    report = reports_return.quarterly_return(db.session, Q1)
    names = [row.label for row in report.table("outputs").rows]
    assert names[0] == "Number of referrals" and "Number of perpetrators found alternative accommodation" in names
    # Counted by code: every code a row, "other" counted under its own label; the workers' details never.
    solutions = report.table("other_solutions")
    assert _column(solutions) == {"family_friends": 2, "supported_housing": 0, "home_with_sanctuary": 0,
                                  "out_of_area_refuge": 0, "other": 1, "total": 3}
    assert [row.label for row in solutions.rows] == [s.label for s in OtherHousingSolution] + ["Total"]


def test_retention_clears_the_detail_and_the_return_still_counts_the_code(app, db, world):
    """The code is what the return counts, so anonymising a closed case may clear the worker's detail."""
    from safehome.services import SYSTEM
    from safehome.services.retention import anonymise_closed

    e = world.cases["E"]
    e.status, e.closed_at = CaseStatus.CLOSED, utc(2026, 6, 1, 9)
    db.session.commit()
    before = _column(reports_return.quarterly_return(db.session, Q1).table("other_solutions"))
    result = anonymise_closed(db.session, SYSTEM, years=1, key=app.config["SAFEHOME_DATA_KEY"],
                              now=utc(2027, 12, 1))
    db.session.commit()
    assert result.cases >= 1
    request = db.session.scalar(select(HousingOptionsRequest).where(HousingOptionsRequest.household_id == e.id))
    assert (request.other_solution, request.other_detail) == (OtherHousingSolution.FAMILY_FRIENDS, None)
    assert _column(reports_return.quarterly_return(db.session, Q1).table("other_solutions")) == before


def test_the_quarter_before_sees_the_other_side_of_the_edge(db, world):
    counts = reports_return.output_counts(db.session, Quarter(2025, 4))
    assert counts["referrals"] == 3  # H1 (23:30 BST 31 March), E and F in January
    assert counts["placements_secured"] == 3  # B on 31 March, E on 10 January, F on 1 February
    assert counts["own_homes_secured"] == 1  # H3's install, fire-checked 31 March
    assert reports_return.output_counts(db.session, Quarter(2026, 2))["referrals"] == 1  # H4 at 00:00 BST 1 July


def test_outcomes_against_targets(db, world):
    found = {o.key: o for o in reports_return.outcomes(db.session, Q1)}
    safe = found["feels_safe"]
    assert (safe.measured, safe.achieved, safe.percent) == (3, 1, 33)  # H2 up; H3 same; C's latest exit down
    assert (safe.intake_mean, safe.exit_mean) == (2.3, 2.7)
    assert (found["satisfaction"].measured, found["satisfaction"].achieved, found["satisfaction"].percent,
            found["satisfaction"].target) == (3, 2, 67, 85)
    assert (found["confidence"].measured, found["confidence"].percent, found["confidence"].target) == (0, None, 75)
    assert (found["maintained_independent"].measured, found["maintained_independent"].percent) == (2, 50)
    assert (found["timely_move_on"].measured, found["timely_move_on"].achieved) == (2, 1)  # H2 by target, E after
    assert found["moved_on_independent"].measured == 0


def test_outcomes_compare_each_exit_with_its_own_intake(db):
    """Moved from the journey's own rates: confidence and the yes/no measures, in 2026/27 Q2."""
    K, I, X = OutcomeMeasureKind, OutcomeStage.INTAKE, OutcomeStage.EXIT
    w = World(db.session)
    safer, same, no_intake, later = (w.case(name, utc(2026, 1, 5, 9), referral=False)
                                     for name in ("SAFER", "SAME", "NOINTAKE", "LATER"))
    for kind, score in [(K.FEELS_SAFE, 2), (K.CONFIDENCE, 2)]:
        w.measure(safer, I, kind, date(2026, 1, 5), score)
    for kind, score in [(K.FEELS_SAFE, 4), (K.CONFIDENCE, 4), (K.SATISFACTION, 5)]:
        w.measure(safer, X, kind, date(2026, 8, 1), score)
    w.measure(safer, X, K.MAINTAINED_INDEPENDENT, date(2026, 8, 1), achieved=True)
    w.measure(safer, X, K.MOVED_ON_INDEPENDENT, date(2026, 8, 1), achieved=False)
    for kind, score in [(K.FEELS_SAFE, 3), (K.CONFIDENCE, 4)]:
        w.measure(same, I, kind, date(2026, 2, 5), score)
    for kind, score in [(K.FEELS_SAFE, 3), (K.CONFIDENCE, 3), (K.SATISFACTION, 3)]:  # confidence fell
        w.measure(same, X, kind, date(2026, 9, 1), score)
    w.measure(same, X, K.MOVED_ON_INDEPENDENT, date(2026, 9, 1), achieved=True)
    w.measure(no_intake, X, K.FEELS_SAFE, date(2026, 9, 2), 5)  # no intake score: not measured
    w.measure(no_intake, X, K.SATISFACTION, date(2026, 9, 30), 4)  # the quarter's last day
    w.measure(later, X, K.FEELS_SAFE, date(2026, 10, 1), 5)  # the next quarter's first day
    db.session.commit()
    found = {o.key: o for o in reports_return.outcomes(db.session, Quarter(2026, 2))}
    assert (found["feels_safe"].measured, found["feels_safe"].achieved, found["feels_safe"].percent) == (2, 1, 50)
    assert (found["confidence"].measured, found["confidence"].achieved) == (2, 1)
    assert (found["satisfaction"].measured, found["satisfaction"].achieved, found["satisfaction"].percent) == (3, 2, 67)
    assert (found["maintained_independent"].measured, found["maintained_independent"].achieved) == (1, 1)
    assert (found["moved_on_independent"].measured, found["moved_on_independent"].achieved) == (2, 1)
    empty = reports_return.outcomes(db.session, Quarter(2024, 4))
    assert all(o.measured == 0 and o.percent is None for o in empty)


def test_figures_open_to_the_cases_behind_them(db, world, manager):
    assert _refs(db, manager, figure="referrals") == ["FVS-H2", "FVS-H3", "FVS-REP"]
    assert _refs(db, manager, figure="cases_closed") == ["FVS-C", "FVS-D"]
    assert _refs(db, manager, figure="repeat_referrals") == ["FVS-REP"]
    assert _refs(db, manager, figure="other_solution", solution="family_friends") == ["FVS-E", "FVS-F"]
    assert _refs(db, manager, figure="other_solution", solution="other") == ["FVS-REP"]
    assert _refs(db, manager, figure="outcome", outcome="feels_safe") == ["FVS-C", "FVS-H2", "FVS-H3"]
    assert _refs(db, manager, figure="outcome", outcome="feels_safe", which="achieved") == ["FVS-H2"]
    assert _refs(db, manager, figure="outcome", outcome="timely_move_on", which="achieved") == ["FVS-H2"]
    with pytest.raises(ValidationError):
        reports.cases_behind(db.session, manager, Q1, {"figure": "nonsense"})


def test_the_perpetrator_figure_is_pluggable(db, world):
    from sqlalchemy import select

    from safehome.models import Household

    original = reports_return.OUTPUTS["perpetrators_accommodated"]
    try:
        reports_return.output("perpetrators_accommodated")(
            lambda q: select(Household.id.label("household_id"), Household.reference)
            .where(Household.reference == "FVS-D"))
        assert reports_return.output_counts(db.session, Q1)["perpetrators_accommodated"] == 1
    finally:
        reports_return.output("perpetrators_accommodated")(original)
    assert reports_return.output_counts(db.session, Q1)["perpetrators_accommodated"] == 0


# Equality -------------------------------------------------------------------------------------------

def test_equality_by_characteristic_and_group(db, world, manager):
    report = reports.build(db.session, manager, "equality", Q1)
    # Clients: H1, H2, H3, B, C, D, E, F; not H4 (1 July), REP (closed 2025), G (closed all quarter).
    assert _column(report.table("ethnicity"))["total"] == 8
    assert {k: v for k, v in _column(report.table("ethnicity")).items() if v} == {
        "black": 1, "white_british": 1, "white_other": 1, "prefer_not_to_say": 1, "not_recorded": 4, "total": 8}
    assert {k: v for k, v in _column(report.table("age_band")).items() if v} == {
        "16_25": 1, "26_35": 1, "36_45": 5, "60_plus": 1, "total": 8}
    assert _column(report.table("groups")) == {
        "over_60": 1, "male": 1, "aged_16_25": 1, "bmer": 2, "nrpf": 1, "disabled": 1, "lgbt": 2, "language": 1}
    assert _refs(db, manager, figure="equality_group", group="lgbt") == ["FVS-D", "FVS-F"]
    assert _refs(db, manager, figure="equality", field="age_band", answer="60_plus") == ["FVS-H2"]


def test_a_stored_equality_answer_on_no_list_is_counted_but_never_shown(db, world, manager):
    # No form or API lets such an answer in; a JSON column holds whatever an import or an old release put there.
    for name, answer in (("H2", "Church of the Qzxmark"), ("H3", "another unlisted answer")):
        world.cases[name].equality = {**world.cases[name].equality, "religion": answer}
    db.session.commit()
    table = reports.build(db.session, manager, "equality", Q1).table("religion")
    assert {k: v for k, v in _column(table).items() if v} == {"unlisted": 2, "not_recorded": 6, "total": 8}
    assert not any("Qzxmark" in row.label or "unlisted answer" in row.label for row in table.rows)
    assert _refs(db, manager, figure="equality", field="religion", answer="unlisted") == ["FVS-H2", "FVS-H3"]


# Housing reports ------------------------------------------------------------------------------------------

def test_tenure_at_entry_against_exit(db, world, manager):
    table = reports.build(db.session, manager, "tenure", Q1).table("tenure")
    assert table.header == ["Council tenant", "Housing association tenant", "Private rented", "Total"]
    grid = {row.key: [c.value for c in row.cells] for row in table.rows}
    # C stayed home (own home made safe): council to council. D: private rented to housing association.
    assert grid == {"council_rent": [1, 0, 0, 1], "ha_rent": [0, 0, 0, 0], "private_rent": [0, 1, 0, 1],
                    "total": [1, 1, 0, 2]}
    assert _refs(db, manager, figure="tenure", entry="private_rent", exit="ha_rent") == ["FVS-D"]


def test_move_on_timeliness(db, world, manager):
    report = reports.build(db.session, manager, "timeliness", Q1)
    rows = {row.key: [c.value for c in row.cells] for row in report.table("by_unit_type").rows}
    # Moved on, median, 90th percentile, by target, after target, past target at the quarter's end.
    assert rows["refuge"] == [1, 60.0, 60, 1, 0, 0]
    assert rows["emergency"] == [1, 331.0, 331, 0, 0, 1]  # D, no plan; F still there past 1 May
    assert rows["dispersed"] == [1, 111.0, 111, 0, 1, 0]
    assert rows["total"] == [3, 111.0, 331, 1, 1, 1]
    assert {k: v for k, v in _column(report.table("distribution")).items() if v} == {"3": 1, "4": 1, "5": 1,
                                                                                     "total": 3}
    assert _refs(db, manager, figure="past_target", unit_type="emergency") == ["FVS-F"]
    assert _refs(db, manager, figure="moved_on", bin="5") == ["FVS-D"]


def test_percentiles():
    assert median([]) is None and percentile([], 0.9) is None
    assert median([1, 2, 3, 10]) == 2.5
    assert percentile(list(range(1, 11)), 0.9) == 9
    assert percentile([5], 0.9) == 5


def test_occupancy_and_voids(db, world):
    from safehome.services.reports_housing import occupancy_report

    report = occupancy_report(db.session, Q1, now=datetime(2026, 8, 1, tzinfo=timezone.utc))
    rows = {row.key: [c.value for c in row.cells] for row in report.table("occupancy").rows}
    # Units, unit-days, households placed, occupied days, void days, occupancy %, void %.
    assert rows["refuge"] == [8, 728.0, 1, 60.0, 8.0, 8, 1]
    assert rows["emergency"][2:5] == [2, 118.0, 0.0]  # D to 28 April (27 days) and F all quarter (91 days)
    assert rows["dispersed"][2:4] == [1, 30.0]
    assert rows["move_on"][2:4] == [1, 87.0]


def test_offers_and_decline_reasons(db, world, manager):
    report = reports.build(db.session, manager, "offers", Q1)
    assert _column(report.table("offers")) == {"accepted": 2, "declined_household": 1, "declined_provider": 1,
                                               "lapsed": 1, "withdrawn": 1, "waiting": 1, "total": 7}
    assert [c.value for c in report.table("acceptance").rows[0].cells] == [2, 2, 50]
    reasons = {row.key: [c.value for c in row.cells] for row in report.table("decline_reasons").rows}
    assert reasons["area_unsafe"] == [1, 0, 1] and reasons["provider_refused"] == [0, 1, 1]
    assert reasons["total"] == [1, 1, 2]
    assert _refs(db, manager, figure="offers", outcome="declined_provider") == ["FVS-H3"]


def _answers(table) -> dict[str, list]:
    return {row.key: [c.value for c in row.cells] for row in table.rows}


def test_housing_options_answers_by_kind(db, world, manager):
    table = reports.build(db.session, manager, "offers", Q1).table("housing_options")
    assert table.header == ["Median days to answer", "Longest days to answer", "Confirmed", "Refused", "Answered"]
    # Every request of the world was sent at 00:00 GMT on 1 March; answered in Q1: 15 April (45 days, confirmed)
    # and 16 April (46, refused) for homelessness, 30 June (121) for a transfer, 1-3 May (61, 62, 63) for
    # other solutions; the private rental answered on 1 July is Q2's.
    assert _answers(table) == {
        "homelessness_application": [45.5, 46, 1, 1, 2],
        "housing_transfer": [121.0, 121, 1, 0, 1],
        "private_rental": [None, None, 0, 0, 0],
        "other": [62.0, 63, 3, 0, 3],
        "total": [61.5, 121, 5, 1, 6],  # median of 45, 46, 61, 62, 63, 121: (61 + 62) / 2
    }


def test_housing_options_days_are_london_days_and_the_answer_places_them(db):
    w = World(db.session)
    K, S = HousingOptionsKind, HousingOptionsState

    def sent(name, kind, state, at, answered):
        db.session.add(HousingOptionsRequest(household_id=w.case(name, utc(2026, 9, 1, 9), referral=False).id,
                                             kind=kind, state=state, requested_at=at, answered_on=answered,
                                             other_solution=OtherHousingSolution.FAMILY_FRIENDS
                                             if kind == K.OTHER else None))

    # 23:30 UTC on 24 October is 00:30 BST on the 25th: one day to the 26th (two by UTC days).
    sent("BST", K.HOMELESSNESS_APPLICATION, S.CONFIRMED, utc(2026, 10, 24, 23, 30), date(2026, 10, 26))
    # Sent at 23:59 BST on 30 September (Q2), answered on 1 October: one day, and in Q3 by its answer.
    sent("EDGE", K.HOMELESSNESS_APPLICATION, S.REFUSED, utc(2026, 9, 30, 22, 59), date(2026, 10, 1))
    sent("MONTH", K.HOMELESSNESS_APPLICATION, S.CONFIRMED, utc(2026, 10, 1, 9), date(2026, 10, 31))  # 30 days
    sent("SAMEDAY", K.HOUSING_TRANSFER, S.CONFIRMED, utc(2026, 12, 31, 23, 30), date(2026, 12, 31))  # 0 days
    sent("NEXT", K.HOUSING_TRANSFER, S.CONFIRMED, utc(2026, 12, 1, 10), date(2027, 1, 1))  # Q4
    sent("BEFORE", K.PRIVATE_RENTAL, S.CONFIRMED, utc(2026, 9, 1, 10), date(2026, 9, 30))  # Q2
    sent("WAITING", K.PRIVATE_RENTAL, S.REQUESTED, utc(2026, 10, 2, 10), None)
    sent("WITHDRAWN", K.OTHER, S.WITHDRAWN, utc(2026, 10, 2, 10), None)
    db.session.commit()
    table = housing_options_answers(db.session, Quarter(2026, 3))
    assert _answers(table) == {
        "homelessness_application": [1.0, 30, 2, 1, 3],
        "housing_transfer": [0.0, 0, 1, 0, 1],
        "private_rental": [None, None, 0, 0, 0],
        "other": [None, None, 0, 0, 0],
        "total": [1.0, 30, 3, 1, 4],
    }
    # On the way out: every count is small, and so are the days beside them.
    hidden = _answers(suppressed(table))
    assert hidden["homelessness_application"] == ["*", "*", "<5", "<5", "<5"]
    assert hidden["private_rental"] == [None, None, 0, 0, 0]


def test_the_dashboard_compares_five_quarters(db, world, manager):
    board = reports.dashboard(db.session, manager, Q1)
    assert [row.label for row in board.trend.rows] == ["2025/26 Q1", "2025/26 Q2", "2025/26 Q3", "2025/26 Q4",
                                                       "2026/27 Q1"]
    assert board.trend.rows[-1].cells[0].value == 3 and board.trend.rows[-2].cells[0].value == 3
    assert "<svg" in board.trend_chart and "<title" in board.trend_chart and "<desc" in board.trend_chart
