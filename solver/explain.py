"""Why each household left without a unit got none: no unit fits, units taken, or apart."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .domain import RULES, Instance, Unplaced
from .reasons import summary_line

if TYPE_CHECKING:  # batch imports this module; the types are only for reading
    from .batch import Clash, Pairs
    from .pool import UnitPool

RISK_RANK = {"high": 2, "medium": 1, "standard": 0}


def explain_unplaced(instance: Instance, pool: UnitPool, pairs: Pairs, clashes: list[Clash],
                     choice: np.ndarray, high: np.ndarray) -> dict[str, Unplaced]:
    """An Unplaced for every household without a unit in `choice`."""
    occupant = {int(pairs.unit[p]): int(pairs.household[p]) for p in choice[choice >= 0].tolist()}
    chosen = np.zeros(pairs.household.size, dtype=bool)
    chosen[choice[choice >= 0]] = True
    out = {}
    for i in np.flatnonzero(choice < 0).tolist():
        h = instance.households[i]
        own = pairs.of(i)
        if not own.size:
            out[h.id] = _no_unit_fits(pool, h)
            continue
        free = [p for p in own.tolist() if int(pairs.unit[p]) not in occupant]
        blockers = _blockers(instance, pairs, clashes, chosen, free)
        out[h.id] = (_apart(instance, pairs, free, blockers) if blockers
                     else _taken(instance, h, [occupant[int(pairs.unit[p])] for p in own.tolist()]))
    return out


def _no_unit_fits(pool: UnitPool, h) -> Unplaced:
    counts = pool.screen(h).counts()
    ranked = sorted((kv for kv in counts.items() if kv[1]), key=lambda kv: (-kv[1], RULES.index(kv[0])))
    lines = "; ".join(summary_line(rule, n) for rule, n in ranked[:3])
    return Unplaced("no_unit_fits", f"no unit fits: {lines}" if lines else "no unit fits: there are no units",
                    dict(ranked))


def _blockers(instance: Instance, pairs: Pairs, clashes: list[Clash], chosen: np.ndarray,
              free: list[int]) -> dict[int, int]:
    """Apart entry index -> how many of the household's free fitting units it blocks."""
    free_set = set(free)
    blocked: dict[int, set[int]] = {}
    for c in clashes:
        if c.pa in free_set and chosen[c.pbs].any():
            blocked.setdefault(c.entry, set()).add(c.pa)
        elif chosen[c.pa]:
            for p in free_set.intersection(c.pbs.tolist()):
                blocked.setdefault(c.entry, set()).add(p)
    return {e: len(ps) for e, ps in blocked.items()}


def _apart(instance: Instance, pairs: Pairs, free: list[int], blockers: dict[int, int]) -> Unplaced:
    parts = []
    for e, n in sorted(blockers.items()):
        entry = instance.apart[e]
        km = f"at least {entry.km:g} km apart and on different sites" if entry.km > 0 else "on different sites"
        parts.append(f"apart entry {e} ({entry.a}/{entry.b}, {km}) blocks {n} free fitting unit"
                     f"{'' if n == 1 else 's'}")
    return Unplaced("apart", f"{len(free)} fitting unit{'' if len(free) == 1 else 's'} free, but " + "; ".join(parts),
                    {"free": len(free)})


def _taken(instance: Instance, h, occupants: list[int]) -> Unplaced:
    rank = RISK_RANK[h.risk]
    higher = sum(RISK_RANK[instance.households[o].risk] > rank for o in occupants)
    other = len(occupants) - higher
    n = len(occupants)
    return Unplaced(
        "units_taken",
        f"all {n} fitting unit{'' if n == 1 else 's'} went to households ahead of it: "
        f"{higher} of higher risk, {other} placed so that more households are housed or the total fit is better",
        {"higher_risk": higher, "other": other},
    )
