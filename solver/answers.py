"""Every unit's own answer for one household: its distances from the household's places, and fits or why not.

Both are mappings over every unit of the pool that compute one unit's answer when asked, so a
screen showing 50 units of 50,000 words 50 answers, not 50,000.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date

import numpy as np

from . import geo
from .domain import Household, PlaceDistance, Reason, UnitAnswer
from .fit import SCALE, fit_parts
from .rules import Screen, UnitPool


class Distances(Mapping):
    """Unit id -> its great-circle distance from each `avoid` entry, then each `prefer` entry (PlaceDistance).

    The km of every unit are computed at once (the avoid entries' from the Screen's squared
    chords, already there); the PlaceDistance objects only for the units asked for.
    """

    def __init__(self, pool: UnitPool, h: Household, screen: Screen):
        self._pool = pool
        # (ref, label, km over units, limit, ok over units), avoid entries first, in the household's order.
        self._entries: list[tuple[str, str, np.ndarray, float, np.ndarray]] = []
        for b in screen.breaks:
            if b.rule == "distance":
                place = h.avoid[b.ref]
                ref = f"avoid[{b.ref}]"
                self._entries.append((ref, place.label or ref, geo.sphere_km(b.detail), place.least_km, ~b.broken))
        self.prefer_km = [geo.sphere_km(pool.points.chord2(geo.Points(p.lat, p.lon))) for p in h.prefer]
        for i, (place, km) in enumerate(zip(h.prefer, self.prefer_km)):
            ref = f"prefer[{i}]"
            self._entries.append((ref, place.label or ref, km, place.km, km <= place.km))

    def nearest_prefer_km(self) -> np.ndarray | None:
        """Each unit's great-circle km to the nearest prefer entry; None without prefer entries."""
        return np.minimum.reduce(self.prefer_km) if self.prefer_km else None

    def of(self, j: int) -> tuple[PlaceDistance, ...]:
        """The distances of the unit at pool index j."""
        return tuple(PlaceDistance(ref, label, float(km[j]), limit, bool(ok[j]))
                     for ref, label, km, limit, ok in self._entries)

    def __getitem__(self, unit_id: str) -> tuple[PlaceDistance, ...]:
        return self.of(self._pool.index[unit_id])

    def __iter__(self) -> Iterator[str]:
        return iter(self._pool.ids)

    def __len__(self) -> int:
        return len(self._pool)


class UnitAnswers(Mapping):
    """Unit id -> UnitAnswer: the fit, its rank and its parts where the unit fits; every rule it breaks where not."""

    def __init__(self, pool: UnitPool, h: Household, as_of: date | None, screen: Screen, feasible: np.ndarray,
                 parts: dict[str, np.ndarray], order: np.ndarray, ruled_out: Mapping[str, tuple[Reason, ...]],
                 distances: Distances):
        self._pool, self._h, self._as_of, self._screen = pool, h, as_of, screen
        self._feasible, self._parts, self._ruled_out, self._distances = feasible, parts, ruled_out, distances
        self._rank = np.empty(order.size, dtype=np.int64)
        self._rank[order] = np.arange(1, order.size + 1)

    def parts_at(self, at: int, j: int):
        """The FitParts of the unit at pool index j, the `at`-th feasible unit."""
        scaled = {name: int(values[at]) for name, values in self._parts.items()}
        prefer_km = [float(km[j]) for km in self._distances.prefer_km]
        return sum(scaled.values()) / SCALE, fit_parts(self._pool, self._h, j, scaled, prefer_km, self._as_of)

    def __getitem__(self, unit_id: str) -> UnitAnswer:
        j = self._pool.index[unit_id]
        distances = self._distances.of(j)
        if not self._screen.feasible[j]:
            return UnitAnswer(unit_id, False, None, None, (), self._ruled_out[unit_id], distances)
        at = int(np.searchsorted(self._feasible, j))
        fit, parts = self.parts_at(at, j)
        return UnitAnswer(unit_id, True, fit, int(self._rank[at]), parts, (), distances)

    def __iter__(self) -> Iterator[str]:
        return iter(self._pool.ids)

    def __len__(self) -> int:
        return len(self._pool)
