"""The JSON form of instances, solutions and suggestions (docs/engine-contract.md); the engine's only I/O."""
from __future__ import annotations

import json
from datetime import date
from typing import Any

from . import validate as _validate
from .domain import (Apart, Area, FitPart, Household, Instance, InstanceError, Member, Place, PlaceDistance,
                     PreferPlace, Problem, Solution, Suggestions, Unit, Widening)

SOLUTION_FORMAT = "safehome-solution/1"
SUGGESTIONS_FORMAT = "safehome-suggestions/1"


def validate(instance: Instance | dict) -> list[Problem]:
    """Every problem in an instance (dataclasses or JSON object), each named by its JSON pointer."""
    data = instance_to_dict(instance) if isinstance(instance, Instance) else instance
    return _validate.problems(data)


def parse_instance(data: Any) -> Instance:
    """The Instance a JSON object describes; raises InstanceError listing every problem."""
    found = _validate.problems(data)
    if found:
        raise InstanceError(found)
    as_of = data.get("as_of")
    return Instance(
        households=tuple(_household(h) for h in data["households"]),
        units=tuple(_unit(u) for u in data["units"]),
        apart=tuple(Apart(e["a"], e["b"], float(e.get("km", 0))) for e in data.get("apart") or ()),
        as_of=date.fromisoformat(as_of) if as_of else None,
    )


def parse_household(data: Any, pointer: str = "/households/0") -> Household:
    """One household from its JSON object; raises InstanceError with pointers under `pointer`."""
    found = [Problem(pointer + p.pointer[len("/households/0"):], p.message)
             for p in _validate.problems({"households": [data], "units": []})]
    if found:
        raise InstanceError(found)
    return _household(data)


def _strings(obj: dict, key: str) -> tuple[str, ...]:
    return tuple(obj.get(key) or ())


def _household(h: dict) -> Household:
    waiting = h.get("waiting_since")
    types = h.get("unit_types")
    return Household(
        id=h["id"],
        members=tuple(Member(m["age"], m["gender"], m.get("label")) for m in h["members"]),
        risk=h["risk"],
        kind=h.get("kind", "victim"),
        pets=_strings(h, "pets"),
        needs=_strings(h, "needs"),
        unit_types=None if types is None else tuple(types),
        avoid=tuple(Place(float(a["lat"]), float(a["lon"]), float(a["km"]), a.get("label"),
                          float(a.get("precision_km", 0))) for a in h.get("avoid") or ()),
        exclude_areas=tuple(Area({"type": g["type"], "coordinates": g["coordinates"]}, g.get("label"))
                            for g in h.get("exclude_areas") or ()),
        prefer=tuple(PreferPlace(float(p["lat"]), float(p["lon"]), float(p["km"]), float(p["weight"]),
                                 p.get("label")) for p in h.get("prefer") or ()),
        languages=_strings(h, "languages"),
        waiting_since=date.fromisoformat(waiting) if waiting else None,
    )


def _unit(u: dict) -> Unit:
    return Unit(
        id=u["id"], type=u["type"], lat=float(u["lat"]), lon=float(u["lon"]), bedspaces=u["bedspaces"],
        lead_genders=_strings(u, "lead_genders"), site=u.get("site"), max_male_age=u.get("max_male_age"),
        pets=_strings(u, "pets"), features=_strings(u, "features"), languages=_strings(u, "languages"),
    )


def _labelled(obj: dict, label: str | None) -> dict:
    return obj if label is None else {**obj, "label": label}


def _avoid(a: Place) -> dict:
    """An avoid entry's JSON object; `precision_km` only where it is not 0, its default."""
    out = {"lat": a.lat, "lon": a.lon, "km": a.km}
    if a.precision_km != 0:
        out["precision_km"] = a.precision_km
    return out


def household_to_dict(h: Household) -> dict:
    """A household's JSON object (optional members left out when empty)."""
    out: dict[str, Any] = {
        "id": h.id, "kind": h.kind, "risk": h.risk,
        "members": [_labelled({"age": m.age, "gender": m.gender}, m.label) for m in h.members],
        "pets": list(h.pets), "needs": list(h.needs), "languages": list(h.languages),
        "avoid": [_labelled(_avoid(a), a.label) for a in h.avoid],
        "exclude_areas": [_labelled(dict(a.geometry), a.label) for a in h.exclude_areas],
        "prefer": [_labelled({"lat": p.lat, "lon": p.lon, "km": p.km, "weight": p.weight}, p.label)
                   for p in h.prefer],
    }
    if h.unit_types is not None:
        out["unit_types"] = list(h.unit_types)
    if h.waiting_since is not None:
        out["waiting_since"] = h.waiting_since.isoformat()
    return out


def unit_to_dict(u: Unit) -> dict:
    """A unit's JSON object."""
    out: dict[str, Any] = {
        "id": u.id, "type": u.type, "lat": u.lat, "lon": u.lon, "bedspaces": u.bedspaces,
        "lead_genders": list(u.lead_genders), "max_male_age": u.max_male_age,
        "pets": list(u.pets), "features": list(u.features), "languages": list(u.languages),
    }
    if u.site is not None:
        out["site"] = u.site
    return out


def instance_to_dict(instance: Instance) -> dict:
    """The `safehome-instance/1` JSON object of an instance."""
    out: dict[str, Any] = {
        "format": _validate.FORMAT,
        "households": [household_to_dict(h) for h in instance.households],
        "units": [unit_to_dict(u) for u in instance.units],
        "apart": [{"a": e.a, "b": e.b, "km": e.km} for e in instance.apart],
    }
    if instance.as_of is not None:
        out["as_of"] = instance.as_of.isoformat()
    return out


def solution_to_dict(solution: Solution) -> dict:
    """The `safehome-solution/1` JSON object; `status`, `fit_optimal` and `unplaced` are extra members."""
    o = solution.objective
    return {
        "format": SOLUTION_FORMAT,
        "assignments": dict(solution.assignments),
        "objective": {"high_risk_placed": o.high_risk_placed, "placed": o.placed, "fit": o.fit},
        "optimal": solution.optimal,
        "seconds": round(solution.seconds, 3),
        "status": solution.status.value,
        "fit_optimal": solution.fit_optimal,
        "unplaced": {h: {"reason": u.reason, "detail": u.detail} for h, u in solution.unplaced.items()},
    }


def _parts(parts: tuple[FitPart, ...]) -> list[dict]:
    return [{"name": p.name, **({"ref": p.ref} if p.ref else {}), "points": p.points, "text": p.text}
            for p in parts]


def _distances(distances: tuple[PlaceDistance, ...]) -> dict[str, float]:
    return {d.ref: round(d.km, 3) for d in distances}


def _widening(w: Widening) -> dict:
    out: dict[str, Any] = {"rule": w.rule, "item": w.item, "label": w.label, "more": w.more, "text": str(w)}
    if w.rule == "distance":
        out["steps"] = [{"km": step.km, "more": step.more} for step in w.steps]
    return out


def suggestions_to_dict(s: Suggestions) -> dict:
    """The `safehome-suggestions/1` JSON object (every ruled-out unit with every rule it breaks).

    `parts` (per suggestion), `distances` (every unit), `widening` and `ruled_out_counts` are
    extra members (docs/engine-contract.md, Extensions).
    """
    return {
        "format": SUGGESTIONS_FORMAT,
        "household": s.household,
        "feasible": s.feasible,
        "suggestions": [{"unit": x.unit, "fit": x.fit, "why": list(x.why), "parts": _parts(x.parts)}
                        for x in s.suggestions],
        "ruled_out": {unit: [str(r) for r in reasons] for unit, reasons in s.ruled_out.items()},
        "ruled_out_counts": dict(s.counts),
        "distances": {unit: _distances(d) for unit, d in s.distances.items()},
        "widening": [_widening(w) for w in s.widening],
        "seconds": round(s.seconds, 4),
    }


def read_json(path: str) -> Any:
    """A JSON file's value (OSError or ValueError on failure)."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def dumps(obj: Any) -> str:
    """The JSON text the CLI writes."""
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"
