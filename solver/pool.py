"""UnitPool: units prepared once as numpy arrays, and the hard rules 1-8 evaluated over them."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from . import geo
from .domain import GENDERS, UNIT_TYPES, Household, Unit


@dataclass(frozen=True)
class Check:
    """One hard rule (or one item of it: a pet, an avoid place, an area) as a vectorised test.

    `test(idx)` returns (broken, detail): a boolean array over the unit indices `idx`,
    and for the distance rule the squared chords (geo.sphere_km gives km to show people).
    """

    rule: str
    ref: int | None
    test: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]]


@dataclass(frozen=True)
class Break:
    """Which units (over the whole pool) break one Check."""

    rule: str
    ref: int | None
    broken: np.ndarray
    detail: np.ndarray | None


@dataclass(frozen=True)
class Screen:
    """Every Check for one household over every unit of a pool."""

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

    def checks(self, h: Household) -> Iterator[Check]:
        """The household's hard rules 1-8 as Checks, cheapest first."""
        yield Check("kind", None, lambda idx: (~_allowed_types(h)[self.type_code[idx]], None))
        yield Check("size", None, lambda idx: (self.beds[idx] < len(h.members), None))
        yield Check("lead", None, lambda idx: (~self.lead[h.members[0].gender][idx], None))
        oldest = max((m.age for m in h.members if m.gender == "male"), default=None)
        if oldest is not None:
            yield Check("males", None, lambda idx: (self.male_limit[idx] < oldest, None))
        for i, pet in enumerate(h.pets):
            yield Check("pets", i, lambda idx, pet=pet: (~self.pets.has(pet)[idx], None))
        for i, need in enumerate(h.needs):
            yield Check("needs", i, lambda idx, need=need: (~self.features.has(need)[idx], None))
        for i, place in enumerate(h.avoid):
            yield Check("distance", i, lambda idx, p=place: _too_close(self, idx, p))
        for i, area in enumerate(h.exclude_areas):
            yield Check("areas", i, lambda idx, a=area: (geo.inside(a.shape, self.lon[idx], self.lat[idx]), None))

    def feasible(self, h: Household) -> np.ndarray:
        """Indices of the units that pass rules 1-8 for h; each rule sees only the survivors so far."""
        idx = np.arange(len(self.units))
        for check in self.checks(h):
            if not idx.size:
                break
            broken, _ = check.test(idx)
            idx = idx[~broken]
        return idx

    def feasible_matrix(self, households: Sequence[Household],
                        masks: dict[tuple, np.ndarray] | None = None) -> np.ndarray:
        """Boolean matrix (households x units): rules 1-8, the batch's filter, vectorised per rule family.

        Gives exactly what `feasible` gives row by row. Rules 1-6 depend on a few fields only,
        so households with the same signature share one mask over the units. Rule 7 is decided
        for every avoid place of every household at once (the sphere over whole arrays, the
        ellipsoid tiers only near each threshold and only for pairs rules 1-6 let through),
        rule 8 per area over the survivors. `masks` caches rules 1-6 by signature across calls.
        """
        n_units = len(self.units)
        out = np.zeros((len(households), n_units), dtype=bool)
        masks = {} if masks is None else masks
        for i, h in enumerate(households):
            key = _signature(h)
            if key not in masks:
                masks[key] = self._static_mask(h)
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
                                         np.array([p.km for p in ps]), out[owner[part]])
                for row, i in enumerate(owner[part].tolist()):
                    out[i] &= ok[row]
        for i, h in enumerate(households):
            for area in h.exclude_areas:
                idx = np.flatnonzero(out[i])
                if idx.size:
                    out[i, idx[geo.inside(area.shape, self.lon[idx], self.lat[idx])]] = False
        return out

    def _static_mask(self, h: Household) -> np.ndarray:
        """Boolean over units: rules 1-6 (kind, size, lead, males, pets, needs) for h."""
        mask = _allowed_types(h)[self.type_code] & (self.beds >= len(h.members)) & self.lead[h.members[0].gender]
        oldest = max((m.age for m in h.members if m.gender == "male"), default=None)
        if oldest is not None:
            mask &= ~(self.male_limit < oldest)
        for pet in h.pets:
            mask &= self.pets.has(pet)
        for need in h.needs:
            mask &= self.features.has(need)
        return mask

    def screen(self, h: Household) -> Screen:
        """Every rule over every unit, for explaining each ruled-out unit."""
        idx = np.arange(len(self.units))
        breaks = tuple(Break(c.rule, c.ref, *c.test(idx)) for c in self.checks(h))
        feasible = np.ones(len(self.units), dtype=bool)
        for b in breaks:
            feasible &= ~b.broken
        return Screen(breaks, feasible)


def _signature(h: Household) -> tuple:
    """What rules 1-6 read of a household: equal signatures, equal masks."""
    oldest = max((m.age for m in h.members if m.gender == "male"), default=None)
    types = None if h.unit_types is None else frozenset(h.unit_types)
    return (h.kind, types, len(h.members), h.members[0].gender, oldest, frozenset(h.pets), frozenset(h.needs))


def _allowed_types(h: Household) -> np.ndarray:
    """Boolean over UNIT_TYPES: the types rule 1 lets h take."""
    wanted = set(UNIT_TYPES if h.unit_types is None else h.unit_types)
    perpetrator = h.kind == "perpetrator"
    return np.array([t in wanted and (t == "perpetrator") == perpetrator for t in UNIT_TYPES], dtype=bool)


def _too_close(pool: UnitPool, idx: np.ndarray, place) -> tuple[np.ndarray, np.ndarray]:
    ok, chord2 = geo.far_enough(pool.points[idx], geo.Points(place.lat, place.lon), place.km)
    return ~ok, chord2
