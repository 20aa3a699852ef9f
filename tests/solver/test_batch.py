"""Batch solving: optimality against brute force, every rule kept, determinism, honesty."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from solver import Apart, Instance, Place, Settings, Status, check, parse_instance, solve

INSTANCES = Path(__file__).resolve().parents[2] / "data" / "instances"
REGRESSION = [p for p in sorted(INSTANCES.glob("*.json")) if not p.name.endswith(".expected.json")]


def levels(instance, assignments):
    high = {h.id for h in instance.households if h.risk == "high"}
    placed = [h for h, u in assignments.items() if u is not None]
    return sum(h in high for h in placed), len(placed)


@pytest.mark.parametrize("seed", range(60))
def test_agrees_with_brute_force(seed, kit):
    instance = kit.random_instance(seed)
    best_high, best_placed, winners = kit.brute_force(instance)
    solution = solve(instance)
    assert solution.optimal and solution.status is Status.OPTIMAL
    assert levels(instance, solution.assignments) == (best_high, best_placed)
    assert (solution.objective.high_risk_placed, solution.objective.placed) == (best_high, best_placed)
    assert kit.spec_breaches(instance, dict(solution.assignments)) == []
    # level 3: no winning assignment has a better total fit (the documented fit, by the oracle) than the engine's
    if solution.fit_optimal:
        units = {u.id: u for u in instance.units}

        def total(assignment):
            return sum(kit.spec_fit(h, units[assignment[h.id]], instance.as_of)
                       for h in instance.households if assignment[h.id] is not None)
        # The oracle's haversine and the engine's chords may round a prefer part a hundredth apart.
        assert solution.objective.fit == pytest.approx(max(total(w) for w in winners),
                                                       abs=0.01 * len(instance.households) + 1e-9)
        assert solution.objective.fit == pytest.approx(total(solution.assignments), abs=0.01 * len(instance.households) + 1e-9)


@pytest.mark.parametrize("seed", range(60))
def test_agrees_with_brute_force_with_approximate_places(seed, kit):
    """Avoid places with a precision: the oracle keeps units km + precision_km away, so must the engine."""
    instance = kit.random_instance(seed, households=5, units=5, approximate=True)
    best_high, best_placed, _ = kit.brute_force(instance)
    solution = solve(instance)
    assert solution.optimal and levels(instance, solution.assignments) == (best_high, best_placed)
    assert kit.spec_breaches(instance, dict(solution.assignments)) == []
    assert check(instance, solution.assignments) == []


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10 ** 9))
def test_every_solution_keeps_every_rule(kit, seed):
    instance = kit.random_instance(seed, households=6, units=6, apart=3)
    solution = solve(instance)
    assert set(solution.assignments) == {h.id for h in instance.households}
    assert kit.spec_breaches(instance, dict(solution.assignments)) == []
    assert check(instance, solution.assignments) == []
    assert set(solution.unplaced) == {h for h, u in solution.assignments.items() if u is None}


def test_negative_fits_still_place_everyone_they_can(kit):
    """Every fit below 0 (a person alone in family units): leaving a household out is never better."""
    units = tuple(kit.unit(f"U{i}", bedspaces=6) for i in range(3))
    households = tuple(kit.household(f"H{i}") for i in range(3))
    solution = solve(Instance(households, units))
    assert solution.objective.placed == 3 and solution.objective.fit == -15.0
    assert solution.optimal and solution.fit_optimal


def test_high_risk_placement_outweighs_everything(kit):
    # one unit; the high-risk household needs it even though two standard ones would fit elsewhere
    u1, u2 = kit.unit("U1", bedspaces=3), kit.unit("U2", bedspaces=1)
    high = kit.household("H", members=((30, "female"), (3, "female"), (4, "female")), risk="high")
    small = kit.household("S", risk="standard")
    solution = solve(Instance((high, small), (u1, u2)))
    assert solution.assignments == {"H": "U1", "S": "U2"}
    solution = solve(Instance((small, high), (u1,)))
    assert solution.assignments == {"S": None, "H": "U1"}
    assert solution.unplaced["S"].reason == "units_taken"


def test_apart_same_site_and_distance(kit):
    units = (kit.unit("U1", site="S"), kit.unit("U2", site="S"), kit.unit("U3", lat=52.64, lon=-1.14))
    a, b = kit.household("A", risk="high"), kit.household("B", risk="high")
    solution = solve(Instance((a, b), units, (Apart("A", "B", 0.0),)))
    placed = {solution.assignments["A"], solution.assignments["B"]}
    assert solution.optimal and "U3" in placed and len(placed) == 2
    far = solve(Instance((a, b), units, (Apart("A", "B", 50.0),)))
    assert far.objective.placed == 1 and far.optimal
    assert next(iter(far.unplaced.values())).reason == "apart"


def test_unplaced_no_unit_fits_counts_rules(kit):
    h = kit.household(members=((30, "female"), (15, "male")), avoid=(Place(*kit.LEICESTER, 5),))
    solution = solve(Instance((h,), (kit.unit(max_male_age=12),)))
    why = solution.unplaced["H1"]
    assert why.reason == "no_unit_fits"
    assert why.counts == {"males": 1, "distance": 1}
    assert why.detail == "no unit fits: 1 unit not taking a male member of this age; 1 unit too close to places to avoid"


def test_deterministic(kit):
    instance = kit.random_instance(7, households=12, units=10, apart=4)
    first = solve(instance)
    for _ in range(3):
        again = solve(instance)
        assert again.assignments == first.assignments and again.objective == first.objective


def test_time_limit_is_honest(kit):
    """Stopped before any search, the answer is valid and claims optimality only when proved."""
    for seed in range(40):
        instance = kit.random_instance(seed, households=8, units=8, apart=6)
        quick = solve(instance, Settings(time_limit=0.0, fit_time_limit=0.0))
        full = solve(instance)
        assert kit.spec_breaches(instance, dict(quick.assignments)) == []
        if quick.optimal:
            assert (quick.objective.high_risk_placed, quick.objective.placed) == \
                (full.objective.high_risk_placed, full.objective.placed)
        else:
            assert quick.status is Status.TIMED_OUT


def test_time_limit_reached_somewhere(kit):
    statuses = {solve(kit.random_instance(s, households=8, units=8, apart=6),
                      Settings(time_limit=0.0, fit_time_limit=0.0)).status for s in range(40)}
    assert Status.TIMED_OUT in statuses


@pytest.mark.parametrize("path", REGRESSION, ids=lambda p: p.name)
def test_regression_instances(path):
    instance = parse_instance(json.loads(path.read_text()))
    expected = json.loads(path.with_name(path.stem + ".expected.json").read_text())
    solution = solve(instance, Settings(fit_time_limit=30))  # time to prove level 3 too, even on a busy machine
    assert solution.optimal and solution.fit_optimal
    assert solution.objective.high_risk_placed == expected["high_risk_placed"]
    assert solution.objective.placed == expected["placed"]
    assert solution.objective.fit == pytest.approx(expected["fit"], abs=0.005)
