"""Sparse batch solving (Settings.max_pairs): the same proved levels as modelling every pair."""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

from solver import Instance, PreferPlace, Settings, Status, UnitPool, check, solve
from solver import certify
from solver.candidates import build
from solver.fit import fit_scaled


def levels(solution):
    return solution.objective.high_risk_placed, solution.objective.placed


@pytest.fixture
def certified(monkeypatch):
    """Records, per call of the certifier: (it found a better matching over unmodelled pairs, at a branch)."""
    found: list[tuple[bool, bool]] = []
    real = certify.Certifier.__call__

    def spy(self, choice, removed, forced):
        better = real(self, choice, removed, forced)
        found.append((better is not None, bool(removed.any() or forced.any())))
        return better
    monkeypatch.setattr(certify.Certifier, "__call__", spy)
    return found


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("max_pairs", [1, 3])
def test_sparse_levels_equal_full_levels(seed, max_pairs, kit):
    """Keeping one unit (max_pairs 1) or a few per household, levels 1-2 are still proved and the same."""
    instance = kit.random_instance(seed, households=7, units=7, apart=3)
    full = solve(instance)
    sparse = solve(instance, Settings(max_pairs=max_pairs))
    assert sparse.optimal and sparse.status is Status.OPTIMAL
    assert levels(sparse) == levels(full)
    assert kit.spec_breaches(instance, dict(sparse.assignments)) == []
    assert set(sparse.unplaced) == {h for h, u in sparse.assignments.items() if u is None}
    if sparse.fit_optimal:
        assert sparse.objective.fit == full.objective.fit


def crowded(kit):
    """Two households that both like U1 best; each may also take U2. Keeping one unit each keeps only U1."""
    school = PreferPlace(*kit.LEICESTER, km=5, weight=10)
    far = dict(lat=52.75, lon=-1.3)
    units = (kit.unit("U1"), kit.unit("U2", **far))
    households = (kit.household("H1", prefer=(school,)), kit.household("H2", prefer=(school,), risk="high"))
    return Instance(households, units, as_of=date(2025, 11, 1))


def test_missing_pairs_are_added_until_proved(kit, certified):
    instance = crowded(kit)
    pool = UnitPool(instance.units)
    candidates = build(pool, instance.households, instance.as_of, max_pairs=2)
    assert candidates.truncated and candidates.pairs.unit.tolist() == [0, 0]  # both keep U1 only
    solution = solve(instance, Settings(max_pairs=2))
    assert certified == [(True, False), (False, False)]  # the first sparse flow places one; pairs added; then proved
    assert solution.optimal and levels(solution) == (1, 2)
    assert solution.assignments == {"H1": "U2", "H2": "U1"}  # the high-risk household keeps the better unit
    assert not solution.fit_optimal  # H2-U2 is still not modelled: level 3 is not claimed


def test_out_of_time_answer_is_the_augmented_matching(kit):
    solution = solve(crowded(kit), Settings(max_pairs=2, time_limit=0.0))
    assert solution.optimal and levels(solution) == (1, 2)  # the augmenting search proved it
    assert not solution.fit_optimal


def test_branch_and_bound_asks_for_pairs(kit, certified):
    """With apart entries, a branch's bound is sometimes not valid over every pair until pairs are added."""
    for seed in range(40):
        instance = kit.random_instance(seed, households=8, units=8, apart=6)
        full, sparse = solve(instance), solve(instance, Settings(max_pairs=1))
        assert sparse.optimal and levels(sparse) == levels(full)
        assert check(instance, sparse.assignments) == []
    assert (True, True) in certified and (False, True) in certified


def test_candidates_keep_the_best_fitting_units(kit):
    instance = kit.random_instance(5, households=8, units=8)
    pool = UnitPool(instance.units)
    candidates = build(pool, instance.households, instance.as_of, max_pairs=2 * len(instance.households))
    for i, h in enumerate(instance.households):
        feasible = np.flatnonzero(pool.screen(h).feasible)
        assert candidates.row(i).tolist() == feasible.tolist()
        own = candidates.pairs.of(i)
        kept = candidates.pairs.unit[own]
        assert kept.size == min(2, feasible.size) and candidates.complete[i] == (feasible.size <= 2)
        fits = fit_scaled(pool, h, feasible, instance.as_of)
        assert candidates.pairs.fit[own].tolist() == fit_scaled(pool, h, kept, instance.as_of).tolist()
        if feasible.size:
            assert sorted(candidates.pairs.fit[own].tolist(), reverse=True) == \
                sorted(fits.tolist(), reverse=True)[:kept.size]


def test_unplaced_reasons_read_every_feasible_unit(kit):
    units = tuple(kit.unit(f"U{j}", lat=52.6 + j / 100) for j in range(3))
    high = tuple(kit.household(f"A{k}", risk="high") for k in range(3))
    standard = kit.household("S")
    solution = solve(Instance(high + (standard,), units), Settings(max_pairs=4))
    assert solution.optimal and levels(solution) == (3, 3)
    why = solution.unplaced["S"]
    assert why.reason == "units_taken" and why.counts == {"higher_risk": 3, "other": 0}


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10 ** 9), max_pairs=st.integers(1, 30), time_limit=st.sampled_from([0.0, 30.0]))
# Found by this test: a better matching over unmodelled pairs broke an apart entry and was returned as proved.
@example(seed=552907421, max_pairs=1, time_limit=0.0)
def test_sparse_solutions_keep_every_rule_and_stay_honest(kit, seed, max_pairs, time_limit):
    instance = kit.random_instance(seed, households=6, units=6, apart=3)
    sparse = solve(instance, Settings(max_pairs=max_pairs, time_limit=time_limit, fit_time_limit=time_limit))
    assert set(sparse.assignments) == {h.id for h in instance.households}
    assert kit.spec_breaches(instance, dict(sparse.assignments)) == []
    assert set(sparse.unplaced) == {h for h, u in sparse.assignments.items() if u is None}
    if sparse.optimal:
        assert levels(sparse) == levels(solve(instance))
    else:
        assert sparse.status is Status.TIMED_OUT
    assert np.isclose(sparse.objective.fit * 100, round(sparse.objective.fit * 100))
