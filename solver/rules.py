"""The hard rules 1-8, each stated once, evaluated over units prepared once as numpy arrays (UnitPool)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from . import geo
from .domain import GENDERS, UNIT_TYPES, Household, Unit


@dataclass(frozen=True)
class UnitRule:
    """One of rules 1-6: a few fields of the household against each unit's attributes.

    `items(h)` is what the rule reads of h, one item per test: each pet, each need; one item
    for the other rules, or none where the rule cannot bite (no male member). `broken(pool,
    item)` is a boolean array over the pool's units. `itemised` rules name their item in
    reasons ("does not take dog").
    """

    code: str
    items: Callable[[Household], tuple]
    broken: Callable[[UnitPool, Any], np.ndarray]
    itemised: bool = False


def _oldest_male(h: Household) -> tuple[int, ...]:
    ages = [m.age for m in h.members if m.gender == "male"]
    return (max(ages),) if ages else ()


def allowed_types(kind: str, unit_types: frozenset[str] | None) -> np.ndarray:
    """Boolean over UNIT_TYPES: the types a household of `kind` accepting `unit_types` may take."""
    wanted = UNIT_TYPES if unit_types is None else unit_types
    return np.array([t in wanted and (t == "perpetrator") == (kind == "perpetrator") for t in UNIT_TYPES], dtype=bool)


# Rules 1-6 of the contract, in its order; the reasons and the summary follow this order.
UNIT_RULES = (
    # 1. Kind: perpetrator households take perpetrator units only, victims never; unit_types if given.
    UnitRule("kind", lambda h: ((h.kind, None if h.unit_types is None else frozenset(h.unit_types)),),
             lambda pool, item: ~allowed_types(*item)[pool.type_code]),
    # 2. Size: no more members than bedspaces.
    UnitRule("size", lambda h: (len(h.members),), lambda pool, n: pool.beds < n),
    # 3. Lead: the unit takes the lead member's gender.
    UnitRule("lead", lambda h: (h.members[0].gender,), lambda pool, gender: ~pool.lead[gender]),
    # 4. Males: no male member older than the unit's limit.
    UnitRule("males", _oldest_male, lambda pool, age: pool.male_limit < age),
    # 5. Pets: the unit accepts every pet.
    UnitRule("pets", lambda h: h.pets, lambda pool, pet: ~pool.pets.has(pet), itemised=True),
    # 6. Needs: the unit has every feature needed.
    UnitRule("needs", lambda h: h.needs, lambda pool, need: ~pool.features.has(need), itemised=True),
)


def signature(h: Household) -> tuple:
    """What rules 1-6 read of a household: equal signatures, equal masks (order of pets and needs aside)."""
    return tuple(frozenset(rule.items(h)) if rule.itemised else rule.items(h) for rule in UNIT_RULES)


@dataclass(frozen=True)
class Break:
    """Which units of a pool break one hard rule, or one item of it (a pet, an avoid place, an area).

    `ref` is the item's index (pets, needs, avoid, exclude_areas); `detail`, for the distance
    rule, the squared chords (geo.sphere_km gives km to show people).
    """

    rule: str
    ref: int | None
    broken: np.ndarray
    detail: np.ndarray | None


@dataclass(frozen=True)
class Screen:
    """Every hard rule 1-8 for one household over every unit of a pool."""

    breaks: tuple[Break, ...]
    feasible: np.ndarray  # boolean over units

    def counts(self) -> dict[str, int]:
        """How many units break each rule (a unit counts once per rule)."""
        per_rule: dict[str, np.ndarray] = {}
        for b in self.breaks:
            per_rule[b.rule] = per_rule[b.rule] | b.broken if b.rule in per_rule else b.broken
        return {rule: int(mask.sum()) for rule, mask in per_rule.items()}


class Vocabulary:
    """Per-unit sets of strings (pets, features, languages) as one boolean column per item."""

    def __init__(self, sets: Sequence[Sequence[str]]):
        self.n = len(sets)
        rows: dict[str, list[int]] = {}
        for j, items in enumerate(sets):
            for item in items:
                rows.setdefault(item, []).append(j)
        self.columns = {}
        for item, js in rows.items():
            column = np.zeros(self.n, dtype=bool)
            column[js] = True
            self.columns[item] = column
        self._none = np.zeros(self.n, dtype=bool)

    def has(self, item: str) -> np.ndarray:
        """Boolean over units: the unit lists `item`."""
        return self.columns.get(item, self._none)


class UnitPool:
    """Units prepared once for many households: the app keeps one and asks for suggestions often."""

    def __init__(self, units: Sequence[Unit]):
        self.units = tuple(units)
        self.ids = [u.id for u in self.units]
        self.index = {uid: j for j, uid in enumerate(self.ids)}
        self.lat = np.array([u.lat for u in self.units], dtype=float)
        self.lon = np.array([u.lon for u in self.units], dtype=float)
        self.points = geo.Points(self.lat, self.lon)
        self.type_code = np.array([UNIT_TYPES.index(u.type) for u in self.units], dtype=np.int8)
        self.beds = np.array([u.bedspaces for u in self.units], dtype=np.int64)
        self.male_limit = np.array([np.inf if u.max_male_age is None else u.max_male_age for u in self.units])
        self.lead = {g: np.array([g in u.lead_genders for u in self.units], dtype=bool) for g in GENDERS}
        self.pets = Vocabulary([u.pets for u in self.units])
        self.features = Vocabulary([u.features for u in self.units])
        self.languages = Vocabulary([u.languages for u in self.units])
        _, self.site = np.unique(np.array([u.site_id for u in self.units], dtype=object), return_inverse=True)
        self.site = self.site.reshape(-1)

    def __len__(self) -> int:
        return len(self.units)

    @cached_property
    def id_rank(self) -> np.ndarray:
        """Each unit's place in the order of unit ids (code points), the last tie-break of suggestions.

        Made on first use: the batch never needs it.
        """
        rank = np.empty(len(self.ids), dtype=np.int64)
        rank[sorted(range(len(self.ids)), key=self.ids.__getitem__)] = np.arange(len(self.ids))
        return rank

    def feasible_matrix(self, households: Sequence[Household],
                        masks: dict[tuple, np.ndarray] | None = None) -> np.ndarray:
        """Boolean matrix (households x units): rules 1-8, the batch's filter, vectorised per rule family.

        Gives exactly what `screen` gives row by row. Rules 1-6 read a few fields only, so
        households with the same `signature` share one mask over the units. Rule 7 is decided
        for every avoid place of every household at once (the sphere over whole arrays, the
        ellipsoid tiers only near each threshold and only for pairs rules 1-6 let through),
        rule 8 per area over the survivors. `masks` caches rules 1-6 by signature across calls.
        """
        n_units = len(self.units)
        out = np.zeros((len(households), n_units), dtype=bool)
        masks = {} if masks is None else masks
        for i, h in enumerate(households):
            key = signature(h)
            if key not in masks:
                masks[key] = self._unit_rules_mask(h)
            out[i] = masks[key]
        owners = [i for i, h in enumerate(households) for _ in h.avoid]
        if owners and n_units:
            places = [p for h in households for p in h.avoid]
            owner = np.array(owners)
            chunk = max(1, 4_000_000 // n_units)
            for lo in range(0, owner.size, chunk):
                part = slice(lo, lo + chunk)
                ps = places[part]
                ok = geo.far_enough_rows(self.points, geo.Points([p.lat for p in ps], [p.lon for p in ps]),
                                         np.array([p.least_km for p in ps]), out[owner[part]])
                for row, i in enumerate(owner[part].tolist()):
                    out[i] &= ok[row]
        for i, h in enumerate(households):
            for area in h.exclude_areas:
                idx = np.flatnonzero(out[i])
                if idx.size:
                    out[i, idx[geo.inside(area.shape, self.lon[idx], self.lat[idx])]] = False
        return out

    def _unit_rules_mask(self, h: Household) -> np.ndarray:
        """Boolean over units: rules 1-6 (kind, size, lead, males, pets, needs) for h."""
        mask = np.ones(len(self.units), dtype=bool)
        for rule in UNIT_RULES:
            for item in rule.items(h):
                mask &= ~rule.broken(self, item)
        return mask

    def screen(self, h: Household) -> Screen:
        """Every hard rule 1-8 for h over every unit, in the contract's order (reasons list them so)."""
        breaks = [Break(rule.code, i if rule.itemised else None, rule.broken(self, item), None)
                  for rule in UNIT_RULES for i, item in enumerate(rule.items(h))]
        for i, place in enumerate(h.avoid):
            ok, chord2 = geo.far_enough(self.points, geo.Points(place.lat, place.lon), place.least_km)
            breaks.append(Break("distance", i, ~ok, chord2))
        for i, area in enumerate(h.exclude_areas):
            breaks.append(Break("areas", i, geo.inside(area.shape, self.lon, self.lat), None))
        feasible = np.ones(len(self.units), dtype=bool)
        for b in breaks:
            feasible &= ~b.broken
        return Screen(tuple(breaks), feasible)
