"""Validation: every problem at once, each named by its JSON pointer."""
from __future__ import annotations

import copy

import pytest

from solver import InstanceError, parse_instance, validate

GOOD = {
    "format": "safehome-instance/1",
    "households": [
        {"id": "H1", "risk": "high", "members": [{"age": 30, "gender": "female"}, {"age": 4, "gender": "male", "label": "Sam"}],
         "avoid": [{"lat": 52.9, "lon": -1.1, "km": 10, "precision_km": 2.5, "label": "perpetrator's home"}],
         "prefer": [{"lat": 52.6, "lon": -1.1, "km": 5, "weight": 3}],
         "exclude_areas": [{"type": "Polygon", "label": "Leicester city",
                            "coordinates": [[[-1.2, 52.6], [-1.0, 52.6], [-1.0, 52.7], [-1.2, 52.6]]]}],
         "waiting_since": "2025-10-01"},
        {"id": "H2", "risk": "standard", "kind": "perpetrator", "members": [{"age": 40, "gender": "male"}]},
    ],
    "units": [
        {"id": "U1", "type": "refuge", "site": "S1", "lat": 52.6, "lon": -1.1, "bedspaces": 2,
         "lead_genders": ["female"], "max_male_age": 12},
        {"id": "U2", "type": "perpetrator", "lat": 52.7, "lon": -1.3, "bedspaces": 1, "lead_genders": ["male"]},
    ],
    "apart": [{"a": "H1", "b": "H2", "km": 15}],
    "extra": "ignored",
}

RING = [[-1.2, 52.6], [-1.0, 52.6], [-1.0, 52.7], [-1.2, 52.6]]


def broken(path: str, value) -> dict:
    """GOOD with the value at a slash path replaced (or deleted when value is ...)."""
    data = copy.deepcopy(GOOD)
    *parents, last = path.strip("/").split("/")
    target = data
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    key = int(last) if isinstance(target, list) else last
    if value is ...:
        del target[key]
    else:
        target[key] = value
    return data


CASES = [
    ("/households/0/members/1/age", -1, "/households/0/members/1/age: must be an integer >= 0"),
    ("/households/0/members/1/age", 121, "/households/0/members/1/age: must be at most 120"),
    ("/households/0/members/1/age", "4", "/households/0/members/1/age: must be an integer >= 0"),
    ("/households/0/members/1/age", 4.5, "/households/0/members/1/age: must be an integer >= 0"),
    ("/households/0/members/1/label", "", "/households/0/members/1/label: must be a non-empty string"),
    ("/households/0/members/1/label", 7, "/households/0/members/1/label: must be a non-empty string"),
    ("/households/0/members/1/gender", "boy", '/households/0/members/1/gender: must be one of "female", "male", "other"'),
    ("/households/0/members", [], "/households/0/members: must list at least one member"),
    ("/households/0/members", ..., "/households/0/members: is required"),
    ("/households/1/id", "H1", '/households/1/id: duplicate id "H1" (first at /households/0)'),
    ("/units/1/id", "U1", '/units/1/id: duplicate id "U1" (first at /units/0)'),
    ("/households/0/id", 7, "/households/0/id: must be a non-empty string"),
    ("/households/0/risk", "severe", '/households/0/risk: must be one of "high", "medium", "standard"'),
    ("/households/0/kind", "offender", '/households/0/kind: must be one of "victim", "perpetrator"'),
    ("/households/0/unit_types", ["flat"], '/households/0/unit_types/0: must be one of "refuge", "emergency", "supported", "dispersed", "move_on", "perpetrator"'),
    ("/households/0/pets", "dog", "/households/0/pets: must be a list"),
    ("/households/0/avoid/0/km", -1, "/households/0/avoid/0/km: must be a number >= 0"),
    ("/households/0/avoid/0/precision_km", -0.5, "/households/0/avoid/0/precision_km: must be a number >= 0"),
    ("/households/0/avoid/0/precision_km", "3", "/households/0/avoid/0/precision_km: must be a number >= 0"),
    ("/households/0/avoid/0/precision_km", None, "/households/0/avoid/0/precision_km: must be a number >= 0"),
    ("/households/0/avoid/0/lat", 91, "/households/0/avoid/0/lat: must be a number between -90 and 90"),
    ("/households/0/avoid/0/lon", "x", "/households/0/avoid/0/lon: must be a number between -180 and 180"),
    ("/households/0/prefer/0/weight", -2, "/households/0/prefer/0/weight: must be a number >= 0"),
    ("/households/0/waiting_since", "yesterday", "/households/0/waiting_since: must be an ISO date (YYYY-MM-DD)"),
    ("/units/0/bedspaces", 0, "/units/0/bedspaces: must be an integer >= 1"),
    ("/units/0/lat", 95.0, "/units/0/lat: must be a number between -90 and 90"),
    ("/units/0/lon", -181, "/units/0/lon: must be a number between -180 and 180"),
    ("/units/0/type", "flat", '/units/0/type: must be one of "refuge", "emergency", "supported", "dispersed", "move_on", "perpetrator"'),
    ("/units/0/lead_genders", ["woman"], '/units/0/lead_genders/0: must be one of "female", "male", "other"'),
    ("/units/0/max_male_age", -3, "/units/0/max_male_age: must be an integer >= 0"),
    ("/units/0/bedspaces", True, "/units/0/bedspaces: must be an integer >= 1"),
    ("/apart/0/b", "H9", '/apart/0/b: unknown household "H9"'),
    ("/apart/0/b", "H1", "/apart/0/b: must differ from a"),
    ("/apart/0/km", -5, "/apart/0/km: must be a number >= 0"),
    ("/households/0/exclude_areas/0/type", "Point", '/households/0/exclude_areas/0/type: must be "Polygon" or "MultiPolygon"'),
    ("/households/0/exclude_areas/0/coordinates", [RING[:3]], "/households/0/exclude_areas/0/coordinates/0: a ring needs at least 4 positions"),
    ("/households/0/exclude_areas/0/coordinates", [RING[:3] + [[-1.3, 52.6]]],
     "/households/0/exclude_areas/0/coordinates/0: ring is not closed: the first and last positions differ"),
    ("/households/0/exclude_areas/0/coordinates", [[[-1.2, 52.6], [200, 52.6], [-1.0, 52.7], [-1.2, 52.6]]],
     "/households/0/exclude_areas/0/coordinates/0/1: lon must be between -180 and 180 and lat between -90 and 90"),
    ("/households/0/exclude_areas/0/coordinates", [[[-1.2, 52.6], "x", [-1.0, 52.7], [-1.2, 52.6]]],
     "/households/0/exclude_areas/0/coordinates/0/1: must be a position [lon, lat]"),
    ("/households/0/exclude_areas/0/coordinates", [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]],
     "/households/0/exclude_areas/0: invalid geometry: Self-intersection[1 1]"),
    ("/households/0/exclude_areas/0", [], "/households/0/exclude_areas/0: must be an object"),
    ("/format", "safehome-instance/2", '/format: must be "safehome-instance/1"'),
    ("/units", ..., "/units: is required"),
]


@pytest.mark.parametrize("path, value, problem", CASES, ids=[c[2].split(":")[0] + "=" + repr(c[1])[:20] for c in CASES])
def test_each_problem_has_its_pointer(path, value, problem):
    found = [str(p) for p in validate(broken(path, value))]
    assert found[0] == problem
    # the only knock-on allowed: an apart entry naming a household whose id is now bad
    assert all(f.startswith("/apart/0/a: unknown") or f.startswith("/apart/0/b: unknown") for f in found[1:])


def test_good_instance_parses_and_ignores_unknown_members():
    assert validate(GOOD) == []
    inst = parse_instance(GOOD)
    assert inst.households[0].avoid[0].label == "perpetrator's home"
    assert inst.households[0].avoid[0].precision_km == 2.5
    assert inst.households[0].exclude_areas[0].label == "Leicester city"
    assert "label" not in inst.households[0].exclude_areas[0].geometry


def test_every_problem_reported_at_once():
    data = broken("/households/0/members/1/age", -1)
    data["units"][0]["bedspaces"] = 0
    data["apart"][0]["a"] = "nobody"
    with pytest.raises(InstanceError) as err:
        parse_instance(data)
    assert [p.pointer for p in err.value.problems] == [
        "/households/0/members/1/age", "/units/0/bedspaces", "/apart/0/a"]


def test_not_an_object():
    assert [str(p) for p in validate([])] == [": must be an object"]


def test_validate_accepts_dataclasses():
    inst = parse_instance(GOOD)
    assert validate(inst) == []
