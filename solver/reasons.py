"""Caseworker wording of the rules a unit breaks, built in bulk from a Screen."""
from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from . import geo
from .domain import Household, Reason, Unit
from .rules import Break, Screen, UnitPool

SUMMARY = {
    "kind": "of a type this household cannot take",
    "size": "too small",
    "lead": "not taking a lead person of this gender",
    "males": "not taking a male member of this age",
    "pets": "not taking the household's pets",
    "needs": "not meeting the household's needs",
    "distance": "too close to places to avoid",
    "areas": "inside areas to keep out of",
}


def summary_line(rule: str, n: int) -> str:
    """e.g. "14 units too close to places to avoid"."""
    return f"{n} unit{'' if n == 1 else 's'} {SUMMARY[rule]}"


def place_name(h: Household, b: Break) -> str:
    """The avoid place or area a break refers to: its label, else e.g. "avoid[0]"."""
    items, key = (h.avoid, "avoid") if b.rule == "distance" else (h.exclude_areas, "exclude_areas")
    return items[b.ref].label or f"{key}[{b.ref}]"


def people(n: int) -> str:
    """ "1 person", "3 people"."""
    return f"{n} {'person' if n == 1 else 'people'}"


def _km(x: float) -> str:
    return f"{x:g}"


def _kind(h: Household, u: Unit) -> str:
    if h.kind == "perpetrator" and u.type != "perpetrator":
        return f"a {u.type} unit; perpetrator households take perpetrator units only"
    if h.kind != "perpetrator" and u.type == "perpetrator":
        return "a perpetrator unit, not for victim households"
    return f"a {u.type} unit; this household accepts only {', '.join(h.unit_types or ())}"


def _member_name(h: Household, i: int) -> str:
    """How reasons name member i: its label, else "the lead person" or "member 2" (position from 1)."""
    return h.members[i].label or ("the lead person" if i == 0 else f"member {i + 1}")


def _lead(h: Household, u: Unit) -> str:
    takes = " or ".join(u.lead_genders) if u.lead_genders else "no"
    lead = h.members[0]
    who = f"{lead.label}, the lead person," if lead.label else "the lead person"
    return f"takes {takes} lead persons only; {who} is {lead.gender}"


def _males(h: Household, u: Unit) -> str:
    over = [f"{_member_name(h, i)} is {m.age}" for i, m in enumerate(h.members)
            if m.gender == "male" and m.age > u.max_male_age]
    return f"takes male members up to age {u.max_male_age}; {' and '.join(over)}"


def _message(h: Household, b: Break, u: Unit, km: float | None) -> str:
    """The text after "rule: " for one unit breaking one rule (or one item of it)."""
    if b.rule == "kind":
        return _kind(h, u)
    if b.rule == "size":
        return f"{u.bedspaces} bedspace{'' if u.bedspaces == 1 else 's'} for {people(len(h.members))}"
    if b.rule == "lead":
        return _lead(h, u)
    if b.rule == "males":
        return _males(h, u)
    if b.rule == "pets":
        return f"does not take {h.pets[b.ref]}"
    if b.rule == "needs":
        return f"does not have {h.needs[b.ref]}"
    if b.rule == "distance":
        place = h.avoid[b.ref]
        shown = f"{km:.1f}" if round(km, 1) < place.least_km else f"{km:.3f}"
        text = f"{shown} km from {place_name(h, b)}, needs at least {_km(place.least_km)} km"
        if place.precision_km:
            text += f" ({_km(place.km)} km + {_km(place.precision_km)} km for an approximate place)"
        return text
    return f"inside {place_name(h, b)}"


# What each rule's message depends on besides the household and the Break, for caching.
_KEY = {
    "kind": lambda u: u.type, "size": lambda u: u.bedspaces, "lead": lambda u: u.lead_genders,
    "males": lambda u: u.max_male_age, "pets": lambda u: None, "needs": lambda u: None,
    "areas": lambda u: None,
}


def reasons_for(pool: UnitPool, h: Household, screen: Screen, idx: np.ndarray) -> dict[int, list[Reason]]:
    """Reasons for each unit index in `idx`, every broken rule in the contract's order; one pass per Break."""
    out: dict[int, list[Reason]] = {int(j): [] for j in idx}
    for b in screen.breaks:
        hit = idx[b.broken[idx]]
        if not hit.size:
            continue
        ref = None if b.ref is None or b.rule in ("pets", "needs") else (
            f"avoid[{b.ref}]" if b.rule == "distance" else f"exclude_areas[{b.ref}]")
        cache: dict = {}
        for j in hit.tolist():
            u = pool.units[j]
            if b.rule == "distance":
                text = _message(h, b, u, float(geo.sphere_km(b.detail[j])))
            else:
                key = _KEY[b.rule](u)
                text = cache.get(key) or cache.setdefault(key, _message(h, b, u, None))
            out[j].append(Reason(b.rule, text, ref))
    return out


class RuledOut(Mapping):
    """Unit id -> reasons, for every unit a household cannot take; built on first use, in bulk."""

    def __init__(self, pool: UnitPool, h: Household, screen: Screen):
        self._pool, self._h, self._screen = pool, h, screen
        self._idx = np.flatnonzero(~screen.feasible)
        self._all: dict[str, tuple[Reason, ...]] | None = None

    def _build(self) -> dict[str, tuple[Reason, ...]]:
        if self._all is None:
            built = reasons_for(self._pool, self._h, self._screen, self._idx)
            self._all = {self._pool.ids[j]: tuple(r) for j, r in built.items()}
        return self._all

    def __getitem__(self, unit_id: str) -> tuple[Reason, ...]:
        if self._all is None:
            j = self._pool.index.get(unit_id)
            if j is None or self._screen.feasible[j]:
                raise KeyError(unit_id)
            return tuple(reasons_for(self._pool, self._h, self._screen, np.array([j]))[j])
        return self._all[unit_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._build())

    def __len__(self) -> int:
        return int(self._idx.size)
