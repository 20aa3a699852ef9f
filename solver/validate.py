"""Validation of an instance in its JSON form: every problem at once, each with its JSON pointer.

Unknown members are ignored; `label` on members and on avoid, prefer and exclude_areas entries is an
extension.
"""
from __future__ import annotations

import math
from datetime import date
from typing import Any

from .domain import GENDERS, KINDS, RISKS, UNIT_TYPES, Problem

FORMAT = "safehome-instance/1"
MAX_AGE = 120


class _Collector:
    """Gathers problems; each `want_*` returns the value when it is usable, else None."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, pointer: str, message: str) -> None:
        self.problems.append(Problem(pointer, message))

    def want_object(self, value: Any, pointer: str) -> dict | None:
        if isinstance(value, dict):
            return value
        self.add(pointer, "must be an object")
        return None

    def want_list(self, obj: dict, key: str, pointer: str, required: bool = False) -> list:
        if key not in obj or (obj[key] is None and not required):
            if required:
                self.add(f"{pointer}/{key}", "is required")
            return []
        if not isinstance(obj[key], list):
            self.add(f"{pointer}/{key}", "must be a list")
            return []
        return obj[key]

    def want_string(self, obj: dict, key: str, pointer: str, required: bool = True) -> str | None:
        if key not in obj or (obj[key] is None and not required):
            if required:
                self.add(f"{pointer}/{key}", "is required")
            return None
        if not isinstance(obj[key], str) or not obj[key]:
            self.add(f"{pointer}/{key}", "must be a non-empty string")
            return None
        return obj[key]

    def want_enum(self, obj: dict, key: str, pointer: str, allowed: tuple[str, ...], default: str | None) -> None:
        if key not in obj and default is not None:
            return
        value = obj.get(key)
        if value not in allowed:
            self.add(f"{pointer}/{key}", "must be one of " + ", ".join(f'"{a}"' for a in allowed))

    def want_number(self, obj: dict, key: str, pointer: str, low: float, high: float, required: bool = True) -> None:
        if key not in obj:
            if required:
                self.add(f"{pointer}/{key}", "is required")
            return
        value = obj[key]
        if not _is_number(value) or not low <= value <= high:
            bound = f">= {low:g}" if high == math.inf else f"between {low:g} and {high:g}"
            self.add(f"{pointer}/{key}", f"must be a number {bound}")

    def want_int(self, obj: dict, key: str, pointer: str, low: int, high: int | None = None,
                 nullable: bool = False) -> None:
        value = obj.get(key)
        if value is None and nullable:
            return
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            self.add(f"{pointer}/{key}", f"must be an integer >= {low}")
        elif high is not None and value > high:
            self.add(f"{pointer}/{key}", f"must be at most {high}")

    def want_strings(self, obj: dict, key: str, pointer: str, allowed: tuple[str, ...] | None = None,
                     nullable: bool = False) -> None:
        if key not in obj or (obj[key] is None and nullable):
            return
        items = self.want_list(obj, key, pointer)
        for i, item in enumerate(items):
            if not isinstance(item, str) or not item:
                self.add(f"{pointer}/{key}/{i}", "must be a non-empty string")
            elif allowed is not None and item not in allowed:
                self.add(f"{pointer}/{key}/{i}", "must be one of " + ", ".join(f'"{a}"' for a in allowed))

    def want_label(self, obj: dict, pointer: str) -> None:
        self.want_string(obj, "label", pointer, required=False)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def problems(data: Any) -> list[Problem]:
    """Every problem in an instance given as a JSON object (an empty list when it is valid)."""
    c = _Collector()
    top = c.want_object(data, "")
    if top is None:
        return c.problems
    if "format" in top and top["format"] != FORMAT:
        c.add("/format", f'must be "{FORMAT}"')
    if top.get("as_of") is not None:
        _check_date(c, top, "as_of", "")
    households = c.want_list(top, "households", "", required=True)
    units = c.want_list(top, "units", "", required=True)
    household_ids = _check_ids(c, households, "/households")
    _check_ids(c, units, "/units")
    for i, h in enumerate(households):
        _check_household(c, h, f"/households/{i}")
    for i, u in enumerate(units):
        _check_unit(c, u, f"/units/{i}")
    for i, entry in enumerate(c.want_list(top, "apart", "")):
        _check_apart(c, entry, f"/apart/{i}", household_ids)
    return c.problems


def _check_ids(c: _Collector, items: list, pointer: str) -> set[str]:
    """Each item's id must be a unique non-empty string; returns the ids seen."""
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue  # reported by the item's own check
        ident = c.want_string(item, "id", f"{pointer}/{i}")
        if ident is None:
            continue
        if ident in first:
            c.add(f"{pointer}/{i}/id", f'duplicate id "{ident}" (first at {pointer}/{first[ident]})')
        else:
            first[ident] = i
    return set(first)


def _check_household(c: _Collector, value: Any, p: str) -> None:
    h = c.want_object(value, p)
    if h is None:
        return
    c.want_enum(h, "kind", p, KINDS, default="victim")
    c.want_enum(h, "risk", p, RISKS, default=None)
    members = c.want_list(h, "members", p, required=True)
    if "members" in h and isinstance(h["members"], list) and not members:
        c.add(f"{p}/members", "must list at least one member")
    for i, m in enumerate(members):
        mp = f"{p}/members/{i}"
        if c.want_object(m, mp) is not None:
            c.want_int(m, "age", mp, 0, MAX_AGE)
            c.want_enum(m, "gender", mp, GENDERS, default=None)
            c.want_label(m, mp)
    for key in ("pets", "needs", "languages"):
        c.want_strings(h, key, p)
    c.want_strings(h, "unit_types", p, UNIT_TYPES, nullable=True)
    for i, place in enumerate(c.want_list(h, "avoid", p)):
        _check_place(c, place, f"{p}/avoid/{i}", weighted=False)
    for i, place in enumerate(c.want_list(h, "prefer", p)):
        _check_place(c, place, f"{p}/prefer/{i}", weighted=True)
    for i, geometry in enumerate(c.want_list(h, "exclude_areas", p)):
        _check_geometry(c, geometry, f"{p}/exclude_areas/{i}")
    if h.get("waiting_since") is not None:
        _check_date(c, h, "waiting_since", p)


def _check_place(c: _Collector, value: Any, p: str, weighted: bool) -> None:
    place = c.want_object(value, p)
    if place is None:
        return
    c.want_number(place, "lat", p, -90, 90)
    c.want_number(place, "lon", p, -180, 180)
    c.want_number(place, "km", p, 0, math.inf)
    if weighted:
        c.want_number(place, "weight", p, 0, math.inf)
    else:
        # null is refused, not read as 0: a precision nobody knows must not pass for an exact place.
        c.want_number(place, "precision_km", p, 0, math.inf, required=False)
    c.want_label(place, p)


def _check_date(c: _Collector, obj: dict, key: str, p: str) -> None:
    try:
        date.fromisoformat(obj[key])
    except (TypeError, ValueError):
        c.add(f"{p}/{key}", "must be an ISO date (YYYY-MM-DD)")


def _check_unit(c: _Collector, value: Any, p: str) -> None:
    u = c.want_object(value, p)
    if u is None:
        return
    c.want_string(u, "site", p, required=False)
    c.want_enum(u, "type", p, UNIT_TYPES, default=None)
    c.want_number(u, "lat", p, -90, 90)
    c.want_number(u, "lon", p, -180, 180)
    c.want_int(u, "bedspaces", p, 1)
    if "lead_genders" not in u:
        c.add(f"{p}/lead_genders", "is required")
    c.want_strings(u, "lead_genders", p, GENDERS)
    c.want_int(u, "max_male_age", p, 0, nullable=True)
    for key in ("pets", "features", "languages"):
        c.want_strings(u, key, p)


def _check_apart(c: _Collector, value: Any, p: str, household_ids: set[str]) -> None:
    entry = c.want_object(value, p)
    if entry is None:
        return
    ends = [c.want_string(entry, key, p) for key in ("a", "b")]
    for key, ident in zip(("a", "b"), ends):
        if ident is not None and ident not in household_ids:
            c.add(f"{p}/{key}", f'unknown household "{ident}"')
    if ends[0] is not None and ends[0] == ends[1]:
        c.add(f"{p}/b", "must differ from a")
    c.want_number(entry, "km", p, 0, math.inf, required=False)


def _check_geometry(c: _Collector, value: Any, p: str) -> None:
    """A GeoJSON Polygon or MultiPolygon: closed rings of >= 4 valid positions, no self-intersection."""
    geometry = c.want_object(value, p)
    if geometry is None:
        return
    c.want_label(geometry, p)
    kind = geometry.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        c.add(f"{p}/type", 'must be "Polygon" or "MultiPolygon"')
        return
    coords = geometry.get("coordinates")
    polygons = [(f"{p}/coordinates", coords)] if kind == "Polygon" else None
    if kind == "MultiPolygon":
        if not isinstance(coords, list) or not coords:
            c.add(f"{p}/coordinates", "must be a non-empty list of polygons")
            return
        polygons = [(f"{p}/coordinates/{i}", poly) for i, poly in enumerate(coords)]
    before = len(c.problems)
    for pointer, rings in polygons:
        _check_rings(c, rings, pointer)
    if len(c.problems) == before:
        _check_valid(c, geometry, p)


def _check_rings(c: _Collector, rings: Any, p: str) -> None:
    if not isinstance(rings, list) or not rings:
        c.add(p, "must be a non-empty list of linear rings")
        return
    for r, ring in enumerate(rings):
        rp = f"{p}/{r}"
        if not isinstance(ring, list) or len(ring) < 4:
            c.add(rp, "a ring needs at least 4 positions")
            continue
        good = True
        for k, pos in enumerate(ring):
            good &= _check_position(c, pos, f"{rp}/{k}")
        if good and list(ring[0][:2]) != list(ring[-1][:2]):
            c.add(rp, "ring is not closed: the first and last positions differ")


def _check_position(c: _Collector, pos: Any, p: str) -> bool:
    if not isinstance(pos, list) or len(pos) not in (2, 3) or not all(_is_number(x) for x in pos):
        c.add(p, "must be a position [lon, lat]")
        return False
    if not (-180 <= pos[0] <= 180 and -90 <= pos[1] <= 90):
        c.add(p, "lon must be between -180 and 180 and lat between -90 and 90")
        return False
    return True


def _check_valid(c: _Collector, geometry: dict, p: str) -> None:
    """Self-intersections and other OGC invalidity, as shapely (GEOS) reports them."""
    import shapely
    from shapely.geometry import shape

    geom = shape({"type": geometry["type"], "coordinates": geometry["coordinates"]})
    if not shapely.is_valid(geom):
        c.add(p, f"invalid geometry: {shapely.is_valid_reason(geom)}")
