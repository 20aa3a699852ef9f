"""What would widen the choice: for each hard rule a caseworker may change, how many more units would fit.

A caseworker may change what the household asks (the package docstring, "Widening"):
- kind: accept one more unit type (`unit_types`); never the victim / perpetrator split;
- pets: place one pet elsewhere (every entry of that pet);
- distance: lower one avoid entry's `km` (its `precision_km` stays: it is what is known of the place);
- areas: drop one excluded area.
She cannot change size, lead, males (facts about the people) nor needs (the access and funding
the people need).

Counted in one pass over the rule results the Screen already holds: a unit counts under an item
only when that item is the only one it breaks, so each count is exactly how many more units the
one change lets fit. A unit breaking two items fits only with both changed and counts under
neither.
"""
from __future__ import annotations

import math

import numpy as np

from . import geo
from .domain import UNIT_TYPES, DistanceStep, Household, Widening
from .rules import Break, Screen, UnitPool, allowed_types

CHANGEABLE = ("kind", "pets", "distance", "areas")
ITEM_VALUES = {"pets": lambda h: h.pets, "needs": lambda h: h.needs}


def widen(pool: UnitPool, h: Household, screen: Screen) -> tuple[Widening, ...]:
    """Every change a caseworker may make, in the order of the rules and of the household's entries."""
    items = _distinct(h, screen.breaks)
    broken = np.zeros(len(pool), dtype=np.int32)
    for b in items:
        broken += b.broken
    alone = broken == 1
    out: list[Widening] = []
    for b in items:
        if b.rule not in CHANGEABLE:
            continue
        only = b.broken & alone
        if b.rule == "kind":
            out += _types(pool, h, only)
        elif b.rule == "pets":
            out.append(Widening("pets", h.pets[b.ref], h.pets[b.ref], int(only.sum())))
        elif b.rule == "distance":
            out.append(_distance(pool, h, b, np.flatnonzero(only)))
        else:
            ref = f"exclude_areas[{b.ref}]"
            out.append(Widening("areas", ref, h.exclude_areas[b.ref].label or ref, int(only.sum())))
    return tuple(out)


def _distinct(h: Household, breaks: tuple[Break, ...]) -> list[Break]:
    """The breaks, with one per pet and per need however often the household lists it."""
    seen: set[tuple[str, str]] = set()
    out = []
    for b in breaks:
        if b.rule in ITEM_VALUES:
            key = (b.rule, ITEM_VALUES[b.rule](h)[b.ref])
            if key in seen:
                continue
            seen.add(key)
        out.append(b)
    return out


def _types(pool: UnitPool, h: Household, only: np.ndarray) -> list[Widening]:
    """One Widening per unit type the household's kind may take but `unit_types` leaves out."""
    if h.unit_types is None:
        return []
    per_type = np.bincount(pool.type_code[only], minlength=len(UNIT_TYPES))
    return [Widening("kind", t, t, int(per_type[k]))
            for k, (t, ok) in enumerate(zip(UNIT_TYPES, allowed_types(h.kind, None)))
            if ok and t not in h.unit_types]


def _distance(pool: UnitPool, h: Household, b: Break, idx: np.ndarray) -> Widening:
    """Avoid entry b.ref lowered: for each whole km that admits more of the units `idx`, how many in all."""
    place = h.avoid[b.ref]
    ref = f"avoid[{b.ref}]"
    km = _largest_whole_km(pool, place, idx, b.detail)
    km = km[km >= 0]  # a unit nearer the point than its precision is not admitted at any km
    values, counts = np.unique(km, return_counts=True)
    more = np.cumsum(counts[::-1])
    steps = tuple(DistanceStep(float(v), int(n)) for v, n in zip(values[::-1].tolist(), more.tolist()))
    return Widening("distance", ref, place.label or ref, int(km.size), steps)


def _largest_whole_km(pool: UnitPool, place, idx: np.ndarray, chord2: np.ndarray) -> np.ndarray:
    """For each unit of `idx`, the largest whole k such that rule 7 admits it with the entry's km set to k.

    Rule 7 admits a unit at geodesic distance g when g >= k + precision_km (that float sum), so k
    is floor(g - precision_km), checked against the sum itself. In the tiers rule 7 uses
    (solver.geo): the sphere where g's 1% band holds one whole k (`chord2`: the units' squared
    chords to the entry), else Vincenty, which gives g to well under a millimetre; where that
    is within 1 cm of a whole step (or did not converge), geopy decides.
    """
    p = place.precision_km
    s = geo.sphere_km(chord2[idx])
    k = np.floor(s * (1 - geo.SPHERE_MARGIN) - p - 1e-9)
    near = np.flatnonzero(k != np.floor(s * (1 + geo.SPHERE_MARGIN) - p + 1e-9))
    v, converged = geo.vincenty_km(pool.lat[idx[near]], pool.lon[idx[near]], np.full(near.size, place.lat),
                                   np.full(near.size, place.lon))
    with np.errstate(invalid="ignore"):
        k[near] = np.floor(v - p)
        unsure = ~converged | (v - (k[near] + p) <= geo.VINCENTY_MARGIN_KM) | (
            (k[near] + 1 + p) - v <= geo.VINCENTY_MARGIN_KM)
    for n in near[unsure].tolist():
        j = int(idx[n])
        g = geo.geodesic_km(pool.lat[j], pool.lon[j], place.lat, place.lon)
        whole = math.floor(g - p)
        while whole >= 0 and not g >= whole + p:
            whole -= 1
        while g >= (whole + 1) + p:
            whole += 1
        k[n] = whole
    return k


def widening_text(w: Widening) -> str:
    """e.g. "accepting dispersed units: 3 more units fit"; "at 47 km from the perpetrator's home, 3 more units fit;
    at 30 km, 8 more"."""
    if w.rule == "distance" and w.steps:
        first, *rest = w.steps
        text = f"at {first.km:g} km from {w.label}, {_more(first.more)}"
        return text + "".join(f"; at {s.km:g} km, {s.more} more" for s in rest)
    change = {"kind": f"accepting {w.label} units", "pets": f"placing the {w.label} elsewhere",
              "distance": f"a shorter distance from {w.label}", "areas": f"dropping the area {w.label}"}[w.rule]
    return f"{change}: {_more(w.more)}"


def _more(n: int) -> str:
    if n == 0:
        return "no more units fit"
    return f"{n} more unit{' fits' if n == 1 else 's fit'}"
