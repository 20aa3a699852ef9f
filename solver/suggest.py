"""Suggestions for one household: how many units fit, the best few, and why the rest do not."""
from __future__ import annotations

import time
from datetime import date

import numpy as np

from .answers import Distances, UnitAnswers
from .domain import Household, Instance, InstanceError, Problem, Suggestion, Suggestions
from .fit import fit_parts_pairs, why
from .io import household_to_dict, parse_household, validate
from .reasons import RuledOut
from .rules import UnitPool


def suggest(source: UnitPool | Instance, household: Household | str, top: int = 10,
            as_of: date | None = None) -> Suggestions:
    """Rank the units of `source` for one household, best fit first (ties: see the package docstring).

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
    order = ranking(pool, feasible, sum(parts.values()), distances)
    ruled_out = RuledOut(pool, household, screen)
    units = UnitAnswers(pool, household, as_of, screen, feasible, parts, order, ruled_out, distances)
    ranked = []
    for at in order[: max(top, 0)].tolist():
        j = int(feasible[at])
        fit, fit_parts = units.parts_at(at, j)
        prefer_km = [float(km[j]) for km in distances.prefer_km]
        ranked.append(Suggestion(pool.ids[j], fit, why(pool, household, j, as_of, prefer_km), fit_parts,
                                 distances.of(j)))
    return Suggestions(
        household=household.id, feasible=int(feasible.size), suggestions=tuple(ranked),
        ruled_out=ruled_out, counts=screen.counts(), seconds=time.perf_counter() - start,
        units=units, distances=distances,
    )


def ranking(pool: UnitPool, feasible: np.ndarray, fits: np.ndarray, distances: Distances) -> np.ndarray:
    """Positions in `feasible`, best first: higher fit, then fewer wasted bedspaces, then nearer the
    nearest prefer entry, then unit id. Every key is a number or the id's rank, so the order never
    depends on hashing (it is the same in every process)."""
    nearest = distances.nearest_prefer_km()
    keys = [pool.id_rank[feasible]]
    if nearest is not None:
        keys.append(nearest[feasible])
    keys += [pool.beds[feasible], -fits]  # the household's size is fixed: fewer bedspaces, fewer wasted
    return np.lexsort(keys)


def _find(instance: Instance, household: Household | str) -> Household:
    if isinstance(household, Household):
        return household
    for h in instance.households:
        if h.id == household:
            return h
    raise InstanceError([Problem("--household", f'unknown household "{household}"')])
