"""The batch's relaxation: rules 1-9 without `apart`, an assignment problem solved as one min-cost flow.

The branch and bound (solver.branch_and_bound) re-solves the same network with some pairs
removed and some households forced to be placed. A choice is a pair index per household
(-1 for none); `units_of` turns it into units.
"""
from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow

from .candidates import Pairs

INT64_SAFE = 2 ** 62


class FlowModel:
    """The assignment relaxation (rules 1-9, no apart) as a min-cost flow, lexicographic by weights.

    Built in fixed steps: the weights (objective) once; then per solve the arcs (variables),
    their capacities (hard constraints: one unit per household, one household per unit, the
    branch's removed and forced pairs) and costs, and the solve.

    Value of placing household h in unit u: A*[h high] + B + f(h,u), with 0 <= f <= F (f shifted).
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
        # Fits may be negative (wasted bedspaces): shifted so the least is 0. Every placement gains the
        # same shift, so among assignments placing as many households the order by total fit is unchanged.
        shifted = pairs.fit - min(int(pairs.fit.min(initial=0)), 0)
        fit, self.coarse = shifted, 1
        while True:
            self.big_f = int(fit.max(initial=0))
            self.big_b = n * self.big_f + 1
            self.big_a = n * (self.big_b + self.big_f) + 1
            if (self.big_a + self.big_b + self.big_f) * (nodes + 1) < INT64_SAFE:
                break
            self.coarse *= 10
            fit = shifted // self.coarse
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


def units_of(choice: np.ndarray, pairs: Pairs) -> np.ndarray:
    """A choice (pair per household, -1 for none) as the unit per household (-1 for none)."""
    return np.where(choice >= 0, pairs.unit[np.maximum(choice, 0)], -1) if pairs.unit.size else choice.copy()
