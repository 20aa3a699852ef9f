"""The fit score (objective level 3 and the suggestion ranking): one function for both, part by part.

Its definition is in the package's docstring (solver/__init__.py, "Fit score"). Each part is
kept in integer hundredths of a point (`SCALE`), so that a unit's parts add up to its fit
exactly and the flow adds fits exactly.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np

from . import geo
from .domain import FitPart, Household, Unit
from .reasons import people
from .rules import UnitPool

SCALE = 100
RISK_BONUS = {"high": 10.0, "medium": 5.0, "standard": 0.0}
RISK_FACTOR = {"high": 1.5, "medium": 1.25, "standard": 1.0}
POINTS_PER_DAY = 0.1
LANGUAGE_POINTS = 3.0
WASTED_BEDSPACE_POINTS = 1.0


def waiting_days(h: Household, as_of: date | None) -> int:
    """Whole days h has waited by `as_of` (today where None); 0 when not given or in the future."""
    if h.waiting_since is None:
        return 0
    return max(0, ((as_of or date.today()) - h.waiting_since).days)


def prefer_points(weight, km, d) -> np.ndarray:
    """A prefer entry's points at great-circle distance d: full weight at the place, half at `km`, none beyond."""
    weight, km, d = (np.asarray(x, dtype=float) for x in (weight, km, d))
    with np.errstate(divide="ignore", invalid="ignore"):  # km <= 0 is taken by the last line
        positive = np.where(d <= km, weight * (1 - d / (2 * km)), 0.0)
    return np.where(km <= 0, np.where(d <= 0, weight, 0.0), positive)


def _scaled(points) -> np.ndarray:
    return np.rint(SCALE * np.asarray(points, dtype=float)).astype(np.int64)


def fit_parts_pairs(pool: UnitPool, households: Sequence[Household], household: np.ndarray, unit: np.ndarray,
                    as_of: date | None) -> dict[str, np.ndarray]:
    """The fit's parts for many (household, unit) pairs: {name: int64 array of hundredths}, in the formula's order.

    Names: "risk", "waiting", "prefer[0]", "prefer[1]", ... (as many as any household has; 0
    for a household without that entry), "languages", "wasted_bedspaces". Each part is rounded
    on its own, so the fit, their sum, is exactly what the parts shown add up to.
    """
    factor = np.array([RISK_FACTOR[h.risk] for h in households])[household]
    parts = {
        "risk": _scaled(np.array([RISK_BONUS[h.risk] for h in households]))[household],
        "waiting": _scaled(np.array([POINTS_PER_DAY * waiting_days(h, as_of) for h in households]))[household],
    }
    for k in range(max((len(h.prefer) for h in households), default=0)):
        part = parts[f"prefer[{k}]"] = np.zeros(household.size, dtype=np.int64)
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
        part[sel] = _scaled(factor[sel] * prefer_points(weight, km, d))
    spoken = np.zeros(household.size)
    for language in sorted({lang for h in households for lang in h.languages}):
        asks = np.array([language in h.languages for h in households], dtype=bool)
        sel = np.flatnonzero(asks[household])
        spoken[sel] += pool.languages.has(language)[unit[sel]]
    parts["languages"] = _scaled(factor * LANGUAGE_POINTS * spoken)
    members = np.array([len(h.members) for h in households])[household]
    parts["wasted_bedspaces"] = _scaled(-WASTED_BEDSPACE_POINTS * (pool.beds[unit] - members))
    return parts


def fit_scaled_pairs(pool: UnitPool, households: Sequence[Household], household: np.ndarray, unit: np.ndarray,
                     as_of: date | None) -> np.ndarray:
    """The fit of many (household, unit) pairs at once, in hundredths of a point (int64; may be negative)."""
    return sum(fit_parts_pairs(pool, households, household, unit, as_of).values())


def fit_scaled(pool: UnitPool, h: Household, idx: np.ndarray, as_of: date | None) -> np.ndarray:
    """The fit of h in each unit of `idx`, in hundredths of a point (int64; may be negative)."""
    idx = np.asarray(idx, dtype=np.int64)
    return fit_scaled_pairs(pool, (h,), np.zeros(idx.size, dtype=np.int64), idx, as_of)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _spoken(h: Household, u: Unit) -> list[str]:
    """The household's languages (each once, in its order) that the unit's staff speak."""
    return [lang for lang in dict.fromkeys(h.languages) if lang in u.languages]


def fit_parts(pool: UnitPool, h: Household, j: int, scaled: dict[str, int], prefer_km: Sequence[float],
              as_of: date | None) -> tuple[FitPart, ...]:
    """A unit's fit as named parts for people: `scaled` its parts (hundredths), `prefer_km` its distances.

    Every part the household can earn or lose, in the formula's order: risk, waiting, each
    prefer entry, languages (when it asks for any), wasted bedspaces. They sum to the fit.
    """
    u = pool.units[j]
    days = waiting_days(h, as_of)
    out = [FitPart("risk", scaled["risk"] / SCALE, f"{h.risk} risk"),
           FitPart("waiting", scaled["waiting"] / SCALE,
                   f"waiting {_plural(days, 'day')}" if h.waiting_since is not None else "no waiting date")]
    for i, (place, d) in enumerate(zip(h.prefer, prefer_km)):
        ref = f"prefer[{i}]"
        where = "within" if d <= place.km else "beyond"
        out.append(FitPart("prefer", scaled[ref] / SCALE,
                           f"{d:.1f} km from {place.label or ref}, {where} {place.km:g} km", ref))
    if h.languages:
        spoken = _spoken(h, u)
        out.append(FitPart("languages", scaled["languages"] / SCALE,
                           "staff speak " + ", ".join(spoken) if spoken
                           else "staff speak none of " + ", ".join(dict.fromkeys(h.languages))))
    empty = u.bedspaces - len(h.members)
    out.append(FitPart("wasted_bedspaces", scaled["wasted_bedspaces"] / SCALE,
                       f"{_plural(empty, 'bedspace')} empty ({u.bedspaces} for {people(len(h.members))})"
                       if empty else "no bedspace empty"))
    return tuple(out)


def why(pool: UnitPool, h: Household, j: int, scaled: dict[str, int], prefer_km: Sequence[float],
        as_of: date | None) -> tuple[str, ...]:
    """Caseworker reasons for the fit of h in unit j (`scaled` its parts): near places, languages, waiting, risk."""
    reasons = []
    for i, (place, d) in enumerate(zip(h.prefer, prefer_km)):
        if scaled[f"prefer[{i}]"] > 0 or (place.weight == 0 and d <= place.km):
            reasons.append(f"{d:.1f} km from {place.label or f'prefer[{i}]'}")
    spoken = _spoken(h, pool.units[j])
    if spoken:
        reasons.append("staff speak " + ", ".join(spoken))
    days = waiting_days(h, as_of)
    if days:
        reasons.append(f"waiting {_plural(days, 'day')}")
    if h.risk != "standard":
        reasons.append(f"{h.risk} risk")
    return tuple(reasons)
