"""Why each household left without a unit got none: no unit fits, units taken, or apart."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import geo
from .domain import RULES, Instance, Unplaced
from .reasons import summary_line

if TYPE_CHECKING:  # batch imports this module; the types are only for reading
    from .candidates import Candidates
    from .rules import UnitPool

RISK_RANK = {"high": 2, "medium": 1, "standard": 0}


def explain_unplaced(instance: Instance, pool: UnitPool, candidates: Candidates,
                     assignment: np.ndarray) -> dict[str, Unplaced]:
    """An Unplaced for every household without a unit in `assignment` (unit per household, -1 for none).

    Reads each unplaced household's whole feasibility row, not only the pairs the flow modelled.
    """
    holder = np.full(len(pool), -1, dtype=np.int64)
    placed = np.flatnonzero(assignment >= 0)
    holder[assignment[placed]] = placed
    partners = apart_partners(instance)
    out = {}
    for i in np.flatnonzero(assignment < 0).tolist():
        h = instance.households[i]
        own = candidates.row(i)
        if not own.size:
            out[h.id] = _no_unit_fits(pool, h)
            continue
        free = own[holder[own] < 0]
        blockers = {}
        for entry, other, is_a in partners.get(i, ()):
            if free.size and assignment[other] >= 0:
                n = int(blocked_by_apart(instance, pool, entry, free, int(assignment[other]), is_a).sum())
                if n:
                    blockers[entry] = n
        out[h.id] = (_apart(instance, int(free.size), blockers) if blockers
                     else _taken(instance, h, holder[own[holder[own] >= 0]].tolist()))
    return out


def apart_partners(instance: Instance) -> dict[int, list[tuple[int, int, bool]]]:
    """Household index -> (apart entry index, the other household's index, whether it is the entry's `a`)."""
    index = {h.id: i for i, h in enumerate(instance.households)}
    out: dict[int, list[tuple[int, int, bool]]] = {}
    for e, entry in enumerate(instance.apart):
        a, b = index[entry.a], index[entry.b]
        out.setdefault(a, []).append((e, b, True))
        out.setdefault(b, []).append((e, a, False))
    return out


def blocked_by_apart(instance: Instance, pool: UnitPool, entry: int, units: np.ndarray, other_unit: int,
                     is_a: bool) -> np.ndarray:
    """Boolean over `units`: taking one breaks apart entry `entry` while the other side holds `other_unit`."""
    km = instance.apart[entry].km
    here, there = units, np.array([other_unit])
    if is_a:
        return geo.same_site_or_near(pool.site[here], pool.points[here], pool.site[there], pool.points[there], km)[:, 0]
    return geo.same_site_or_near(pool.site[there], pool.points[there], pool.site[here], pool.points[here], km)[0]


def _no_unit_fits(pool: UnitPool, h) -> Unplaced:
    counts = pool.screen(h).counts()
    ranked = sorted((kv for kv in counts.items() if kv[1]), key=lambda kv: (-kv[1], RULES.index(kv[0])))
    lines = "; ".join(summary_line(rule, n) for rule, n in ranked[:3])
    return Unplaced("no_unit_fits", f"no unit fits: {lines}" if lines else "no unit fits: there are no units",
                    dict(ranked))


def _apart(instance: Instance, free: int, blockers: dict[int, int]) -> Unplaced:
    parts = []
    for e, n in sorted(blockers.items()):
        entry = instance.apart[e]
        km = f"at least {entry.km:g} km apart and on different sites" if entry.km > 0 else "on different sites"
        parts.append(f"apart entry {e} ({entry.a}/{entry.b}, {km}) blocks {n} free fitting unit"
                     f"{'' if n == 1 else 's'}")
    return Unplaced("apart", f"{free} fitting unit{'' if free == 1 else 's'} free, but " + "; ".join(parts),
                    {"free": free})


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
