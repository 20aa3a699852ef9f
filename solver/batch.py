"""Batch placement: every household at once, lexicographically optimal. The search and the fill.

Levels: (1) high-risk households placed, (2) households placed, (3) total fit.

1. Filter: each household's feasible units (rules 1-8, solver.rules) and their fit; nothing
   else is modelled. Decided per rule family over a chunk of households at a time
   (`UnitPool.feasible_matrix`, `fit.fit_scaled_pairs`), exactly as `suggest` decides them,
   and kept as bits (solver.candidates). Up to `Settings.max_pairs` feasible pairs every pair
   is modelled; beyond, each household's best-fitting units only (20,000 households x 31,000
   units have ~190 million feasible pairs, which no flow holds in memory). Levels 1-2 stay
   exact: every bound used for them is certified over every feasible pair by an augmenting-path
   search on the bits (solver.certify), and where the certificate fails the better matching's
   pairs are modelled and the search runs again (`_search`). Level 3 is then optimal over the
   modelled pairs, so `fit_optimal` is claimed only when every pair was modelled.
2. Relaxation: ignoring `apart`, the problem is an assignment problem, solved exactly by
   min-cost flow with weights that encode the lexicographic order (solver.flow). The network
   is built once; a branch only changes arc capacities before the flow is re-solved.
3. If that assignment keeps every apart entry it is optimal for the whole problem. Otherwise
   a best-first branch and bound over the same flow (solver.branch_and_bound) proves levels
   1-2, usually after two or three flows, then searches on for level 3 for
   `Settings.fit_time_limit` seconds more; `fit_optimal` says whether it was proved.
4. Fill: where the time limit cut a sparse search short, households still unplaced take the
   best free unit that breaks no rule (`fill`).

Measured (2 shared cores, load about 5; `bench/bench_engine.py --big`): 20,000 households /
31,000 units / 30 apart entries in 162 s and 0.66 GiB peak, levels 1-2 proved (about half
filtering, half three flows over 2 million pairs). Modelling every pair had passed 10 GiB
after 3 minutes at 3,000 households over those units; 3,000 now take 48 s and 0.57 GiB.
"""
from __future__ import annotations

import time

import numpy as np

from . import candidates as candidates_
from .branch_and_bound import branch_and_bound, build_clashes
from .candidates import Candidates, Pairs
from .certify import Certifier
from .domain import Instance, InstanceError, Objective, Settings, Solution, Status
from .explain import apart_partners, blocked_by_apart, explain_unplaced
from .fit import SCALE, fit_scaled, fit_scaled_pairs
from .flow import FlowModel, units_of
from .io import validate
from .rules import UnitPool


def build_pairs(instance: Instance, pool: UnitPool) -> Pairs:
    """Filter first: each household's feasible units (rules 1-8, vectorised over all households) with their fit."""
    feasible = pool.feasible_matrix(instance.households)
    household, unit = np.nonzero(feasible)  # row-major: sorted by household, then unit
    household, unit = household.astype(np.int64), unit.astype(np.int64)
    fit = fit_scaled_pairs(pool, instance.households, household, unit, instance.as_of)
    return Pairs(household, unit, fit)


def feasible_pairs(instance: Instance) -> dict[str, tuple[str, ...]]:
    """Each household's id -> the ids of the units it may take under rules 1-8."""
    _raise_if_invalid(instance)
    pool = UnitPool(instance.units)
    pairs = build_pairs(instance, pool)
    return {h.id: tuple(pool.ids[j] for j in pairs.unit[pairs.of(i)]) for i, h in enumerate(instance.households)}


def _raise_if_invalid(instance: Instance) -> None:
    found = validate(instance)
    if found:
        raise InstanceError(found)


def _modelled_pairs(better: np.ndarray, candidates: Candidates) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of a matching that the flow does not model yet: (households, units)."""
    placed = np.flatnonzero(better >= 0)
    new = candidates.pairs.find(placed, better[placed], candidates.n_units) < 0
    return placed[new], better[placed[new]]


def fill(instance: Instance, pool: UnitPool, candidates: Candidates, assignment: np.ndarray,
         high: np.ndarray) -> np.ndarray:
    """Place each unplaced household, high risk first, in its best free feasible unit that breaks no apart entry.

    Only needed after a time limit cut a sparse solve short: a proved assignment leaves no
    such unit (placing one more household would beat it).
    """
    assignment = assignment.copy()
    taken = np.zeros(candidates.n_units, dtype=bool)
    taken[assignment[assignment >= 0]] = True
    partners = apart_partners(instance)
    for i in sorted(np.flatnonzero(assignment < 0).tolist(), key=lambda i: (not high[i], i)):
        free = candidates.row(i)
        free = free[~taken[free]]
        for entry, other, is_a in partners.get(i, ()):
            if free.size and assignment[other] >= 0:
                free = free[~blocked_by_apart(instance, pool, entry, free, int(assignment[other]), is_a)]
        if free.size:
            fits = fit_scaled(pool, instance.households[i], free, instance.as_of)
            assignment[i] = free[int(np.argmax(fits))]
            taken[assignment[i]] = True
    return assignment


def _search(instance: Instance, pool: UnitPool, candidates: Candidates, high: np.ndarray, settings: Settings,
            deadline: float) -> tuple[np.ndarray, bool, bool]:
    """(unit per household, levels 1-2 proved, level 3 proved) over the modelled pairs, adding pairs the proof needs.

    With every pair modelled the flow (and branch and bound) are exact. Otherwise each
    bound is certified over the whole feasibility (`Certifier`); where that finds a better
    matching its pairs are modelled and the search starts again, until a search passes or
    the time limit stops it. Without apart entries a better matching found is itself proved
    optimal for levels 1-2, so it is the answer when time runs out.
    """
    n = len(instance.households)
    while True:
        pairs = candidates.pairs
        flow = FlowModel(n, high, pairs)
        clashes = build_clashes(instance, pool, pairs)
        certify = Certifier(candidates, high) if candidates.truncated else None
        if clashes:
            result = branch_and_bound(flow, clashes, settings.fit_time_limit, deadline, certify)
            answer, proved, fit_proved = units_of(result.choice, pairs), result.levels_proved, result.fit_proved
            better = result.better
        else:
            choice, _ = flow.solve()
            answer, proved, fit_proved = units_of(choice, pairs), True, True
            better = certify(choice, np.zeros(pairs.household.size, bool), np.zeros(n, bool)) if certify else None
            if better is not None and instance.apart:
                # No modelled pair clashes, but the better matching's new pairs may: it is no answer
                # until the wider search has checked it, and nothing is proved before then.
                proved = fit_proved = False
            elif better is not None:
                answer, fit_proved = better, False  # levels 1-2 proved by the augmenting search itself
        fit_proved = fit_proved and flow.coarse == 1 and not candidates.truncated
        if better is None:
            return answer, proved, fit_proved
        wider = candidates.with_pairs(pool, instance.households, *_modelled_pairs(better, candidates), instance.as_of)
        if wider is candidates or time.perf_counter() > deadline:
            return answer, proved, False
        candidates = wider


def solve(instance: Instance, settings: Settings = Settings()) -> Solution:
    """Place every household at once, lexicographically optimal (see the module docstring).

    Raises InstanceError (every problem, with JSON pointers) before any modelling.
    """
    start = time.perf_counter()
    deadline = start + settings.time_limit
    _raise_if_invalid(instance)
    pool = UnitPool(instance.units)
    high = np.array([h.risk == "high" for h in instance.households], dtype=bool)
    candidates = candidates_.build(pool, instance.households, instance.as_of, settings.max_pairs)
    assignment, proved, fit_proved = _search(instance, pool, candidates, high, settings, deadline)
    if not proved and candidates.truncated:
        assignment = fill(instance, pool, candidates, assignment, high)
    placed = np.flatnonzero(assignment >= 0)
    fit = int(fit_scaled_pairs(pool, instance.households, placed, assignment[placed], instance.as_of).sum())
    assignments = {h.id: (pool.ids[assignment[i]] if assignment[i] >= 0 else None)
                   for i, h in enumerate(instance.households)}
    unplaced = explain_unplaced(instance, pool, candidates, assignment)
    return Solution(
        assignments=assignments, status=Status.OPTIMAL if proved else Status.TIMED_OUT, optimal=proved,
        objective=Objective(int(high[placed].sum()), int(placed.size), fit / SCALE),
        seconds=time.perf_counter() - start, unplaced=unplaced, fit_optimal=proved and fit_proved,
    )
