"""Batch placement: every household at once, lexicographically optimal.

Levels: (1) high-risk households placed, (2) households placed, (3) total fit.

1. Filter: each household's feasible units (rules 1-8) and their fit; nothing else is modelled.
   Vectorised per rule family over a chunk of households at a time (`UnitPool.feasible_matrix`,
   `fit.fit_scaled_pairs`), giving exactly what the per-household filter of `suggest` gives,
   and kept as bits (`solver.candidates`). Up to `Settings.max_pairs` feasible pairs every pair
   is modelled; beyond, each household's best-fitting units only (20,000 households x 31,000
   units have ~190 million feasible pairs, which no flow holds in memory). Levels 1-2 stay
   exact: every bound used for them is certified over every feasible pair by an augmenting-path
   search on the bits (`Certifier`, `solver.certify`), and where the certificate fails the
   better matching's pairs are modelled and the search runs again. Level 3 is then optimal
   over the modelled pairs, so `fit_optimal` is claimed only when every pair was modelled.
2. Relaxation: ignoring `apart`, the problem is an assignment problem, solved exactly by
   min-cost flow with weights that encode the lexicographic order (see `FlowModel`). The
   network is built once; a branch only changes arc capacities before the flow is re-solved.
3. If that assignment keeps every apart entry it is optimal for the whole problem.
   Otherwise a best-first branch and bound over the same flow (`branch_and_bound`) splits on
   broken apart conflicts (same site, or geodesic under km), a whole group of a's units at a
   time (`_Groups`); every node is an exact flow, so its value bounds its branch, and the
   root's value bounds everything. Incumbents come from a greedy repair and, until levels 1-2
   are proved, from flows re-solved with the clashing units taken away from the lower-priority
   side (`repair_by_flow`), which nearly always reaches the root's levels at once: levels 1-2
   are then proved after two or three flows. It was chosen over CP-SAT after measuring: on
   600 households / 800 units / 30 apart entries CP-SAT (2 workers) had not proved levels
   1-2 in 30 s, HiGHS needed ~19 s, the branch and bound proves them in well under a second,
   because apart entries touch few households and the flow bound is nearly always tight.
   Level 3 is searched on for `Settings.fit_time_limit` seconds more; it is often proved on
   small and medium instances, and `fit_optimal` says whether it was.

Measured (2 shared cores, load about 5; `bench/bench_engine.py --big`): 20,000 households /
31,000 units / 30 apart entries in 162 s and 0.66 GiB peak, levels 1-2 proved (about half
filtering, half three flows over 2 million pairs). Modelling every pair had passed 10 GiB
after 3 minutes at 3,000 households over those units; 3,000 now take 48 s and 0.57 GiB.
"""
from __future__ import annotations

import heapq
import itertools
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow

from . import candidates as candidates_
from . import geo
from .candidates import Candidates, Pairs
from .certify import AllowedRows, lexicographic_matching
from .domain import Instance, InstanceError, Objective, Settings, Solution, Status
from .explain import apart_partners, blocked_by_apart, explain_unplaced
from .fit import SCALE, fit_scaled, fit_scaled_pairs
from .io import validate
from .rules import UnitPool

INT64_SAFE = 2 ** 62


@dataclass(frozen=True)
class Clash:
    """One apart entry over pairs: pair `pa` (household a) conflicts with every pair in `pbs` (household b)."""

    entry: int
    pa: int
    pbs: np.ndarray


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
        self._build()

    def _build(self) -> None:
        """The network, built once; a branch only changes arc capacities (SimpleMinCostFlow re-solves)."""
        nh, pairs = self.n_households, self.pairs
        sink = nh + self.n_units
        self._flow = flow = min_cost_flow.SimpleMinCostFlow()
        # Placements: household -> unit, one unit of capacity each.
        self._pair_arcs = np.asarray(flow.add_arcs_with_capacity_and_unit_cost(
            pairs.household.astype(np.int32), (nh + pairs.unit).astype(np.int32),
            np.ones(pairs.household.size, np.int64), (self.big_f - self.fit).astype(np.int64)), dtype=np.int32)
        # Leaving a household unplaced costs what placing it would have been worth (capacity 0 if forced).
        self._unplaced_arcs = np.asarray(flow.add_arcs_with_capacity_and_unit_cost(
            np.arange(nh, dtype=np.int32), np.full(nh, sink, np.int32), np.ones(nh, np.int64),
            (self.big_a * self.high.astype(np.int64) + self.big_b + self.big_f).astype(np.int64)), dtype=np.int32)
        # Rule 9: each unit passes at most one household on to the sink.
        flow.add_arcs_with_capacity_and_unit_cost(
            (nh + np.arange(self.n_units)).astype(np.int32), np.full(self.n_units, sink, np.int32),
            np.ones(self.n_units, np.int64), np.zeros(self.n_units, np.int64))
        supplies = np.concatenate([np.ones(nh), np.zeros(self.n_units), [-nh]]).astype(np.int64)
        flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
        self._removed = np.zeros(pairs.household.size, dtype=bool)
        self._forced = np.zeros(nh, dtype=bool)

    def value(self, choice: np.ndarray) -> int:
        """The weighted value of a choice (pair index per household, -1 for none)."""
        return int(self.pair_value[choice[choice >= 0]].sum())

    def levels(self, value: int) -> tuple[int, int]:
        """(high-risk placed, placed) encoded in a value."""
        return value // self.big_a, (value % self.big_a) // self.big_b

    def solve(self, removed: np.ndarray | None = None,
              forced: np.ndarray | None = None) -> tuple[np.ndarray, int] | None:
        """Optimal choice without `removed` pairs, with each `forced` household placed: (choice, value).

        None when no choice meets them (a forced household with no pair left).
        """
        nh, pairs = self.n_households, self.pairs
        removed = np.zeros(pairs.household.size, bool) if removed is None else removed
        forced = np.zeros(nh, bool) if forced is None else forced
        flow = self._flow
        # Only the capacities that differ from the last solve are sent to the network.
        changed = np.flatnonzero(removed != self._removed)
        if changed.size:
            flow.set_arc_capacities(self._pair_arcs[changed], (~removed[changed]).astype(np.int64))
        changed = np.flatnonzero(forced != self._forced)
        if changed.size:
            flow.set_arc_capacities(self._unplaced_arcs[changed], (~forced[changed]).astype(np.int64))
        self._removed, self._forced = removed.copy(), forced.copy()
        status = flow.solve()
        if status == flow.INFEASIBLE:
            return None
        if status != flow.OPTIMAL:
            raise RuntimeError(f"min-cost flow failed: {status}")
        chosen = np.flatnonzero(np.asarray(flow.flows(self._pair_arcs)) > 0)
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


class _Groups:
    """For a clash (a's pair pa against b's pairs pbs), a's pairs that clash with at least all of pbs.

    Units of one site share a place, so their pairs clash with the same pairs of b: branching
    on the whole group at once instead of pair by pair keeps the tree shallow.
    """

    def __init__(self, clashes: list[Clash]):
        self.by_entry: dict[int, list[tuple[int, frozenset[int]]]] = {}
        for c in clashes:
            self.by_entry.setdefault(c.entry, []).append((c.pa, frozenset(c.pbs.tolist())))
        self._cache: dict[tuple[int, int], np.ndarray] = {}

    def of(self, clash: Clash) -> np.ndarray:
        key = (clash.entry, clash.pa)
        if key not in self._cache:
            need = frozenset(clash.pbs.tolist())
            self._cache[key] = np.array(sorted(pa for pa, pbs in self.by_entry[clash.entry] if pbs >= need),
                                        dtype=np.int64)
        return self._cache[key]


def _children(flow: FlowModel, node: _Node, clash: Clash, group: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Two disjoint branches covering every solution: a in none of `group`; or a in `group` and b clear of pbs.

    `group` holds pa and a's other pairs that clash with every pair in pbs (see `_Groups`), so in
    the second branch b must keep clear of pbs whichever of them a takes.
    """
    pairs = flow.pairs
    a = pairs.household[clash.pa]
    without_group = node.removed.copy()
    without_group[group] = True
    a_in_group = node.removed.copy()
    a_in_group[pairs.of(a)] = True
    a_in_group[group] = node.removed[group]  # pairs an earlier branch removed stay removed
    a_in_group[clash.pbs] = True
    forced = node.forced.copy()
    forced[a] = True
    return [(without_group, node.forced), (a_in_group, forced)]


def branch_and_bound(flow: FlowModel, clashes: list[Clash], settings: Settings, deadline: float,
                     certify: Certifier | None = None) -> tuple[np.ndarray, bool, bool, np.ndarray | None]:
    """Exact search for rule 10 over the flow relaxation: (choice, levels 1-2 proved, all proved, better).

    Best-first on the relaxation's value. A node whose flow keeps every apart entry is a
    solution; otherwise it is split on one broken clash (see `_children`). Each node's flow,
    repaired, offers an incumbent: greedily always, and while levels 1-2 are not yet proved
    also by re-solving the flow with the clashing units taken away from the lower-priority side
    (`repair_by_flow`), which usually reaches the root's levels at once. Levels 1-2 are
    proved once no open node's bound promises more high-risk or more placed households than
    the incumbent; the search then goes on for level 3 for at most `settings.fit_time_limit`
    seconds, and stops early, proved, when no open node's bound beats the incumbent.

    When the flow models only some pairs (`certify` given), a node's bound counts for levels
    1-2 only once `certify` has shown that no unmodelled pair raises that node's levels; where
    one does, the search stops and returns that node's `better` matching (units per household)
    so that the caller models its pairs and searches again.
    """
    pairs, high = flow.pairs, flow.high
    index, groups = _ClashIndex(clashes), _Groups(clashes)
    counter = itertools.count()
    no_removed, no_forced = np.zeros(pairs.household.size, bool), np.zeros(flow.n_households, bool)
    root, value = flow.solve()
    best = repair(root, high, pairs, clashes, index)
    best_value = flow.value(best)
    better = certify(root, no_removed, no_forced) if certify else None
    if better is not None:
        return best, False, False, better
    if flow.levels(best_value) < flow.levels(value):
        repaired = repair_by_flow(flow, root, clashes, index, no_removed, no_forced, deadline)
        if repaired is not None and flow.value(repaired) > best_value:
            best, best_value = repaired, flow.value(repaired)
    heap = [_Node(-value, next(counter), no_removed, no_forced, root)]
    proved_at = None
    while heap:
        node = heap[0]
        if -node.neg_bound <= best_value:
            return best, True, True, None
        if proved_at is None and flow.levels(-node.neg_bound) <= flow.levels(best_value):
            proved_at = time.perf_counter()
        now = time.perf_counter()
        if now > deadline or (proved_at is not None and now > proved_at + settings.fit_time_limit):
            return best, proved_at is not None, False, None
        heapq.heappop(heap)
        clash = _broken_clashes(node.choice, pairs, clashes)[0]
        for removed, forced in _children(flow, node, clash, groups.of(clash)):
            solved = flow.solve(removed, forced)
            if solved is None:
                continue  # no choice meets the branch
            choice, value = solved
            if proved_at is None and certify:
                better = certify(choice, removed, forced)
                if better is not None:
                    return best, False, False, better
            if value <= best_value:
                continue  # pruned: cannot beat the incumbent
            repaired = choice if not _broken_clashes(choice, pairs, clashes) else repair(choice, high, pairs,
                                                                                          clashes, index)
            if proved_at is None and flow.levels(flow.value(repaired)) < flow.levels(value):
                by_flow = repair_by_flow(flow, choice, clashes, index, removed, forced, deadline)
                if by_flow is not None and flow.value(by_flow) > flow.value(repaired):
                    repaired = by_flow
            if flow.value(repaired) > best_value:
                best, best_value = repaired, flow.value(repaired)
            if value > best_value:
                heapq.heappush(heap, _Node(-value, next(counter), removed, forced, choice))
    return best, True, True, None


class Certifier:
    """Whether a node's flow, over the modelled pairs, keeps its levels 1-2 over every feasible pair.

    Called with the node's choice, removed pairs and forced households, it returns None when
    no unmodelled pair raises the node's levels (so its bound holds for the whole problem), else
    the better matching found (unit per household). The node's allowed pairs over the whole
    feasibility are: for a forced household, its modelled pairs not removed (a branch forced it
    into some of them); for any other, every feasible unit but those of its removed pairs.
    """

    def __init__(self, candidates: Candidates, high: np.ndarray):
        self.candidates, self.high = candidates, high

    def __call__(self, choice: np.ndarray, removed: np.ndarray, forced: np.ndarray) -> np.ndarray | None:
        pairs = self.candidates.pairs
        match = units_of(choice, pairs)
        overrides = {}
        for h in np.union1d(np.unique(pairs.household[removed]), np.flatnonzero(forced)).tolist():
            own = pairs.of(h)
            if forced[h]:
                row = np.zeros(self.candidates.n_units, dtype=bool)
                row[pairs.unit[own[~removed[own]]]] = True
            else:
                row = self.candidates.rows(np.array([h]))[0]
                row[pairs.unit[own[removed[own]]]] = False
            overrides[h] = row
        better = lexicographic_matching(AllowedRows(self.candidates, overrides), match, self.high | forced)
        placed, placed_better = match >= 0, better >= 0
        same = ((placed & self.high).sum(), placed.sum()) == ((placed_better & self.high).sum(), placed_better.sum())
        return None if same else better


def units_of(choice: np.ndarray, pairs: Pairs) -> np.ndarray:
    """A choice (pair per household, -1 for none) as the unit per household (-1 for none)."""
    return np.where(choice >= 0, pairs.unit[np.maximum(choice, 0)], -1) if pairs.unit.size else choice.copy()


def _broken_clashes(choice: np.ndarray, pairs: Pairs, clashes: list[Clash]) -> list[Clash]:
    chosen = np.zeros(pairs.household.size, dtype=bool)
    chosen[choice[choice >= 0]] = True
    return [c for c in clashes if chosen[c.pa] and chosen[c.pbs].any()]


class _ClashIndex:
    """For each pair, the pairs it may not be chosen together with (rule 10); built once per solve."""

    def __init__(self, clashes: list[Clash]):
        self.against: dict[int, set[int]] = {}
        for c in clashes:
            pbs = c.pbs.tolist()
            self.against.setdefault(c.pa, set()).update(pbs)
            for pb in pbs:
                self.against.setdefault(pb, set()).add(c.pa)

    def blocked(self, p: int, chosen: set[int]) -> bool:
        return not self.against.get(p, set()).isdisjoint(chosen)


def _loser(high: np.ndarray, pairs: Pairs, pa: int, pb: int) -> int:
    """Of two clashing chosen pairs, the one whose household gives way: not high risk, then lower fit."""
    a, b = pairs.household[pa], pairs.household[pb]
    return pa if (high[a], pairs.fit[pa]) < (high[b], pairs.fit[pb]) else pb


def repair(choice: np.ndarray, high: np.ndarray, pairs: Pairs, clashes: list[Clash],
           index: _ClashIndex | None = None) -> np.ndarray:
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
        choice[pairs.household[_loser(high, pairs, clash.pa, int(choice[b]))]] = -1
    index = index or _ClashIndex(clashes)
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


def repair_by_flow(flow: FlowModel, choice: np.ndarray, clashes: list[Clash], index: _ClashIndex,
                   removed: np.ndarray, forced: np.ndarray, deadline: float, rounds: int = 8) -> np.ndarray | None:
    """A choice keeping every apart entry, from flows over a shrinking set of pairs; None if none found.

    For each broken entry the lower-priority side (see `_loser`; a forced household never
    gives way) loses every pair that clashes with the other side's current unit, and the flow
    is solved again. Every flow is a choice of rules 1-9 over fewer pairs, so the first one
    that breaks no entry is a valid solution. Stops at the deadline.
    """
    pairs, high = flow.pairs, flow.high
    removed = removed.copy()
    for _ in range(rounds):
        broken = _broken_clashes(choice, pairs, clashes)
        if not broken:
            return choice
        if time.perf_counter() > deadline:
            return None
        for c in broken:
            a, b = int(pairs.household[c.pa]), int(pairs.household[c.pbs[0]])
            pb = int(choice[b])
            loser = _loser(high, pairs, c.pa, pb)
            if forced[pairs.household[loser]]:
                loser = pb if loser == c.pa else c.pa
            if loser == pb:
                removed[c.pbs] = True  # b keeps clear of a's unit
            else:
                own = pairs.of(a)
                removed[own[np.isin(own, list(index.against[pb]))]] = True  # a keeps clear of b's unit
        solved = flow.solve(removed, forced)
        if solved is None:
            return None
        choice = solved[0]
    return None if _broken_clashes(choice, pairs, clashes) else choice


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
            choice, proved, fit_proved, better = branch_and_bound(flow, clashes, settings, deadline, certify)
            answer = units_of(choice, pairs)
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
