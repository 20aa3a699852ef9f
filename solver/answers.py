"""Every unit's own answer for one household: its distances from the household's places, and fits or why not.

Both are mappings over every unit of the pool that compute one unit's answer when asked, so a
screen showing 50 units of 50,000 words 50 answers, not 50,000.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from functools import cached_property

import numpy as np

from . import geo
from .domain import Household, PlaceDistance, Reason, Suggestion, UnitAnswer
from .fit import SCALE, fit_parts, why
from .rules import Screen, UnitPool


class Distances(Mapping):
    """Unit id -> its great-circle distance from each `avoid` entry, then each `prefer` entry (PlaceDistance).

    Holds the squared chords of every unit to every entry (the avoid entries' from the Screen,
    already there); km and PlaceDistance objects are made only for the units asked for.
    """

    def __init__(self, pool: UnitPool, h: Household, screen: Screen):
        self._pool = pool
        # (ref, label, squared chords over units, limit, rule 7's verdict over units or None), avoid entries first.
        self._entries: list[tuple[str, str, np.ndarray, float, np.ndarray | None]] = []
        for b in screen.breaks:
            if b.rule == "distance":
                place = h.avoid[b.ref]
                ref = f"avoid[{b.ref}]"
                self._entries.append((ref, place.label or ref, b.detail, place.least_km, ~b.broken))
        self.prefer_chord2 = [pool.points.chord2(geo.Points(p.lat, p.lon)) for p in h.prefer]
        for i, (place, chord2) in enumerate(zip(h.prefer, self.prefer_chord2)):
            ref = f"prefer[{i}]"
            self._entries.append((ref, place.label or ref, chord2, place.km, None))

    def prefer_km(self, j: int) -> list[float]:
        """The great-circle km of the unit at pool index j to each prefer entry."""
        return [float(geo.sphere_km(chord2[j])) for chord2 in self.prefer_chord2]

    def of(self, j: int) -> tuple[PlaceDistance, ...]:
        """The distances of the unit at pool index j."""
        out = []
        for ref, label, chord2, limit, ok in self._entries:
            km = float(geo.sphere_km(chord2[j]))
            out.append(PlaceDistance(ref, label, km, limit, bool(ok[j]) if ok is not None else km <= limit))
        return tuple(out)

    def __getitem__(self, unit_id: str) -> tuple[PlaceDistance, ...]:
        return self.of(self._pool.index[unit_id])

    def __iter__(self) -> Iterator[str]:
        return iter(self._pool.ids)

    def __len__(self) -> int:
        return len(self._pool)


class UnitAnswers(Mapping):
    """Unit id -> UnitAnswer: the fit, its rank and its parts where the unit fits; every rule it breaks where not."""

    def __init__(self, pool: UnitPool, h: Household, as_of: date | None, screen: Screen, feasible: np.ndarray,
                 parts: dict[str, np.ndarray], ruled_out: Mapping[str, tuple[Reason, ...]], distances: Distances):
        self._pool, self._h, self._as_of, self._screen = pool, h, as_of, screen
        self._feasible, self._parts, self._ruled_out, self._distances = feasible, parts, ruled_out, distances
        self.fits = sum(parts.values())  # hundredths, over the feasible units

    @cached_property
    def _rank(self) -> np.ndarray:
        """Each feasible unit's rank, from 1 (the whole ranking, made when a rank is first asked for)."""
        rank = np.empty(self._feasible.size, dtype=np.int64)
        rank[ranking(self._pool, self._feasible, self.fits, self._distances)] = np.arange(1, self._feasible.size + 1)
        return rank

    def _fit(self, at: int) -> tuple[float, dict[str, int], list[float]]:
        """The fit of the `at`-th feasible unit, its parts in hundredths, and its km to each prefer entry."""
        scaled = {name: int(values[at]) for name, values in self._parts.items()}
        return int(self.fits[at]) / SCALE, scaled, self._distances.prefer_km(int(self._feasible[at]))

    def suggestion(self, at: int) -> Suggestion:
        """The `at`-th feasible unit as a Suggestion: fit, why, parts and distances."""
        j = int(self._feasible[at])
        fit, scaled, prefer_km = self._fit(at)
        return Suggestion(self._pool.ids[j], fit, why(self._pool, self._h, j, scaled, prefer_km, self._as_of),
                          fit_parts(self._pool, self._h, j, scaled, prefer_km, self._as_of), self._distances.of(j))

    def __getitem__(self, unit_id: str) -> UnitAnswer:
        j = self._pool.index[unit_id]
        distances = self._distances.of(j)
        if not self._screen.feasible[j]:
            return UnitAnswer(unit_id, False, None, None, (), self._ruled_out[unit_id], distances)
        at = int(np.searchsorted(self._feasible, j))
        fit, scaled, prefer_km = self._fit(at)
        parts = fit_parts(self._pool, self._h, j, scaled, prefer_km, self._as_of)
        return UnitAnswer(unit_id, True, fit, int(self._rank[at]), parts, (), distances)

    def __iter__(self) -> Iterator[str]:
        return iter(self._pool.ids)

    def __len__(self) -> int:
        return len(self._pool)


def ranking(pool: UnitPool, feasible: np.ndarray, fits: np.ndarray, distances: Distances,
            top: int | None = None) -> np.ndarray:
    """Positions in `feasible`, best first (the package docstring, "Ranking"): higher fit, then fewer
    wasted bedspaces, then nearer the nearest prefer entry, then unit id. Every key is a number or
    the id's rank, never a hash. With `top`, only the best `top`, sorting only the units whose fit
    can place them there."""
    candidates = np.arange(feasible.size)
    if top is not None and top < feasible.size:
        if top <= 0:
            return candidates[:0]
        cut = np.partition(fits, feasible.size - top)[feasible.size - top]  # the top-th highest fit
        candidates = np.flatnonzero(fits >= cut)
    units = feasible[candidates]
    keys = [pool.id_rank[units]]
    if distances.prefer_chord2:  # the squared chord grows with the distance
        keys.append(np.minimum.reduce([chord2[units] for chord2 in distances.prefer_chord2]))
    keys += [pool.beds[units], -fits[candidates]]  # the household's size is fixed: fewer bedspaces, fewer wasted
    return candidates[np.lexsort(keys)][:top]
