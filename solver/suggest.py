"""Suggestions for one household: how many units fit, the best few, why the rest do not, and what would widen it."""
from __future__ import annotations

import time
from datetime import date

import numpy as np

from .answers import Distances, UnitAnswers, ranking
from .domain import Household, Instance, InstanceError, Problem, Suggestions
from .fit import fit_parts_pairs
from .io import household_to_dict, parse_household, validate
from .reasons import RuledOut
from .rules import UnitPool
from .widen import widen


def suggest(source: UnitPool | Instance, household: Household | str, top: int = 10,
            as_of: date | None = None) -> Suggestions:
    """Rank the units of `source` for one household, best fit first (ties: the package docstring, "Ranking").

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
    parts = fit_parts_pairs(pool, (household,), np.zeros(feasible.size, dtype=np.int64), feasible, as_of)
    ruled_out = RuledOut(pool, household, screen)
    units = UnitAnswers(pool, household, as_of, screen, feasible, parts, ruled_out, distances)
    ranked = tuple(units.suggestion(at) for at in ranking(pool, feasible, units.fits, distances, top).tolist())
    widening = widen(pool, household, screen)
    return Suggestions(
        household=household.id, feasible=int(feasible.size), suggestions=ranked,
        ruled_out=ruled_out, counts=screen.counts(), seconds=time.perf_counter() - start,
        units=units, distances=distances, widening=widening,
    )


def _find(instance: Instance, household: Household | str) -> Household:
    if isinstance(household, Household):
        return household
    for h in instance.households:
        if h.id == household:
            return h
    raise InstanceError([Problem("--household", f'unknown household "{household}"')])
