"""Factories for tiny engine instances, and an independent checker and fit written from the engine's documents."""
from __future__ import annotations

import dataclasses
import itertools
import math
import random
from datetime import date
from types import SimpleNamespace

import pytest
from geopy.distance import geodesic
from shapely.geometry import Point, shape

from solver import Apart, Household, Instance, Member, Place, PreferPlace, Unit

LEICESTER = (52.636, -1.133)


def unit(uid="U1", **kw) -> Unit:
    """A unit anyone may take, at Leicester, unless told otherwise."""
    base = dict(id=uid, type="dispersed", lat=LEICESTER[0], lon=LEICESTER[1], bedspaces=4,
                lead_genders=("female", "male", "other"))
    base.update(kw)
    return Unit(**base)


def household(hid="H1", members=((30, "female"),), **kw) -> Household:
    """A standard-risk victim household of one woman, unless told otherwise."""
    return Household(id=hid, members=tuple(Member(a, g) for a, g in members), **kw)


def spec_allows(h: Household, u: Unit) -> bool:
    """Rules 1-8 straight from the contract, with geopy and shapely, sharing no engine code."""
    if (h.kind == "perpetrator") != (u.type == "perpetrator"):
        return False
    if h.unit_types is not None and u.type not in h.unit_types:
        return False
    if len(h.members) > u.bedspaces or h.members[0].gender not in u.lead_genders:
        return False
    if u.max_male_age is not None and any(m.gender == "male" and m.age > u.max_male_age for m in h.members):
        return False
    if not set(h.pets) <= set(u.pets) or not set(h.needs) <= set(u.features):
        return False
    if any(geodesic((u.lat, u.lon), (p.lat, p.lon)).km < p.km + p.precision_km for p in h.avoid):
        return False
    return not any(shape(a.geometry).intersects(Point(u.lon, u.lat)) for a in h.exclude_areas)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great circle of the fit's definition: a sphere of radius 6371.0088 km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(a, 1.0)))


def spec_fit_parts(h: Household, u: Unit, as_of: date) -> dict[str, float]:
    """The fit's parts straight from the package docstring ("Fit score"), sharing no engine code."""
    factor = {"high": 1.5, "medium": 1.25, "standard": 1.0}[h.risk]
    days = max(0, (as_of - h.waiting_since).days) if h.waiting_since else 0
    parts = {"risk": {"high": 10.0, "medium": 5.0, "standard": 0.0}[h.risk], "waiting": 0.1 * days}
    for i, p in enumerate(h.prefer):
        d = haversine_km(u.lat, u.lon, p.lat, p.lon)
        points = (p.weight if d <= 0 else 0.0) if p.km <= 0 else (p.weight * (1 - d / (2 * p.km)) if d <= p.km else 0.0)
        parts[f"prefer[{i}]"] = factor * points
    parts["languages"] = factor * 3 * len(set(h.languages) & set(u.languages))
    parts["wasted_bedspaces"] = -1.0 * (u.bedspaces - len(h.members))
    return {name: round(points, 2) for name, points in parts.items()}


def spec_fit(h: Household, u: Unit, as_of: date) -> float:
    """The fit: the sum of its parts, each rounded to hundredths."""
    return round(sum(spec_fit_parts(h, u, as_of).values()), 2)


def edge(bearing: float, km: float = 13, place: tuple[float, float] = (52.9, -1.2)) -> tuple[Unit, tuple, float]:
    """A unit about `km` from `place` on a bearing: (unit, place, its exact geodesic distance, as geopy gives it)."""
    there = geodesic(kilometers=km).destination(place, bearing)
    u = unit(lat=there.latitude, lon=there.longitude)
    return u, place, geodesic((u.lat, u.lon), place).km


def addend(total: float, other: float) -> float:
    """x with x + other == total to the last bit: a threshold rule 7 takes as that float sum lands on `total`."""
    x = total - other
    while x + other < total:
        x = math.nextafter(x, math.inf)
    while x + other > total:
        x = math.nextafter(x, -math.inf)
    assert x + other == total
    return x


def spec_breaches(instance: Instance, assignments: dict) -> list[str]:
    """Every breach of rules 1-10 by the contract alone."""
    hs = {h.id: h for h in instance.households}
    us = {u.id: u for u in instance.units}
    out = [f"{h} missing" for h in hs if h not in assignments]
    placed = {h: us[u] for h, u in assignments.items() if u is not None}
    out += [f"{h} -> {u.id} breaks rules 1-8" for h, u in placed.items() if not spec_allows(hs[h], u)]
    used = [u.id for u in placed.values()]
    out += ["a unit is used twice"] if len(used) != len(set(used)) else []
    for e in instance.apart:
        if e.a in placed and e.b in placed:
            ua, ub = placed[e.a], placed[e.b]
            if (ua.site or ua.id) == (ub.site or ub.id) or geodesic((ub.lat, ub.lon), (ua.lat, ua.lon)).km < e.km:
                out.append(f"apart {e.a}/{e.b}")
    return out


def brute_force(instance: Instance) -> tuple[int, int, list[dict]]:
    """(best high-risk placed, best placed, every assignment reaching both) by enumeration."""
    options = [[None] + [u.id for u in instance.units if spec_allows(h, u)] for h in instance.households]
    best, winners = (-1, -1), []
    for combo in itertools.product(*options):
        assignment = {h.id: u for h, u in zip(instance.households, combo)}
        placed = [u for u in combo if u is not None]
        if len(placed) != len(set(placed)) or spec_breaches(instance, assignment):
            continue
        value = (sum(1 for h, u in zip(instance.households, combo) if u and h.risk == "high"), len(placed))
        if value > best:
            best, winners = value, [assignment]
        elif value == best:
            winners.append(assignment)
    return best[0], best[1], winners


@pytest.fixture(scope="session")
def kit():
    """The factories and the contract checker, for tests (no test imports conftest by name)."""
    return SimpleNamespace(unit=unit, household=household, spec_allows=spec_allows,
                           spec_breaches=spec_breaches, brute_force=brute_force, LEICESTER=LEICESTER,
                           random_instance=random_instance, edge=edge, addend=addend, spec_fit=spec_fit, spec_fit_parts=spec_fit_parts,
                           haversine_km=haversine_km)


def random_instance(seed: int, households: int = 4, units: int = 4, apart: int = 2,
                    approximate: bool = False) -> Instance:
    """A tiny instance where every rule can bite: units and avoid places within ~20 km.

    `approximate` gives every household an avoid place with a precision of up to 8 km, drawn
    from a second stream so that the instance is otherwise the same as without it.
    """
    rng = random.Random(seed)
    precision = random.Random(f"{seed} approximate")
    us = []
    for j in range(rng.randint(1, units)):
        site = f"S{rng.randint(0, 2)}" if rng.random() < 0.5 else None
        us.append(unit(f"U{j}", type=rng.choice(["refuge", "dispersed", "perpetrator"]),
                       lat=52.6 + rng.uniform(0, 0.15), lon=-1.2 + rng.uniform(0, 0.2),
                       bedspaces=rng.randint(1, 3), site=site,
                       lead_genders=tuple(g for g in ("female", "male", "other") if rng.random() < 0.7),
                       max_male_age=rng.choice([None, 12, 16]), pets=("dog",) if rng.random() < 0.5 else ()))
    hs = []
    for i in range(rng.randint(1, households)):
        kind = "perpetrator" if rng.random() < 0.2 else "victim"
        members = [(rng.randint(18, 60), rng.choice(["female", "male"]))]
        members += [(rng.randint(0, 17), rng.choice(["female", "male"])) for _ in range(rng.randint(0, 2))]
        avoid = tuple(Place(52.6 + rng.uniform(0, 0.15), -1.2 + rng.uniform(0, 0.2), rng.uniform(0, 8))
                      for _ in range(rng.randint(0, 1)))
        if approximate:
            avoid = (avoid or (Place(52.6 + precision.uniform(0, 0.15), -1.2 + precision.uniform(0, 0.2),
                                     precision.uniform(0, 8)),))
            avoid = tuple(dataclasses.replace(p, precision_km=precision.uniform(0, 8)) for p in avoid)
        prefer = tuple(PreferPlace(52.6 + rng.uniform(0, 0.15), -1.2 + rng.uniform(0, 0.2), 10, rng.randint(0, 5))
                       for _ in range(rng.randint(0, 1)))
        hs.append(household(f"H{i}", members, kind=kind, risk=rng.choice(["high", "medium", "standard"]),
                            pets=("dog",) if rng.random() < 0.2 else (), avoid=avoid, prefer=prefer))
    ap = []
    for _ in range(rng.randint(0, apart) if len(hs) > 1 else 0):
        a, b = rng.sample([h.id for h in hs], 2)
        ap.append(Apart(a, b, rng.choice([0.0, 3.0, 8.0])))
    return Instance(tuple(hs), tuple(us), tuple(ap), as_of=date(2025, 11, 1))
