"""Batch placement: every household at once, lexicographically optimal.

Levels: (1) high-risk households placed, (2) households placed, (3) total fit.

1. Filter: each household's feasible units (rules 1-8) and their fit; nothing else is modelled.
2. Relaxation: ignoring `apart`, the problem is an assignment problem, solved exactly by
   min-cost flow with weights that encode the lexicographic order (see `FlowModel`).
3. If that assignment keeps every apart entry it is optimal for the whole problem.
   Otherwise a best-first branch and bound over the same flow (`branch_and_bound`) splits on
   broken apart conflicts (same site, or geodesic under km); every node is an exact flow, so
   its value bounds its branch, and the root's value bounds everything. It was chosen over
   CP-SAT after measuring: on 600 households / 800 units / 30 apart entries CP-SAT (2
   workers) had not proved levels 1-2 in 30 s, HiGHS needed ~19 s, the branch and bound
   proves them in well under a second, because apart entries touch few households and the
   flow bound is nearly always tight.
"""
from __future__ import annotations

import heapq
import itertools
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow

from . import geo
from .domain import Instance, InstanceError, Objective, Settings, Solution, Status
from .explain import explain_unplaced
from .fit import SCALE, fit_scaled
from .io import validate
from .pool import UnitPool

INT64_SAFE = 2 ** 62


@dataclass(frozen=True)
class Pairs:
    """The feasible (household, unit) pairs, as parallel arrays, sorted by household then unit."""

    household: np.ndarray
    unit: np.ndarray
    fit: np.ndarray  # hundredths of a point

    def of(self, i: int) -> np.ndarray:
        """Pair indices of household i."""
        lo, hi = np.searchsorted(self.household, [i, i + 1])
        return np.arange(lo, hi)


@dataclass(frozen=True)
class Clash:
    """One apart entry over pairs: pair `pa` (household a) conflicts with every pair in `pbs` (household b)."""

    entry: int
    pa: int
    pbs: np.ndarray


def build_pairs(instance: Instance, pool: UnitPool) -> Pairs:
    """Filter first: each household's feasible units (rules 1-8) with their fit."""
    hs, us, fs = [], [], []
    for i, h in enumerate(instance.households):
        idx = pool.feasible(h)
        hs.append(np.full(idx.size, i, dtype=np.int64))
        us.append(idx)
        fs.append(fit_scaled(pool, h, idx, instance.as_of))
    cat = (lambda xs, t: np.concatenate(xs).astype(t) if xs else np.zeros(0, t))
    return Pairs(cat(hs, np.int64), cat(us, np.int64), cat(fs, np.int64))


def feasible_pairs(instance: Instance) -> dict[str, tuple[str, ...]]:
    """Each household's id -> the ids of the units it may take under rules 1-8."""
    _raise_if_invalid(instance)
    pool = UnitPool(instance.units)
    pairs = build_pairs(instance, pool)
    return {h.id: tuple(pool.ids[j] for j in pairs.unit[pairs.of(i)]) for i, h in enumerate(instance.households)}


def build_clashes(instance: Instance, pool: UnitPool, pairs: Pairs) -> list[Clash]:
    """Rule 10 over pairs: for each apart entry, which pair of b each pair of a excludes."""
    index = {h.id: i for i, h in enumerate(instance.households)}
    clashes = []
    for e, entry in enumerate(instance.apart):
        pa, pb = pairs.of(index[entry.a]), pairs.of(index[entry.b])
        if not pa.size or not pb.size:
            continue
        ua, ub = pairs.unit[pa], pairs.unit[pb]
        matrix = geo.same_site_or_near(pool.site[ua], pool.points[ua], pool.site[ub], pool.points[ub], entry.km)
        for row, p in enumerate(pa):
            if matrix[row].any():
                clashes.append(Clash(e, int(p), pb[matrix[row]]))
    return clashes


class FlowModel:
    """The assignment relaxation (rules 1-9, no apart) as a min-cost flow, lexicographic by weights.

    Built in fixed steps: the weights (objective) once; then per solve the arcs (variables),
    their capacities (hard constraints: one unit per household, one household per unit, the
    branch's removed and forced pairs) and costs, and the solve.

    Value of placing household h in unit u: A*[h high] + B + f(h,u), with 0 <= f <= F.
    N = an upper bound on how many households can be placed. Proof that maximising the
    total value is lexicographic: the B-and-fit part of any assignment lies in [0, N*(B+F)],
    so with A = N*(B+F) + 1 one more high-risk placement outweighs every difference below
    it; likewise the fit part lies in [0, N*F], so with B = N*F + 1 one more placement
    outweighs any fit difference. In the network each household sends one unit of flow
    either to a unit (cost F - f, >= 0) or straight to the sink (cost A*[high] + B + F),
    so minimum cost = constant - maximum value. OR-Tools' cost scaling multiplies costs by
    about the number of nodes, so the largest cost times (nodes + 1) must stay below 2^62;
    for huge instances the fit is coarsened (levels 1 and 2 stay exact) until it does.
    """

    def __init__(self, n_households: int, high: np.ndarray, pairs: Pairs):
        self.n_households, self.high, self.pairs = n_households, high, pairs
        self.n_units = int(pairs.unit.max()) + 1 if pairs.unit.size else 0
        n = min(np.unique(pairs.household).size, np.unique(pairs.unit).size)
        nodes = n_households + self.n_units + 1
        fit, self.coarse = pairs.fit, 1
        while True:
            self.big_f = int(fit.max(initial=0))
            self.big_b = n * self.big_f + 1
            self.big_a = n * (self.big_b + self.big_f) + 1
            if (self.big_a + self.big_b + self.big_f) * (nodes + 1) < INT64_SAFE:
                break
            self.coarse *= 10
            fit = pairs.fit // self.coarse
        self.fit = fit
        self.pair_value = self.big_a * high[pairs.household].astype(np.int64) + self.big_b + fit

    def value(self, choice: np.ndarray) -> int:
        """The weighted value of a choice (pair index per household, -1 for none)."""
        return int(self.pair_value[choice[choice >= 0]].sum())

    def levels(self, value: int) -> tuple[int, int]:
        """(high-risk placed, placed) encoded in a value."""
        return value // self.big_a, (value % self.big_a) // self.big_b

    def solve(self, removed: np.ndarray | None = None, forced: np.ndarray | None = None) -> tuple[np.ndarray, int]:
        """Optimal choice without `removed` pairs, with each `forced` household placed: (choice, value)."""
        nh, pairs = self.n_households, self.pairs
        keep = np.flatnonzero(~removed) if removed is not None else np.arange(pairs.household.size)
        sink = nh + self.n_units
        flow = min_cost_flow.SimpleMinCostFlow()
        # Placements: household -> unit, one unit of capacity each.
        arcs = flow.add_arcs_with_capacity_and_unit_cost(
            pairs.household[keep].astype(np.int32), (nh + pairs.unit[keep]).astype(np.int32),
            np.ones(keep.size, np.int64), (self.big_f - self.fit[keep]).astype(np.int64))
        # Leaving a household unplaced costs what placing it would have been worth (not allowed if forced).
        unplaced_capacity = np.ones(nh, np.int64) if forced is None else (~forced).astype(np.int64)
        flow.add_arcs_with_capacity_and_unit_cost(
            np.arange(nh, dtype=np.int32), np.full(nh, sink, np.int32), unplaced_capacity,
            (self.big_a * self.high.astype(np.int64) + self.big_b + self.big_f).astype(np.int64))
        # Rule 9: each unit passes at most one household on to the sink.
        flow.add_arcs_with_capacity_and_unit_cost(
            (nh + np.arange(self.n_units)).astype(np.int32), np.full(self.n_units, sink, np.int32),
            np.ones(self.n_units, np.int64), np.zeros(self.n_units, np.int64))
        supplies = np.concatenate([np.ones(nh), np.zeros(self.n_units), [-nh]]).astype(np.int64)
        flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
        status = flow.solve()
        if status != flow.OPTIMAL:
            raise RuntimeError(f"min-cost flow failed: {status}")
        chosen = keep[np.asarray(flow.flows(np.asarray(arcs, dtype=np.int32))) > 0]
        choice = np.full(nh, -1, dtype=np.int64)
        choice[pairs.household[chosen]] = chosen
        return choice, self.value(choice)


@dataclass(order=True)
class _Node:
    """A branch: some pairs removed, some households forced into their pair; `neg_bound` from its flow."""

    neg_bound: int
    order: int
    removed: np.ndarray = field(compare=False)
    forced: np.ndarray = field(compare=False)
    choice: np.ndarray = field(compare=False)


def _children(flow: FlowModel, node: _Node, clash: Clash) -> list[tuple[np.ndarray, np.ndarray]]:
    """Two disjoint branches covering every solution: a not in pa; or a in pa and b clear of it."""
    pairs = flow.pairs
    a = pairs.household[clash.pa]
    without_pa = node.removed.copy()
    without_pa[clash.pa] = True
    a_in_pa = node.removed.copy()
    a_in_pa[pairs.of(a)] = True
    a_in_pa[clash.pa] = False
    a_in_pa[clash.pbs] = True
    forced = node.forced.copy()
    forced[a] = True
    return [(without_pa, node.forced), (a_in_pa, forced)]


def branch_and_bound(flow: FlowModel, clashes: list[Clash], settings: Settings,
                     deadline: float) -> tuple[np.ndarray, bool, bool]:
    """Exact search for rule 10 over the flow relaxation: (choice, levels 1-2 proved, all proved).

    Best-first on the relaxation's value. A node whose flow keeps every apart entry is a
    solution; otherwise it is split on one broken clash (see `_children`). Each node's flow,
    repaired, offers an incumbent. Levels 1-2 are proved once no open node's bound promises
    more high-risk or more placed households than the incumbent; the search then goes on
    for level 3 for at most `settings.fit_time_limit` seconds.
    """
    pairs, high = flow.pairs, flow.high
    counter = itertools.count()
    root, value = flow.solve()
    best = repair(root, high, pairs, clashes)
    best_value = flow.value(best)
    heap = [_Node(-value, next(counter), np.zeros(pairs.household.size, bool),
                  np.zeros(flow.n_households, bool), root)]
    proved_at = None
    while heap:
        node = heap[0]
        if -node.neg_bound <= best_value:
            return best, True, True
        if proved_at is None and flow.levels(-node.neg_bound) <= flow.levels(best_value):
            proved_at = time.perf_counter()
        now = time.perf_counter()
        if now > deadline or (proved_at is not None and now > proved_at + settings.fit_time_limit):
            return best, proved_at is not None, False
        heapq.heappop(heap)
        for removed, forced in _children(flow, node, _broken_clashes(node.choice, pairs, clashes)[0]):
            choice, value = flow.solve(removed, forced)
            if value <= best_value:
                continue  # pruned: cannot beat the incumbent
            repaired = choice if not _broken_clashes(choice, pairs, clashes) else repair(choice, high, pairs, clashes)
            if flow.value(repaired) > best_value:
                best, best_value = repaired, flow.value(repaired)
            if value > best_value:
                heapq.heappush(heap, _Node(-value, next(counter), removed, forced, choice))
    return best, True, True


def _broken_clashes(choice: np.ndarray, pairs: Pairs, clashes: list[Clash]) -> list[Clash]:
    chosen = np.zeros(pairs.household.size, dtype=bool)
    chosen[choice[choice >= 0]] = True
    return [c for c in clashes if chosen[c.pa] and chosen[c.pbs].any()]


class _ClashIndex:
    """For each pair, the pairs it may not be chosen together with (rule 10)."""

    def __init__(self, clashes: list[Clash]):
        self.against: dict[int, set[int]] = {}
        for c in clashes:
            self.against.setdefault(c.pa, set()).update(c.pbs.tolist())
            for pb in c.pbs.tolist():
                self.against.setdefault(pb, set()).add(c.pa)

    def blocked(self, p: int, chosen: set[int]) -> bool:
        return not self.against.get(p, set()).isdisjoint(chosen)


def repair(choice: np.ndarray, high: np.ndarray, pairs: Pairs, clashes: list[Clash]) -> np.ndarray:
    """Make a choice keep every apart entry, then place whoever still fits somewhere free.

    For each broken entry the lower-priority household (not high risk, then lower fit) gives
    up its unit; then households without a unit, high risk first, take the best free unit
    that breaks no entry.
    """
    choice = choice.copy()
    for clash in _broken_clashes(choice, pairs, clashes):
        a, b = pairs.household[clash.pa], pairs.household[clash.pbs[0]]
        if choice[a] != clash.pa or choice[b] not in clash.pbs:
            continue  # resolved by an earlier drop
        drop = a if (high[a], pairs.fit[clash.pa]) < (high[b], pairs.fit[choice[b]]) else b
        choice[drop] = -1
    index = _ClashIndex(clashes)
    chosen = set(choice[choice >= 0].tolist())
    taken = np.zeros(int(pairs.unit.max(initial=-1)) + 1, dtype=bool)
    taken[pairs.unit[choice[choice >= 0]]] = True
    for i in sorted(np.flatnonzero(choice < 0).tolist(), key=lambda i: (not high[i], i)):
        own = pairs.of(i)
        free = own[~taken[pairs.unit[own]]]
        for p in free[np.argsort(-pairs.fit[free], kind="stable")].tolist():
            if not index.blocked(p, chosen):
                choice[i] = p
                chosen.add(p)
                taken[pairs.unit[p]] = True
                break
    return choice


def _value(choice: np.ndarray, high: np.ndarray, pairs: Pairs) -> tuple[int, int, int]:
    placed = choice >= 0
    return int((placed & high).sum()), int(placed.sum()), int(pairs.fit[choice[placed]].sum())


def _raise_if_invalid(instance: Instance) -> None:
    found = validate(instance)
    if found:
        raise InstanceError(found)


def solve(instance: Instance, settings: Settings = Settings()) -> Solution:
    """Place every household at once, lexicographically optimal (see the module docstring).

    Raises InstanceError (every problem, with JSON pointers) before any modelling.
    """
    start = time.perf_counter()
    deadline = start + settings.time_limit
    _raise_if_invalid(instance)
    pool = UnitPool(instance.units)
    n = len(instance.households)
    high = np.array([h.risk == "high" for h in instance.households], dtype=bool)
    pairs = build_pairs(instance, pool)
    flow = FlowModel(n, high, pairs)
    clashes = build_clashes(instance, pool, pairs)
    if clashes:
        choice, proved, fit_proved = branch_and_bound(flow, clashes, settings, deadline)
    else:
        (choice, _), proved, fit_proved = flow.solve(), True, True
    fit_proved = fit_proved and flow.coarse == 1
    status = Status.OPTIMAL if proved else Status.TIMED_OUT
    high_placed, placed, fit = _value(choice, high, pairs)
    assignments = {h.id: (pool.ids[pairs.unit[choice[i]]] if choice[i] >= 0 else None)
                   for i, h in enumerate(instance.households)}
    unplaced = explain_unplaced(instance, pool, pairs, clashes, choice, high)
    return Solution(
        assignments=assignments, status=status, optimal=proved,
        objective=Objective(high_placed, placed, fit / SCALE), seconds=time.perf_counter() - start,
        unplaced=unplaced, fit_optimal=proved and fit_proved,
    )
