"""The fit score (objective level 3 and the suggestion ranking): one function for both.

Its definition is in docs/engine-contract.md ("Fit score"). Scores are kept in integer
hundredths of a point (`SCALE`) so that the flow adds them exactly.
"""
from __future__ import annotations

from datetime import date

import numpy as np

from . import geo
from .domain import Household
from .rules import UnitPool

SCALE = 100
RISK_BONUS = {"high": 10.0, "medium": 5.0, "standard": 0.0}
RISK_FACTOR = {"high": 1.5, "medium": 1.25, "standard": 1.0}
POINTS_PER_DAY = 0.1
LANGUAGE_POINTS = 3.0


def waiting_days(h: Household, as_of: date | None) -> int:
    """Whole days h has waited by `as_of` (today where None); 0 when not given or in the future."""
    if h.waiting_since is None:
        return 0
    return max(0, ((as_of or date.today()) - h.waiting_since).days)


def _prefer_km(pool: UnitPool, h: Household, idx: np.ndarray) -> list[np.ndarray]:
    here = pool.points[idx]
    return [geo.sphere_km(here.chord2(geo.Points(p.lat, p.lon))) for p in h.prefer]


def _prefer_points(weight: float, km: float, d: np.ndarray) -> np.ndarray:
    """Full weight at the place, half at `km` from it, none beyond."""
    if km <= 0:
        return np.where(d <= 0, weight, 0.0)
    return np.where(d <= km, weight * (1 - d / (2 * km)), 0.0)


def fit_scaled(pool: UnitPool, h: Household, idx: np.ndarray, as_of: date | None) -> np.ndarray:
    """The fit of h in each unit of `idx`, in hundredths of a point (int64, >= 0)."""
    unit_part = np.zeros(len(idx))
    for place, d in zip(h.prefer, _prefer_km(pool, h, idx)):
        unit_part += _prefer_points(place.weight, place.km, d)
    for language in set(h.languages):
        unit_part += LANGUAGE_POINTS * pool.languages.has(language)[idx]
    household_part = RISK_BONUS[h.risk] + POINTS_PER_DAY * waiting_days(h, as_of)
    return np.rint(SCALE * (household_part + RISK_FACTOR[h.risk] * unit_part)).astype(np.int64)


def fit_scaled_pairs(pool: UnitPool, households, household: np.ndarray, unit: np.ndarray,
                     as_of: date | None) -> np.ndarray:
    """`fit_scaled` for many (household, unit) pairs at once, term by term in the same order (same floats)."""
    unit_part = np.zeros(household.size)
    for k in range(max((len(h.prefer) for h in households), default=0)):
        owners = np.array([len(h.prefer) > k for h in households], dtype=bool)
        sel = np.flatnonzero(owners[household])
        if not sel.size:
            continue
        places = [h.prefer[k] if len(h.prefer) > k else None for h in households]
        lat = np.array([p.lat if p else 0.0 for p in places])
        lon = np.array([p.lon if p else 0.0 for p in places])
        hs, us = household[sel], unit[sel]
        km = np.array([p.km if p else 1.0 for p in places])[hs]
        weight = np.array([p.weight if p else 0.0 for p in places])[hs]
        # Points.chord2 of the units to the places, gathering only the unit vectors it reads.
        d = geo.sphere_km(sum((a[us] - b[hs]) ** 2 for a, b in zip(pool.points.xyz, geo.Points(lat, lon).xyz)))
        with np.errstate(divide="ignore", invalid="ignore"):  # km <= 0 is taken by the next line
            positive = np.where(d <= km, weight * (1 - d / (2 * km)), 0.0)
        unit_part[sel] += np.where(km <= 0, np.where(d <= 0, weight, 0.0), positive)
    for language in sorted({lang for h in households for lang in h.languages}):
        speaks = np.array([language in h.languages for h in households], dtype=bool)
        sel = np.flatnonzero(speaks[household])
        unit_part[sel] += LANGUAGE_POINTS * pool.languages.has(language)[unit[sel]]
    household_part = np.array([RISK_BONUS[h.risk] + POINTS_PER_DAY * waiting_days(h, as_of) for h in households])
    factor = np.array([RISK_FACTOR[h.risk] for h in households])
    return np.rint(SCALE * (household_part[household] + factor[household] * unit_part)).astype(np.int64)


def why(pool: UnitPool, h: Household, j: int, as_of: date | None) -> tuple[str, ...]:
    """Caseworker reasons for the fit of h in unit j, in the order of the formula's terms."""
    idx = np.array([j])
    reasons = []
    for i, (place, d) in enumerate(zip(h.prefer, _prefer_km(pool, h, idx))):
        if _prefer_points(place.weight, place.km, d)[0] > 0 or (place.weight == 0 and d[0] <= place.km):
            reasons.append(f"{d[0]:.1f} km from {place.label or f'prefer[{i}]'}")
    spoken = [lang for lang in dict.fromkeys(h.languages) if lang in pool.units[j].languages]
    if spoken:
        reasons.append("staff speak " + ", ".join(spoken))
    days = waiting_days(h, as_of)
    if days:
        reasons.append(f"waiting {days} day{'s' if days != 1 else ''}")
    if h.risk != "standard":
        reasons.append(f"{h.risk} risk")
    return tuple(reasons)
