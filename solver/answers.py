"""Every unit's own answer for one household: its distances from the household's places.

A mapping over every unit of the pool that makes one unit's answer when asked, so a screen
showing 50 units of 50,000 makes 50 answers, not 50,000.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
import numpy as np

from . import geo
from .domain import Household, PlaceDistance
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
