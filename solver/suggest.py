"""Suggestions for one household: how many units fit, the best few, and why the rest do not."""
from __future__ import annotations

import time
from datetime import date

import numpy as np

from .answers import Distances
from .domain import Household, Instance, InstanceError, Problem, Suggestion, Suggestions
from .fit import SCALE, fit_scaled, why
from .io import household_to_dict, parse_household, validate
from .rules import UnitPool
from .reasons import RuledOut


def suggest(source: UnitPool | Instance, household: Household | str, top: int = 10,
            as_of: date | None = None) -> Suggestions:
    """Rank the units of `source` for one household, best fit first.

    `source` is a prepared UnitPool (reuse it across calls) or an Instance, in which case
    `household` may be an id and `as_of` defaults to the instance's. Raises InstanceError
    when the household is invalid or unknown.
    """
    start = time.perf_counter()
    if isinstance(source, Instance):
        found = validate(source)
        if found:
            raise InstanceError(found)
        household = _find(source, household)
        as_of = as_of or source.as_of
        pool = UnitPool(source.units)
    else:
        pool = source
        parse_household(household_to_dict(household))  # raises InstanceError listing every problem
    screen = pool.screen(household)
    distances = Distances(pool, household, screen)
    feasible = np.flatnonzero(screen.feasible)
    fits = fit_scaled(pool, household, feasible, as_of)
    # Best fit first; among equals the pool's order, so the ranking is deterministic.
    order = np.lexsort((feasible, -fits))[: max(top, 0)]
    ranked = tuple(Suggestion(pool.ids[j], f / SCALE, why(pool, household, j, as_of), distances.of(j))
                   for j, f in zip(feasible[order].tolist(), fits[order].tolist()))
    return Suggestions(
        household=household.id, feasible=int(feasible.size), suggestions=ranked,
        ruled_out=RuledOut(pool, household, screen), counts=screen.counts(),
        seconds=time.perf_counter() - start, distances=distances,
    )


def _find(instance: Instance, household: Household | str) -> Household:
    if isinstance(household, Household):
        return household
    for h in instance.households:
        if h.id == household:
            return h
    raise InstanceError([Problem("--household", f'unknown household "{household}"')])
